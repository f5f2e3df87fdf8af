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


def test_cached_logits_for_other_texts_are_refused(tmp_path):
    path = tmp_path / "logits.npz"
    tfkd.cache_teacher_logits(_teacher([]), TEXTS, path)
    with pytest.raises(ValueError, match="hold 10 examples; the data has 9"):
        load_teacher_logits(path, TEXTS[:9])
    with pytest.raises(ValueError, match="computed for other texts \\(first difference at example 3\\)"):
        load_teacher_logits(path, TEXTS[:3] + ["changed"] + TEXTS[4:])
