"""tfkd.data.preprocess: NLTK tokenization and stopwords without downloaded NLTK data."""

import pytest

from tfkd.data.preprocess import ENGLISH_STOPWORDS, remove_stopwords, word_tokenize


def test_nltk_tokenizer_works_without_punkt_data():
    assert word_tokenize("It isn't bad.", "nltk") == ["It", "is", "n't", "bad", "."]


def test_regex_tokenizer_keeps_apostrophes_and_splits_punctuation():
    assert word_tokenize("It isn't bad, really!") == ["It", "isn't", "bad", ",", "really", "!"]


def test_stopwords_are_removed_case_insensitively():
    assert remove_stopwords(["The", "movie", "is", "not", "great"]) == ["movie", "great"]
    assert len(ENGLISH_STOPWORDS) == 179  # size of NLTK's English list (nltk_data stopwords/english)


def test_unknown_tokenizer_is_named():
    with pytest.raises(ValueError, match="received tokenizer='spacy'"):
        word_tokenize("x", "spacy")
