"""tfkd.compress.vocabulary_pruning: the most frequent words keep their rows, the rest read as unknown."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress import prune_vocabulary

# "film" x4, "good" x3, "bad" x2, then "dull", "plot", "zany" once each (vocabulary ranked by frequency).
TEXTS = ["good film", "good film plot", "bad film", "bad film good", "dull zany"]


@pytest.fixture
def vectorizer():
    return tfkd.data.TextVectorizer("word", vocabulary_size=50, sequence_length=8).fit(TEXTS)


@pytest.fixture
def model(vectorizer):
    keras.utils.set_random_seed(0)
    return tfkd.students.build("average_embedding", vectorizer.vocabulary_length, 8, 2)


def test_kept_words_give_the_same_logits_and_dropped_ones_read_as_unknown(model, vectorizer):
    assert vectorizer.vocabulary[2:5] == ["film", "good", "bad"]
    small, small_vectorizer = prune_vocabulary(model, vectorizer, keep=5)
    assert small_vectorizer.vocabulary == ["[PAD]", "[UNK]", "film", "good", "bad"]
    assert small.get_layer("embedding").input_dim == 5 and model.get_layer("embedding").input_dim == 8
    kept = ["good film", "bad bad film"]
    np.testing.assert_allclose(small.predict(small_vectorizer(kept), verbose=0),
                               model.predict(vectorizer(kept), verbose=0), atol=1e-6)
    assert small_vectorizer(["zany film"])[0, :2].tolist() == [1, 2]
    np.testing.assert_array_equal(small.get_layer("embedding").get_weights()[0][1],
                                  model.get_layer("embedding").get_weights()[0][1])  # no texts: unknown row kept


def test_unknown_row_is_the_frequency_weighted_mean_of_the_rows_it_replaces(model, vectorizer):
    table = model.get_layer("embedding").get_weights()[0]
    texts = ["plot plot dull", "qqq"]  # plot x2, dull x1, an unknown word x1
    small, _ = prune_vocabulary(model, vectorizer, keep=5, texts=texts)
    ids = {word: vectorizer.vocabulary.index(word) for word in ("plot", "dull")}
    expected = (2 * table[ids["plot"]] + table[ids["dull"]] + table[1]) / 4
    np.testing.assert_allclose(small.get_layer("embedding").get_weights()[0][1], expected, rtol=1e-6)


def test_pruned_student_converts_smaller(model, vectorizer):
    small, small_vectorizer = prune_vocabulary(model, vectorizer, keep=3)
    ids = small_vectorizer(TEXTS)
    assert len(tfkd.convert(small, "float32")) < len(tfkd.convert(model, "float32"))
    np.testing.assert_allclose(tfkd.TFLiteModel(tfkd.convert(small, "float32")).predict(ids),
                               small.predict(ids, verbose=0), atol=1e-5)


@pytest.mark.parametrize("keep, ok", [(2, False), (3, True), (8, True), (9, False)],
                         ids=["below-reserved+1", "smallest", "all", "above-vocabulary"])
def test_keep_boundaries(model, vectorizer, keep, ok):
    if ok:
        assert prune_vocabulary(model, vectorizer, keep)[1].vocabulary_length == keep
    elif keep == 2:
        with pytest.raises(ValueError, match="`keep` must be an integer >= 3; received keep=2"):
            prune_vocabulary(model, vectorizer, keep)
    else:
        with pytest.raises(ValueError, match="`keep` must be at most the vocabulary length 8; received keep=9"):
            prune_vocabulary(model, vectorizer, keep)


def test_a_wordpiece_vectorizer_is_refused(model):
    wordpiece = tfkd.data.TextVectorizer("wordpiece", vocabulary_size=50, sequence_length=8).fit(TEXTS)
    with pytest.raises(ValueError, match="must be a fitted TextVectorizer of kind 'word' .*received kind='wordpiece'"):
        prune_vocabulary(model, wordpiece, 4)


def test_a_model_without_a_matching_table_is_named(vectorizer):
    other = tfkd.students.build("cnn", 30, 8, 2)
    with pytest.raises(ValueError, match=r"'cnn_student' needs exactly one Embedding layer with 8 rows .*"
                                         r"found \(name, rows\): \[\('embedding', 30\)\]"):
        prune_vocabulary(other, vectorizer, 4)
