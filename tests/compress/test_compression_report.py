"""tfkd.compress.compression_report: counts read through TF-MOT wrappers and from the flatbuffer itself."""

import gzip

import numpy as np

import tfkd
from tfkd.compress import compression_report, pruning_callbacks, strip_pruning
from tfkd.compress.compression_report import tflite_constants


def test_dense_student_counts_match_keras_and_the_file(student):
    rng = np.random.default_rng(0)
    # distinct values everywhere: the converter stores identical constants (e.g. zero biases) once
    student.set_weights([rng.normal(size=weight.shape).astype("float32") for weight in student.get_weights()])
    content = tfkd.convert(student, "float32")
    report = compression_report(student, {"float32": content})
    parameters = student.count_params()
    assert report["parameters"] == parameters
    assert report["bytes"] == {"float32": 4 * parameters, "float16": 2 * parameters, "int8": parameters,
                               "ternary": int(np.ceil(parameters / 4)), "binary": int(np.ceil(parameters / 8))}
    stored = report["files"]["float32"]
    assert stored["bytes"] == len(content)
    assert stored["gzip_bytes"] == len(gzip.compress(content, compresslevel=9, mtime=0))
    # every weight is in the file once (plus a few shape constants the converter adds)
    assert parameters <= stored["weights"] <= parameters + 64


def test_pruned_student_counts_nonzero_through_the_wrappers_and_in_the_int8_file(student, token_data):
    ids, labels, _ = token_data
    pruned = tfkd.prune(student, 0.5, end_step=4, frequency=1)
    pruned.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    pruned.fit(ids[:128], labels[:128], batch_size=32, epochs=1, callbacks=pruning_callbacks(), verbose=0)
    wrapped = compression_report(pruned)
    assert wrapped["parameters"] == student.count_params()  # masks and thresholds are not parameters
    stripped = strip_pruning(pruned)
    report = compression_report(stripped, {"int8": tfkd.convert(stripped, "int8", representative_data=ids[:32])})
    assert report["nonzero"] == wrapped["nonzero"] < 0.6 * report["parameters"]
    assert report["files"]["int8"]["nonzero_weights"] < 0.6 * report["files"]["int8"]["weights"]


def test_constants_are_read_with_their_stored_types(student, token_data):
    content = tfkd.convert(student, "int8", representative_data=token_data[0][:32])
    dtypes = {values.dtype.name for values in tflite_constants(content)}
    assert "int8" in dtypes and "int32" in dtypes  # int8 kernels, int32 biases
