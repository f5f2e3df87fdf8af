"""tfkd.convert.mobile_metadata: an app finds labels, vocabulary and tokenizer inside the .tflite."""

import io
import zipfile

import numpy as np
import pytest

import tfkd
from tfkd.convert import MicroModel, attach_metadata, read_metadata

TEXTS = ["a good film", "a bad film", "not good", "truly bad"] * 5


@pytest.fixture(scope="module")
def converted():
    vectorizer = tfkd.data.TextVectorizer("word", 50, 16).fit(TEXTS)
    student = tfkd.students.build("cnn", vectorizer.vocabulary_length, 16, 2)
    ids = vectorizer(TEXTS)
    return vectorizer, ids, tfkd.convert(student, "int8", ids)


def test_the_model_predicts_as_before_in_litert_and_tflm(converted):
    vectorizer, ids, flatbuffer = converted
    model = attach_metadata(flatbuffer, vectorizer, ["negative", "positive"])
    np.testing.assert_array_equal(tfkd.TFLiteModel(model).predict(ids), tfkd.TFLiteModel(flatbuffer).predict(ids))
    np.testing.assert_array_equal(MicroModel(model).predict(ids[:3]), MicroModel(flatbuffer).predict(ids[:3]))


def test_metadata_round_trips_with_what_an_app_needs(converted, tmp_path):
    vectorizer, _, flatbuffer = converted
    path = tmp_path / "model.tflite"
    path.write_bytes(attach_metadata(flatbuffer, vectorizer, ["negative", "positive"], description="MR sentiment"))
    metadata = read_metadata(path)
    assert metadata["labels"] == ["negative", "positive"]
    assert metadata["vocabulary"] == vectorizer.vocabulary
    assert metadata["tokenizer"]["sequence_length"] == 16 and metadata["tokenizer"]["unknown_id"] == 1
    assert metadata["inputs"][0]["dtype"] == "int32" and metadata["inputs"][0]["shape"] == [1, 16]
    output = tfkd.TFLiteModel(flatbuffer).output_details[0]
    assert (metadata["output"]["scale"], metadata["output"]["zero_point"]) == pytest.approx(output["quantization"])
    # What java.util.zip.ZipFile sees on Android.
    assert sorted(zipfile.ZipFile(path).namelist()) == ["labels.txt", "tfkd.json", "vocab.txt"]


def test_a_hashed_vectorizer_ships_its_hash_instead_of_a_vocabulary():
    vectorizer = tfkd.data.TextVectorizer("hashed", 100, 16)
    model = tfkd.students.build("cnn", vectorizer.vocabulary_length, 16, 2)
    metadata = read_metadata(attach_metadata(tfkd.convert(model, "float32"), vectorizer, ["negative", "positive"]))
    tokenizer = metadata["tokenizer"]
    assert metadata["vocabulary"] == ["[PAD]", "[UNK]"]
    assert (tokenizer["kind"], tokenizer["hash"], tokenizer["hash_buckets"], tokenizer["hash_first_id"]) == (
        "hashed", "fnv1a_32", 98, 2)
    # The recipe docs/deploy.md gives an app, applied to one word, gives the vectorizer's id.
    word_id = tokenizer["hash_first_id"] + tfkd.data.text_vectorizer.fnv1a_32("film") % tokenizer["hash_buckets"]
    assert vectorizer(["film"])[0, 0] == word_id


def test_the_flatbuffer_metadata_table_holds_the_same_json(converted):
    from tensorflow.lite.tools import flatbuffer_utils

    vectorizer, _, flatbuffer = converted
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(attach_metadata(flatbuffer, vectorizer)))
    (entry,) = [entry for entry in model.metadata if entry.name == b"tfkd"]
    assert b'"sequence_length": 16' in bytes(model.buffers[entry.buffer].data)


def test_mistakes_are_named(converted, tmp_path):
    vectorizer, _, flatbuffer = converted
    with pytest.raises(ValueError, match="`labels` has 3 names; the model has 2 outputs"):
        attach_metadata(flatbuffer, labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="already carries tfkd metadata"):
        attach_metadata(attach_metadata(flatbuffer), vectorizer)
    path = tmp_path / "plain.tflite"
    path.write_bytes(flatbuffer)
    with pytest.raises(ValueError, match="plain.tflite carries no tfkd metadata"):
        read_metadata(path)
    assert zipfile.is_zipfile(io.BytesIO(flatbuffer)) is False
