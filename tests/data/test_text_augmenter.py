"""tfkd.data.text_augmenter: Tang et al.'s masking and n-grams, EDA's deletion and swap, reproducible."""

import collections

import pytest

from tfkd.data import TextAugmenter
from tfkd.data import text_augmenter
from tests.conftest import assert_config_round_trip

TEXTS = ["the film is a gripping , beautifully acted drama about loss",
         "a dull and lifeless remake", "not bad at all"]


def _off(**kwargs):
    """Every perturbation off except those given."""
    settings = {"mask_probability": 0.0, "ngram_probability": 0.0, **kwargs}
    return TextAugmenter(**settings)


def test_same_seed_same_copies_and_none_equal_an_input():
    first = TextAugmenter(seed=3)(TEXTS, copies=6)
    assert first == TextAugmenter(seed=3)(TEXTS, copies=6)
    assert first != TextAugmenter(seed=4)(TEXTS, copies=6)
    assert len(first) == len(set(first)) and not set(first) & set(TEXTS)
    assert 0 < len(first) <= 6 * len(TEXTS)


def test_masking_every_word():
    assert _off(mask_probability=1.0)(["a good film"], copies=1) == ["[MASK] [MASK] [MASK]"]
    assert _off(mask_probability=1.0, mask_token="<unk>")(["a good film"], copies=1) == ["<unk> <unk> <unk>"]


def test_ngram_sampling_keeps_a_contiguous_window():
    words = TEXTS[0].split()
    for variant in _off(ngram_probability=1.0, max_ngram=3)([TEXTS[0]], copies=20):
        window = variant.split()
        assert 1 <= len(window) <= 3
        assert any(words[start:start + len(window)] == window for start in range(len(words)))


def test_deleting_every_word_gives_nothing_new():
    assert _off(delete_probability=1.0)(TEXTS, copies=3) == []


def test_swaps_keep_the_same_words():
    for variant in _off(swap_probability=0.5)([TEXTS[0]], copies=10):
        assert collections.Counter(variant.split()) == collections.Counter(TEXTS[0].split())


def test_synonyms_without_wordnet_warn_and_are_off(monkeypatch):
    text_augmenter._wordnet.cache_clear()
    monkeypatch.setattr(text_augmenter, "_wordnet", lambda: None)
    with pytest.warns(UserWarning, match="NLTK's WordNet data is not installed"):
        augmenter = TextAugmenter(synonym_probability=0.5)
    assert augmenter.synonym_probability == 0.0


def test_config_round_trips():
    assert_config_round_trip(TextAugmenter(mask_probability=0.2, max_ngram=3, seed=7))


@pytest.mark.parametrize("arguments, message", [
    ({"mask_probability": -0.01}, r"`mask_probability` must be in \[0, 1\]; received mask_probability=-0.01"),
    ({"ngram_probability": 1.01}, r"`ngram_probability` must be in \[0, 1\]; received ngram_probability=1.01"),
    ({"max_ngram": 0}, "max_ngram"),
    ({"seed": -1}, "seed"),
], ids=["mask-below", "ngram-above", "max-ngram", "seed"])
def test_bad_settings_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        TextAugmenter(**arguments)


@pytest.mark.parametrize("probability", [0.0, 1.0], ids=["zero", "one"])
def test_probability_boundaries_are_allowed(probability):
    assert TextAugmenter(mask_probability=probability).mask_probability == probability


def test_bad_copies_are_named():
    with pytest.raises(ValueError, match="copies"):
        TextAugmenter()(TEXTS, copies=0)
