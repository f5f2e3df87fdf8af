"""tfkd.convert.tflite_metadata: standard TFLite Metadata for MediaPipe's TextClassifier, and what it refuses.

The real client reading these files is in test_mediapipe_client.py."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.convert import attach_tflite_metadata, read_tflite_metadata

TEXTS = ["a good film", "a bad film", "good acting", "bad plot", "Good!", "so bad."] * 10


@pytest.fixture(scope="module")
def vectorizer():
    return tfkd.data.TextVectorizer("mediapipe", 50, 16).fit(TEXTS)


@pytest.fixture(scope="module")
def student_file(vectorizer):
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("average_embedding", vectorizer.vocabulary_length, 16, 2)
    return student, tfkd.convert(student, "int8", vectorizer(TEXTS), output_type="float32")


def test_the_metadata_names_the_tokenizer_vocabulary_and_labels(vectorizer, student_file):
    student, flatbuffer = student_file
    model = attach_tflite_metadata(flatbuffer, vectorizer, ["negative", "positive"])
    metadata = read_tflite_metadata(model)
    assert (metadata["name"], metadata["min_parser_version"]) == ("TextClassifier", "1.2.1")
    assert metadata["delimiter"] == r"[^\w']+"
    assert (metadata["vocabulary_file"], metadata["labels_file"]) == ("vocab.txt", "labels.txt")
    assert metadata["labels"] == ["negative", "positive"]
    assert metadata["files"]["vocab.txt"] == vectorizer.mediapipe_vocabulary_text()
    assert metadata["files"]["vocab.txt"].startswith("<PAD> 0\n<START> 1\n<UNKNOWN> 2\n")
    # the model computes exactly as before
    ids = vectorizer(TEXTS)
    np.testing.assert_array_equal(tfkd.TFLiteModel(model).predict(ids), tfkd.TFLiteModel(flatbuffer).predict(ids))


def test_a_float_output_keeps_every_op_int8_and_matches_the_int8_output(vectorizer, student_file):
    from tfkd.convert.converter import float_tensors

    student, float_out = student_file
    int8_out = tfkd.convert(student, "int8", vectorizer(TEXTS))
    assert float_tensors(float_out) == []  # only the output itself is float32
    ids = vectorizer(TEXTS)
    float_scores, int8_scores = tfkd.TFLiteModel(float_out).predict(ids), tfkd.TFLiteModel(int8_out).predict(ids)
    np.testing.assert_allclose(float_scores, int8_scores, atol=1e-6)  # TFLiteModel dequantizes the int8 one
    assert abs(len(float_out) - len(int8_out)) < 1024  # one DEQUANTIZE op more


@pytest.mark.parametrize("labels, message", [
    (["only one"], r"`labels` must name the model's 2 classes in output order; received labels=\['only one'\]"),
    ("negative,positive", r"`labels` must name the model's 2 classes .*received labels='negative,positive'"),
    (None, r"received labels=None"),
], ids=["wrong count", "a string", "none"])
def test_labels_of_the_wrong_count_are_named(vectorizer, student_file, labels, message):
    with pytest.raises(ValueError, match=message):
        attach_tflite_metadata(student_file[1], vectorizer, labels)


def test_a_vectorizer_mediapipe_cannot_reproduce_is_refused(student_file):
    word = tfkd.data.TextVectorizer("word", 50, 16).fit(TEXTS)
    with pytest.raises(ValueError, match=r"reproduces the ids of kind='mediapipe' only; this vectorizer is "
                                         r"kind='word'"):
        attach_tflite_metadata(student_file[1], word, ["negative", "positive"])


def test_inputs_and_outputs_mediapipe_cannot_use_are_named(vectorizer, student_file):
    student, _ = student_file
    with pytest.raises(ValueError, match=r"one int32 input \[1, 16\] .*; the model takes \[\(\(1, 16\), 'float32'\)\]"):
        floats = keras.Input((16,), batch_size=1)
        attach_tflite_metadata(tfkd.convert(keras.Model(floats, keras.layers.Dense(2)(floats)), "float32"),
                               vectorizer, ["negative", "positive"])
    with pytest.raises(ValueError, match=r"one int32 input \[1, 8\] \(the vectorizer's sequence_length\); the "
                                         r"model takes \[\(\(1, 16\), 'int32'\)\]"):
        attach_tflite_metadata(student_file[1], tfkd.data.TextVectorizer("mediapipe", 50, 8).fit(TEXTS),
                               ["negative", "positive"])
    with pytest.raises(ValueError, match=r"needs one float32 or uint8 output \[1, classes\]; the model gives "
                                         r"\[\(\(1, 2\), 'int8'\)\]. Convert an int8 student with output_type='float32'"):
        attach_tflite_metadata(tfkd.convert(student, "int8", vectorizer(TEXTS)), vectorizer, ["negative", "positive"])


def test_metadata_is_attached_once_and_a_model_without_it_is_named(vectorizer, student_file, tmp_path):
    model = attach_tflite_metadata(student_file[1], vectorizer, ["negative", "positive"])
    with pytest.raises(ValueError, match="already carries TFLITE_METADATA"):
        attach_tflite_metadata(model, vectorizer, ["negative", "positive"])
    path = tmp_path / "plain.tflite"
    path.write_bytes(student_file[1])
    with pytest.raises(ValueError, match=rf"{path} carries no TFLITE_METADATA; add it with attach_tflite_metadata"):
        read_tflite_metadata(path)


def test_output_type_is_checked():
    model = tfkd.students.build("average_embedding", 50, 16, 2)
    with pytest.raises(ValueError, match=r"`output_type` is \['int8', 'float32'\] in mode 'int8' \(or None\); "
                                         r"received output_type='uint8' with mode='int8'"):
        tfkd.convert(model, "int8", np.zeros((4, 16), "int32"), output_type="uint8")
    with pytest.raises(ValueError, match=r"received output_type='float32' with mode='float16'"):
        tfkd.convert(model, "float16", output_type="float32")
