"""tfkd.data.text_vectorizer: texts -> ids, saved beside the model, reloaded identically."""

import numpy as np
import pytest

import tfkd

from tfkd.data import TextVectorizer
from tfkd.data.text_vectorizer import fnv1a_32

TEXTS = ["A good film, truly good.", "A bad film!", "Good acting; bad plot.", "Nothing new here"] * 5


@pytest.mark.parametrize("kind", ["word", "wordpiece"])
def test_ids_have_fixed_shape_padding_and_known_tokens(kind):
    vectorizer = TextVectorizer(kind, vocabulary_size=50, sequence_length=16).fit(TEXTS)
    ids = vectorizer(["a good film", "zebra"])
    assert ids.shape == (2, 16) and ids.dtype == np.int32
    used = int((ids[0] != 0).sum())  # wordpiece may split a word into several pieces
    assert used >= 3 and (ids[0, :used] > 1).all() and (ids[0, used:] == 0).all()  # known tokens, then padding
    assert vectorizer.vocabulary[:2] == ["[PAD]", "[UNK]"]
    assert vectorizer.vocabulary_length <= 50


def test_word_vocabulary_is_by_frequency_then_alphabetical():
    vectorizer = TextVectorizer("word", vocabulary_size=5, sequence_length=4).fit(["b a", "a c", "a b"])
    assert vectorizer.vocabulary == ["[PAD]", "[UNK]", "a", "b", "c"]
    assert vectorizer(["c zz a"]).tolist() == [[4, 1, 2, 0]]


def test_long_texts_are_cut_to_sequence_length():
    vectorizer = TextVectorizer("word", vocabulary_size=50, sequence_length=3).fit(TEXTS)
    assert vectorizer(["good good good good good"]).shape == (1, 3)


@pytest.mark.parametrize("word, expected", [("", 0x811C9DC5), ("a", 0xE40C292C), ("foobar", 0xBF9CF968)])
def test_fnv1a_matches_the_reference_test_vectors(word, expected):
    # Test vectors from the FNV reference (Noll, "FNV hash", test suite for FNV-1a 32-bit).
    assert fnv1a_32(word) == expected


def test_hashed_words_need_no_vocabulary_and_land_in_their_buckets():
    vectorizer = TextVectorizer("hashed", vocabulary_size=1000, sequence_length=6)
    ids = vectorizer(["a good film", "zebra good"])  # no fit: nothing to learn
    assert vectorizer.fit(TEXTS) is vectorizer and vectorizer.vocabulary_length == 1000
    assert ids[0, 1] == ids[1, 1] == 2 + fnv1a_32("good") % 998  # an unseen word ("zebra") gets a bucket too
    assert ids[1, 0] == 2 + fnv1a_32("zebra") % 998 and (ids[:, :2] >= 2).all() and (ids[:, 3:] == 0).all()
    settings = vectorizer.tokenizer_settings()
    assert (settings["hash"], settings["hash_buckets"], settings["hash_first_id"]) == ("fnv1a_32", 998, 2)


def test_hashed_with_one_bucket_maps_every_word_to_id_2():
    assert TextVectorizer("hashed", vocabulary_size=3, sequence_length=3)(["x y"]).tolist() == [[2, 2, 0]]


@pytest.mark.parametrize("kind", ["word", "wordpiece", "hashed"])
def test_save_load_round_trip_gives_the_same_ids(kind, tmp_path):
    vectorizer = TextVectorizer(kind, vocabulary_size=50, sequence_length=16, stopwords=True).fit(TEXTS)
    vectorizer.save(tmp_path / "tok")
    loaded = TextVectorizer.load(tmp_path / "tok")
    assert loaded.get_config() == vectorizer.get_config()
    np.testing.assert_array_equal(loaded(TEXTS), vectorizer(TEXTS))
    assert (tmp_path / "tok" / "vocab.txt").read_text().splitlines()[:2] == ["[PAD]", "[UNK]"]


def test_config_round_trip():
    vectorizer = TextVectorizer("word", vocabulary_size=20, sequence_length=8).fit(TEXTS)
    assert TextVectorizer.from_config(vectorizer.get_config()).get_config() == vectorizer.get_config()


def test_save_refuses_to_overwrite(tmp_path):
    vectorizer = TextVectorizer("word", vocabulary_size=20, sequence_length=8).fit(TEXTS)
    vectorizer.save(tmp_path)
    before = (tmp_path / "vocab.txt").read_bytes()
    with pytest.raises(FileExistsError, match="vocab.txt already exists"):
        TextVectorizer("word", vocabulary_size=10, sequence_length=8).fit(["x y"]).save(tmp_path)
    assert (tmp_path / "vocab.txt").read_bytes() == before


