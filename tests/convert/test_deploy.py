"""tfkd.convert.deploy: verified files for a phone or a microcontroller, nothing overwritten."""

import json

import pytest

import tfkd
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
