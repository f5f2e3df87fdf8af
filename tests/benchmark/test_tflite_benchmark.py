"""tfkd.benchmark.tflite_benchmark: accuracy from the interpreter, latency as data, bad input named."""

import gzip

import numpy as np
import pytest

import tfkd
from tfkd.benchmark import macro_f1
from tfkd.benchmark.tflite_benchmark import confusion_matrix
from tfkd._keras import keras
from tfkd.convert import MicroModel


def test_accuracy_and_sizes_match_independent_computation(student, token_data, tmp_path):
    ids, labels, _ = token_data
    path = tmp_path / "student.tflite"
    tfkd.convert(student, "float32", output_path=path)
    result = tfkd.TFLiteBenchmark(warmup=2, runs=10).run("student", path, ids[:60], labels[:60])
    keras_predictions = student.predict(ids[:60], verbose=0).argmax(-1)
    assert result.accuracy == pytest.approx(np.mean(keras_predictions == labels[:60]))
    assert result.size_bytes == path.stat().st_size
    assert result.gzip_bytes == len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
    assert 0 < result.latency_ms_median <= result.latency_ms_p90 <= result.latency_ms_p99
    assert result.examples == 60 and result.to_dict()["name"] == "student"


def test_confusion_matrix_throughput_and_both_xnnpack_settings(student, token_data):
    ids, labels, _ = token_data
    flatbuffer = tfkd.convert(student, "int8", ids)
    keras_predictions = student.predict(ids[:50], verbose=0).argmax(-1)
    for use_xnnpack in (True, False):
        result = tfkd.TFLiteBenchmark(warmup=2, runs=20, use_xnnpack=use_xnnpack).run("s", flatbuffer, ids[:50],
                                                                                      labels[:50])
        matrix = np.array(result.confusion_matrix)
        assert matrix.sum() == 50 and np.trace(matrix) == round(result.accuracy * 50)
        assert matrix[1].sum() == int(labels[:50].sum())  # row = true class
        assert result.use_xnnpack is use_xnnpack
        assert result.throughput_per_second > 0 and result.peak_memory_bytes is None
    assert (np.array(result.confusion_matrix).sum(axis=0)[1] - (keras_predictions == 1).sum()) <= 2


def test_peak_memory_is_measured_in_a_fresh_process(student, token_data):
    ids, labels, _ = token_data
    small = tfkd.convert(student, "int8", ids)
    big = tfkd.convert(tfkd.students.build("cnn", 20000, 16, 2, embedding_dim=64), "float32")  # 5 MB table
    measure = tfkd.TFLiteBenchmark(warmup=1, runs=2, measure_memory=True)
    small_memory = measure.run("small", small, ids[:4], labels[:4]).peak_memory_bytes
    big_memory = measure.run("big", big, ids[:4], labels[:4]).peak_memory_bytes
    assert 0 < small_memory < big_memory and big_memory > 4_000_000


def test_tflm_arena_is_measured_for_micro_models_and_none_for_others(student, token_data):
    ids, labels, _ = token_data
    int8 = tfkd.convert(student, "int8", ids)
    measure = tfkd.TFLiteBenchmark(warmup=1, runs=2, measure_arena=True)
    assert measure.run("micro", int8, ids[:4], labels[:4]).arena_bytes == MicroModel(int8).arena_bytes()
    inputs = keras.Input((16,), dtype="int32")
    hidden = keras.layers.Embedding(50, 8)(inputs)
    gelu = keras.layers.Dense(2, activation="gelu")(keras.layers.Flatten()(hidden))
    no_micro = tfkd.convert(keras.Model(inputs, gelu), "float32")  # TFLM has no GELU kernel
    assert measure.run("mobile", no_micro, ids[:4], labels[:4]).arena_bytes is None
    assert tfkd.TFLiteBenchmark(warmup=1, runs=2).run("off", int8, ids[:4], labels[:4]).arena_bytes is None


def test_confusion_matrix_counts_by_true_and_predicted_class():
    np.testing.assert_array_equal(confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3),
                                  [[1, 1, 0], [0, 1, 0], [1, 0, 1]])


def test_macro_f1_matches_a_hand_computed_case():
    labels = np.array([0, 0, 1, 1, 2])
    predictions = np.array([0, 1, 1, 1, 0])
    # class 0: P=1/2 R=1/2 F=0.5; class 1: P=2/3 R=1 F=0.8; class 2: F=0
    assert macro_f1(labels, predictions) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_inputs_not_matching_the_model_name_both(student, token_data):
    ids, labels, _ = token_data
    flatbuffer = tfkd.convert(student, "float32")
    with pytest.raises(ValueError, match=r"per-example shape \(12,\) and dtype int32; .* expects shape \(16,\)"):
        tfkd.TFLiteBenchmark(runs=1).run("s", flatbuffer, ids[:5, :12], labels[:5])
    with pytest.raises(ValueError, match="dataset for <bytes> is empty"):
        tfkd.TFLiteBenchmark(runs=1).run("s", flatbuffer, ids[:0], labels[:0])


@pytest.mark.parametrize("arguments, message", [
    ({"runs": 0}, "`runs` must be an integer >= 1; received runs=0"),
    ({"num_threads": 0}, "`num_threads` must be an integer >= 1; received num_threads=0"),
    ({"warmup": -1}, "`warmup` must be an integer >= 0; received warmup=-1"),
], ids=["runs", "threads", "warmup"])
def test_bad_settings_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.TFLiteBenchmark(**arguments)


def test_latency_alone_needs_no_labels(student, token_data):
    ids, _, _ = token_data
    timing = tfkd.TFLiteBenchmark(runs=20, warmup=2).latency(tfkd.convert(student, "float32"), ids)
    assert 0 < timing["latency_ms_median"] <= timing["latency_ms_p90"] <= timing["latency_ms_p99"]
    with pytest.raises(ValueError, match="`inputs` is empty"):
        tfkd.TFLiteBenchmark(runs=2).latency(tfkd.convert(student, "float32"), ids[:0])