@pytest.mark.parametrize("arguments, message", [
    ({"kind": "bpe"}, r"`kind` must be one of \['wordpiece', 'word', 'hashed', 'mediapipe'\]; received kind='bpe'"),
    ({"vocabulary_size": 2}, r"`vocabulary_size` must be an integer >= 3; received vocabulary_size=2"),
    ({"vocabulary_size": 3}, None),
    ({"sequence_length": 0}, r"`sequence_length` must be an integer >= 1; received sequence_length=0"),
    ({"sequence_length": 1}, None),
    ({"tokenizer": "spacy"}, r"`tokenizer` must be 'regex' or 'nltk'; received tokenizer='spacy'"),
], ids=["kind", "vocab-2", "vocab-3", "length-0", "length-1", "tokenizer"])
def test_bad_settings_are_named(arguments, message):
    if message is None:
        TextVectorizer(**arguments)
    else:
        with pytest.raises(ValueError, match=message):
            TextVectorizer(**arguments)


def test_unfitted_and_string_input_errors():
    with pytest.raises(ValueError, match="call `fit"):
        TextVectorizer("word")(["text"])
    with pytest.raises(TypeError, match="not one string"):
        TextVectorizer("word").fit("a single string")
    with pytest.raises(ValueError, match="`texts` is empty"):
        TextVectorizer("word").fit([])


def test_missing_files_on_load_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json is missing"):
        TextVectorizer.load(tmp_path)


def test_mediapipe_kind_gives_the_ids_mediapipes_regex_tokenizer_computes():
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 6).fit(["a good film", "a bad film", "don't go"])
    assert vectorizer.vocabulary[:3] == ["<PAD>", "<START>", "<UNKNOWN>"]
    good, film, bad, dont = (vectorizer.vocabulary.index(word) for word in ("good", "film", "bad", "don't"))
    ids = vectorizer(["Good film!", "GOOD, bad", "don't", "gOOd café", "good_film", "a a a a a a a"])
    np.testing.assert_array_equal(ids[:5], [
        [1, good, film, 0, 0, 0],  # <START> first; capitalised words find the lowercase entry
        [1, good, bad, 0, 0, 0],   # punctuation is a delimiter, never a token
        [1, dont, 0, 0, 0, 0],     # apostrophes stay inside words
        [1, 2, 2, 0, 0, 0],        # mixed case and non-ASCII letters (RE2's \w is ASCII) are unknown
        [1, 2, 0, 0, 0, 0],        # the underscore is a word character
    ])
    assert list(ids[5]) == [1] + [vectorizer.vocabulary.index("a")] * 5  # <START> + the first length - 1 tokens
    assert vectorizer.tokenizer_settings()["unknown_id"] == 2 and vectorizer.tokenizer_settings()["start_id"] == 1
    lines = vectorizer.mediapipe_vocabulary_text().split("\n")
    assert {f"good {good}", f"Good {good}", f"GOOD {good}", f"don't {dont}", f"Don't {dont}"} <= set(lines)


def test_mediapipe_kind_without_lowercase_keeps_the_case_of_the_training_text():
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 4, lowercase=False).fit(["Good film", "good film"])
    ids = vectorizer(["Good", "good", "GOOD"])
    assert ids[0, 1] != ids[1, 1] and ids[2, 1] == 2
    assert "GOOD" not in vectorizer.mediapipe_vocabulary_text()


def test_mediapipe_kind_refuses_stopwords_and_round_trips_through_save(tmp_path):
    with pytest.raises(ValueError, match=r"kind='mediapipe' .* cannot drop stopwords; received stopwords=True"):
        tfkd.data.TextVectorizer("mediapipe", stopwords=True)
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 6).fit(["a good film", "a bad film"])
    reloaded = tfkd.data.TextVectorizer.load(vectorizer.save(tmp_path / "tokenizer"))
    np.testing.assert_array_equal(reloaded(["A good film"]), vectorizer(["A good film"]))


@pytest.mark.parametrize("kind", ["word", "wordpiece", "mediapipe"])
@pytest.mark.parametrize("texts", [[""], ["", "   ", "\n"]], ids=["one empty", "all blank"])
def test_a_vocabulary_is_not_learned_from_empty_texts(kind, texts):
    # WordPiece's trainer raised a bare StopIteration; the word kinds learned a vocabulary of reserved tokens.
    with pytest.raises(ValueError, match=rf"all {len(texts)} of `texts` are empty or whitespace; a {kind} vocabulary"):
        TextVectorizer(kind, 100, 16).fit(texts)
    assert TextVectorizer("hashed", 100, 16).fit(texts)(texts).shape == (len(texts), 16)  # hashing learns nothing
