"""tfkd.benchmark.tfidf_baseline: TF-IDF + logistic regression, C chosen on validation."""

import numpy as np
import pytest

from tfkd.benchmark import tfidf_baseline
from tfkd.data import load


@pytest.fixture(scope="module")
def splits(small_dataset):
    return load(small_dataset)


def test_it_learns_the_words_that_decide_the_label(splits):
    result = tfidf_baseline(splits)
    assert result["test_accuracy"] > 0.95  # "great"/"dull" and friends decide every label
    assert result["C"] in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
    assert result["parameters"] > 10 and 0.0 <= result["validation_accuracy"] <= 1.0
    assert result["test_macro_f1"] > 0.95
    # the pickle holds every n-gram and a float64 weight each: more bytes than weights alone
    assert result["size_bytes"] > 8 * result["parameters"]


def test_c_is_the_one_with_the_best_validation_accuracy(splits):
    tried = {c: tfidf_baseline(splits, c_values=[c])["validation_accuracy"] for c in (1e-4, 4.0)}
    chosen = tfidf_baseline(splits, c_values=[1e-4, 4.0])
    assert chosen["validation_accuracy"] == max(tried.values())
    assert np.isclose(chosen["validation_accuracy"], tried[chosen["C"]])


def test_no_c_values_are_refused(splits):
    with pytest.raises(ValueError, match=r"`c_values` must name at least one C; received c_values=\(\)"):
        tfidf_baseline(splits, c_values=())
