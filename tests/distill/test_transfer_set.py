"""tfkd.distill.TransferSet: teacher-labelled transfer texts joined to a dataset, logits cached."""

import numpy as np
import pytest

import tfkd
from tfkd.distill import TransferSet
from tfkd.distill.transfer_set import variants_in_rounds


def _teacher(texts):
    """Class 1 when a text has more than 6 words: a teacher whose labels can be checked."""
    return np.array([[0.0, 1.0] if len(text.split()) > 6 else [1.0, 0.0] for text in texts], "float32")


def _refusing_teacher(texts):
    raise AssertionError("the cached logits should have been reused")


@pytest.fixture(scope="module")
def splits(small_dataset):
    return tfkd.data.load(small_dataset)


def test_variants_join_the_training_texts_labelled_by_the_teacher(splits, tmp_path):
    transfer = TransferSet.build(splits, _teacher, tmp_path, copies=3)
    assert transfer.transfer_splits == ["train", "augmented"]
    variants = transfer.texts["augmented"]
    assert len(train_texts := transfer.texts["train"]) < len(variants) <= 3 * len(train_texts)
    assert not set(variants) & set(train_texts)
    np.testing.assert_array_equal(transfer.labels["augmented"], _teacher(variants).argmax(-1))
    np.testing.assert_array_equal(transfer.labels["test"], splits.test.labels)  # labelled splits keep theirs
    vectorizer = tfkd.data.TextVectorizer("word", 100, 16).fit(splits.train.texts)
    batches = list(transfer.dataset(vectorizer, transfer.transfer_splits, batch_size=1000))
    assert sum(len(ids) for ids, _, _ in batches) == len(train_texts) + len(variants)


def test_more_copies_keep_the_earlier_rounds_and_their_cached_logits(splits, tmp_path):
    first = TransferSet.build(splits, _teacher, tmp_path, copies=4, round_size=4)
    more = TransferSet.build(splits, _refusing_teacher_for(first), tmp_path, copies=6, round_size=4)
    assert more.texts["augmented"] == first.texts["augmented"]
    assert list(more.texts) == ["train", "validation", "test", "augmented", "augmented_2"]
    assert not set(more.texts["augmented_2"]) & set(more.texts["augmented"])  # a variant drawn before is dropped
    again = TransferSet.build(splits, _refusing_teacher, tmp_path, copies=6, round_size=4)
    for split in more.texts:
        np.testing.assert_array_equal(again.logits[split], more.logits[split])


def _refusing_teacher_for(earlier):
    """Labels only texts `earlier` did not: every split it built must come from the cache."""
    known = {text for texts in earlier.texts.values() for text in texts}

    def teacher(texts):
        if set(texts) & known:
            raise AssertionError("a split that was labelled before was labelled again")
        return _teacher(texts)

    return teacher


def test_other_domain_sentences_join_without_the_datasets_own(splits, tmp_path):
    transfer = TransferSet.build(splits, _teacher, tmp_path, corpora=["tweets"], corpus_copies=1)
    assert transfer.transfer_splits == ["train", "other_domain", "other_domain_augmented"]
    assert transfer.texts["other_domain"] == tfkd.data.transfer_texts(["tweets"])
    assert transfer.teacher_accuracy("train") == pytest.approx(
        np.mean(_teacher(splits.train.texts).argmax(-1) == splits.train.labels))


@pytest.mark.parametrize("settings, message", [
    ({"copies": -1}, r"`copies` must be an integer >= 0; received copies=-1"),
    ({"corpus_copies": 2}, r"`corpus_copies` needs `corpora`; received corpus_copies=2"),
    ({"corpora": ["wiki"]}, r"wiki"),
    ({"copies": 2, "round_size": 0}, r"`round_size` must be an integer >= 1; received round_size=0"),
], ids=["negative copies", "corpus copies without corpora", "unknown corpus", "empty rounds"])
def test_bad_settings_are_refused_by_name(splits, tmp_path, settings, message):
    with pytest.raises(ValueError, match=message):
        TransferSet.build(splits, _teacher, tmp_path, **settings)


def test_rounds_use_consecutive_augmenter_seeds():
    texts = ["a quiet film about loss and memory", "the cast is superb and the plot moves"]
    rounds = variants_in_rounds(texts, 3, 2, "augmented", 5, set())
    assert rounds["augmented"] == tfkd.data.TextAugmenter(seed=5)(texts, copies=2)
    expected_second = [text for text in tfkd.data.TextAugmenter(seed=6)(texts, copies=1)
                       if text not in rounds["augmented"]]
    assert rounds["augmented_2"] == expected_second
