"""tfkd.distill.multi_teacher: the combined soft target is the weighted mixture at T."""

import numpy as np
import pytest

import tfkd
from tfkd.distill import MultiTeacher

CONFIDENT = np.array([[6.0, 0.0], [0.0, 6.0]], np.float32)
UNSURE = np.array([[0.1, 0.0], [0.0, 0.1]], np.float32)


def _softmax(logits, temperature):
    z = np.exp(logits / temperature - (logits / temperature).max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def _constant(logits):
    return lambda inputs, training=False: logits


def test_fixed_weights_give_the_weighted_mixture_at_the_temperature():
    ensemble = MultiTeacher([_constant(CONFIDENT), _constant(UNSURE)], weights=[3, 1], temperature=2.0)
    combined = _softmax(np.asarray(ensemble(None)), 2.0)
    expected = 0.75 * _softmax(CONFIDENT, 2.0) + 0.25 * _softmax(UNSURE, 2.0)
    np.testing.assert_allclose(combined, expected, atol=1e-5)


@pytest.mark.parametrize("weighting", ["confidence", "entropy"])
def test_dynamic_weighting_favours_the_confident_teacher(weighting):
    fixed = _softmax(np.asarray(MultiTeacher([_constant(CONFIDENT), _constant(UNSURE)], temperature=1.0)(None)), 1.0)
    dynamic = _softmax(np.asarray(MultiTeacher([_constant(CONFIDENT), _constant(UNSURE)], weighting=weighting,
                                               temperature=1.0)(None)), 1.0)
    assert (dynamic.max(-1) > fixed.max(-1)).all()


def test_one_teacher_per_input_and_training_a_student(student, token_data):
    ids, labels, logits = token_data
    ensemble = MultiTeacher([lambda x, training=False: x, lambda x, training=False: -x],
                            weights=[0.9, 0.1], input_keys=["text_teacher", "other_teacher"])
    inputs = {"student": ids, "teacher": {"text_teacher": logits, "other_teacher": logits}}
    distiller = tfkd.Distiller(student, ensemble)
    distiller.compile(optimizer="adam")
    history = distiller.fit(inputs, labels, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["distillation_loss"][-1])


@pytest.mark.parametrize("arguments, message", [
    ({"teachers": []}, "`teachers` is empty"),
    ({"weighting": "vote"}, r"`weighting` must be one of \['fixed', 'confidence', 'entropy'\]; received weighting='vote'"),
    ({"weights": [1.0]}, r"`weights` must be 2 non-negative numbers with a positive sum; received weights=\[1.0\]"),
    ({"weights": [-1.0, 2.0]}, r"received weights=\[-1.0, 2.0\]"),
    ({"input_keys": ["a"]}, r"`input_keys` must name one input per teacher \(2\)"),
], ids=["empty", "weighting", "weights-length", "weights-negative", "input-keys"])
def test_bad_arguments_are_named(arguments, message):
    values = {"teachers": [_constant(CONFIDENT), _constant(UNSURE)], **arguments}
    with pytest.raises(ValueError, match=message):
        MultiTeacher(**values)
