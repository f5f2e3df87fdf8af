"""tfkd.distill.teacher_logits: computed once, keyed to the texts, refused for other data."""

import numpy as np
import pytest

import tfkd
from tfkd.distill.teacher_logits import load_teacher_logits

TEXTS = [f"text {i}" for i in range(10)]


def _teacher(calls):
    def predict(batch):
        calls.append(len(batch))
        return np.array([[len(text), -len(text)] for text in batch], np.float32)
    return predict


def test_logits_are_batched_cached_and_reused(tmp_path):
    calls = []
    path = tmp_path / "logits.npz"
    first = tfkd.cache_teacher_logits(_teacher(calls), TEXTS, path, batch_size=4)
    assert calls == [4, 4, 2] and first.shape == (10, 2)
    second = tfkd.cache_teacher_logits(_teacher(calls), TEXTS, path, batch_size=4)
    assert calls == [4, 4, 2]  # not recomputed
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("teacher, message", [
    (lambda batch: np.full((len(batch), 2), np.nan, np.float32), r"NaN or infinite logits for 10 of the texts"),
    (lambda batch: np.zeros((len(batch) - 1, 2), np.float32), r"logits of shape \[7, 2\] for 10 texts"),
], ids=["nan", "wrong-length"])
def test_logits_that_cannot_be_right_are_not_cached(tmp_path, teacher, message):
    with pytest.raises(ValueError, match=message):
        tfkd.cache_teacher_logits(teacher, TEXTS, tmp_path / "logits.npz", batch_size=4)
    assert not (tmp_path / "logits.npz").exists()


def test_cached_logits_for_other_texts_are_refused(tmp_path):
    path = tmp_path / "logits.npz"
    tfkd.cache_teacher_logits(_teacher([]), TEXTS, path)
    with pytest.raises(ValueError, match="hold 10 examples; the data has 9"):
        load_teacher_logits(path, TEXTS[:9])
    with pytest.raises(ValueError, match="computed for other texts \\(first difference at example 3\\)"):
        load_teacher_logits(path, TEXTS[:3] + ["changed"] + TEXTS[4:])


def test_pseudo_labels_are_the_teachers_argmax_above_the_confidence(token_data):
    from tfkd.distill import pseudo_label_dataset

    ids, labels, logits = token_data
    logits = logits.copy()
    logits[:10] = [0.1, 0.0]  # ten unsure examples (top probability 0.525)
    dataset, kept = pseudo_label_dataset(ids, logits, batch_size=300, min_confidence=0.6)
    x, pseudo, teacher = next(iter(dataset))
    assert kept == len(ids) - 10 == len(pseudo)
    np.testing.assert_array_equal(pseudo.numpy(), logits[10:].argmax(-1))
    np.testing.assert_array_equal(x.numpy(), ids[10:])
    _, kept_all = pseudo_label_dataset(ids, logits, min_confidence=0.0)
    assert kept_all == len(ids)


def test_training_on_pseudo_labels_learns_the_teachers_rule(student, token_data):
    from tfkd._keras import keras
    from tfkd.distill import pseudo_label_dataset

    ids, _, logits = token_data  # the labels are never used
    dataset, _ = pseudo_label_dataset(ids, logits, shuffle=True, seed=0)
    distiller = tfkd.Distiller(student, alpha=1.0)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2))
    distiller.fit(dataset, epochs=8, verbose=0)
    assert (student.predict(ids, verbose=0).argmax(-1) == logits.argmax(-1)).mean() > 0.9


@pytest.mark.parametrize("value, ok", [(-0.01, False), (0.0, True), (0.99, True), (1.0, False)],
                         ids=["-0.01", "0", "0.99", "1"])
def test_min_confidence_boundaries(token_data, value, ok):
    from tfkd.distill import pseudo_label_dataset

    ids, _, logits = token_data
    if ok:
        pseudo_label_dataset(ids, logits, min_confidence=value)
    else:
        with pytest.raises(ValueError, match=rf"`min_confidence` must be in \[0, 1\); received min_confidence={value}"):
            pseudo_label_dataset(ids, logits, min_confidence=value)


def test_no_confident_example_is_refused(token_data):
    from tfkd.distill import pseudo_label_dataset

    ids, _, _ = token_data
    with pytest.raises(ValueError, match="no example has teacher confidence >= 0.9"):
        pseudo_label_dataset(ids, np.zeros((len(ids), 2), np.float32), min_confidence=0.9)
