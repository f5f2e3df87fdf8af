"""tfkd.teachers: the bundled MiniLM loads offline, tokenizes, converts, saves and reloads."""

import warnings

import numpy as np
import pytest

import tfkd
from tfkd.teachers import TextClassifierTeacher, minilm_dir

TEXTS = ["a moving, beautifully acted film", "a tedious mess", "not bad at all"]


@pytest.fixture(scope="module")
def teacher():
    return TextClassifierTeacher.from_preset("minilm", num_classes=2, sequence_length=16)


def test_bundled_weights_are_minilm(teacher):
    assert (minilm_dir() / "model.safetensors").stat().st_size > 80e6
    backbone = teacher.model.backbone
    # all-MiniLM-L6-v2: 6 layers, hidden 384, 22.7M backbone parameters (its config.json).
    assert (backbone.num_layers, backbone.hidden_dim) == (6, 384)
    assert backbone.count_params() == 22_713_216


def test_preprocess_and_logits_shapes(teacher):
    features = teacher.preprocess(TEXTS)
    assert set(features) == {"token_ids", "padding_mask", "segment_ids"}
    assert all(value.shape == (3, 16) and value.dtype == np.int32 for value in features.values())
    assert features["token_ids"][0, 0] == 101  # [CLS] in MiniLM's vocab.txt
    assert teacher.logits(TEXTS, batch_size=2).shape == (3, 2)


def test_teacher_converts_to_tflite_with_the_same_logits(teacher):
    flatbuffer = tfkd.convert(teacher.model, "float32", sequence_length=16)
    features = teacher.preprocess(TEXTS)
    np.testing.assert_allclose(tfkd.TFLiteModel(flatbuffer).predict(features), teacher.logits(TEXTS), atol=1e-4)


def test_save_load_round_trip_keeps_logits_and_info(teacher, tmp_path):
    teacher.save(tmp_path / "t")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = TextClassifierTeacher.load(tmp_path / "t")
    assert [str(warning.message) for warning in caught] == []  # nothing a user could act on is printed
    assert loaded.preset == "minilm" and loaded.info == teacher.info
    np.testing.assert_allclose(loaded.logits(TEXTS), teacher.logits(TEXTS), atol=1e-5)
    with pytest.raises(FileExistsError, match="model.keras already exists"):
        teacher.save(tmp_path / "t")


def test_offline_preset_error_names_the_bundled_teacher():
    with pytest.raises(ConnectionError, match="use the bundled teacher: preset='minilm'"):
        TextClassifierTeacher.from_preset("bert_tiny_en_uncased_no_such_preset", 2)


def test_load_of_a_folder_without_a_teacher_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.keras is missing"):
        TextClassifierTeacher.load(tmp_path)


def test_length_bucketed_logits_equal_fully_padded_ones(teacher):
    texts = TEXTS + ["a", "an entirely different and much longer review of a film that goes on"]
    expected = np.asarray(teacher.model.predict_on_batch(texts))  # padded to 16 by the preprocessor
    np.testing.assert_allclose(teacher.logits(texts, batch_size=2), expected, atol=1e-4)


def test_word_vectors_are_the_backbones_mean_pooled_output(teacher):
    words = ["good", "terrible", "film", "[UNK]", "unbelievably"]
    vectors = teacher.word_vectors(words, batch_size=2)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    # Reference: the backbone on one word, averaged over its unpadded tokens.
    features = teacher.preprocess(["unbelievably"])
    sequence = np.asarray(teacher.model.backbone(features)["sequence_output"])[0]
    mask = features["padding_mask"][0].astype(bool)
    np.testing.assert_allclose(vectors[4], sequence[mask].mean(axis=0), atol=1e-4)
    assert teacher.model.preprocessor.sequence_length == 16  # restored after the word-length pass


def test_sentence_embeddings_are_masked_means_that_rank_by_meaning(teacher):
    texts = ["a moving, beautifully acted film", "a touching movie with wonderful actors",
             "the stock market fell sharply on monday"]
    embeddings = teacher.sentence_embeddings(texts, batch_size=2)
    assert embeddings.shape == (3, 384) and embeddings.dtype == np.float32
    # Reference: the backbone on every text padded to 16, averaged over its unpadded tokens
    # (the embeddings were computed in batches cut to their longest text).
    features = teacher.preprocess(texts)
    sequences = np.asarray(teacher.model.backbone(features)["sequence_output"])  # [texts, 16, 384]
    for row, (sequence, mask) in enumerate(zip(sequences, features["padding_mask"].astype(bool))):
        np.testing.assert_allclose(embeddings[row], sequence[mask].mean(axis=0), atol=1e-4)
    similarity = tfkd.benchmark.cosine_similarities(embeddings, embeddings)
    assert similarity[0, 1] > similarity[0, 2] + 0.2  # all-MiniLM-L6-v2 is a semantic-similarity model
