"""tfkd.convert.deploy: verified files for a phone or a microcontroller, nothing overwritten."""

import json

import numpy as np

import pytest

import tfkd
from tfkd._keras import keras
from tfkd.convert import deploy, read_metadata


def test_micro_writes_model_c_source_and_report(student, token_data, tmp_path):
    ids, _, _ = token_data
    report = deploy(student, "micro", tmp_path, ids, validation_data=ids[:50], name="sentiment")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentiment.cc", "sentiment.h", "sentiment.json",
                                                           "sentiment.tflite"]
    assert report["flash_bytes"] == (tmp_path / "sentiment.tflite").stat().st_size
    assert f"sentiment_arena_size = {report['arena_bytes']};" in (tmp_path / "sentiment.h").read_text()
    assert report["verification"]["tflm"]["top1_agreement"] >= 0.99
    assert json.loads((tmp_path / "sentiment.json").read_text())["arena_bytes"] == report["arena_bytes"]


def test_a_given_flatbuffer_is_deployed_as_it_is(student, token_data, tmp_path):
    ids, _, _ = token_data
    flatbuffer = tfkd.convert(student, "int8", ids)
    report = deploy(student, "micro", tmp_path, validation_data=ids[:50], flatbuffer=flatbuffer)
    assert (tmp_path / "model.tflite").read_bytes() == flatbuffer
    assert report["verification"]["litert"]["top1_agreement"] >= 0.99


def test_mobile_carries_metadata(student, token_data, tmp_path):
    ids, _, _ = token_data
    vectorizer = tfkd.data.TextVectorizer("word", 50, 16).fit(["a good film", "a bad film"])
    deploy(student, "mobile", tmp_path, ids, vectorizer=vectorizer, labels=["negative", "positive"])
    assert read_metadata(tmp_path / "model.tflite")["labels"] == ["negative", "positive"]


def test_existing_files_are_kept_and_targets_named(student, token_data, tmp_path):
    ids, _, _ = token_data
    (tmp_path / "model.json").write_text("mine")
    with pytest.raises(FileExistsError, match=r"already holds \['model.json'\]; refusing to overwrite them"):
        deploy(student, "micro", tmp_path, ids)
    assert (tmp_path / "model.json").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    with pytest.raises(ValueError, match=r"`target` must be one of \['mobile', 'micro'\]; received target='cloud'"):
        deploy(student, "cloud", tmp_path, ids)


def test_mobile_with_a_mediapipe_vectorizer_writes_standard_metadata_and_float_scores(tmp_path):
    from tfkd.convert import read_tflite_metadata

    texts = ["a good film", "a bad film", "Good!", "so bad."] * 10
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 16).fit(texts)
    ids = vectorizer(texts)
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("average_embedding", vectorizer.vocabulary_length, 16, 2)
    student.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    student.fit(ids, np.array([1, 0, 1, 0] * 10), epochs=20, verbose=0)  # clear margins: int8 keeps every top-1
    flatbuffer = tfkd.convert(student, "int8", ids)  # int8 scores out: converted again for MediaPipe
    with pytest.raises(ValueError, match=r"needs `representative_data` .*; received None"):
        deploy(student, "mobile", tmp_path, vectorizer=vectorizer, labels=["negative", "positive"], flatbuffer=flatbuffer)
    report = deploy(student, "mobile", tmp_path, ids, ids, vectorizer=vectorizer, labels=["negative", "positive"],
                    flatbuffer=flatbuffer, name="student")
    model = (tmp_path / "student.tflite").read_bytes()
    assert read_tflite_metadata(model)["labels"] == ["negative", "positive"]
    assert tfkd.TFLiteModel(model).output_details[0]["dtype"] == np.float32
    assert report["verification"]["litert"]["top1_agreement"] >= 0.99
