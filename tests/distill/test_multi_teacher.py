"""tfkd.distill.multi_teacher: the combined soft target is the weighted mixture at T."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
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


def _modality_teacher(name, inputs, labels, branch):
    """A teacher that sees one modality only, trained on the full 4-class labels."""
    tensor = keras.Input(shape=inputs[name].shape[1:], dtype=inputs[name].dtype, name=name)
    teacher = keras.Model(tensor, keras.layers.Dense(4)(branch(tensor)))
    teacher.compile(optimizer=keras.optimizers.Adam(3e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(inputs[name], labels, epochs=6, batch_size=32, verbose=0)
    return teacher


def _accuracy(model, inputs, labels):
    return float(np.mean(np.asarray(model(inputs)).argmax(-1) == labels))


def test_one_teacher_per_modality_teaches_a_student_what_neither_knows():
    # Label = text bit + 2 * image bit: a text-only or image-only teacher can reach 50% at best, but the
    # mixture of their soft targets peaks on the one class both agree on.
    keras.utils.set_random_seed(0)
    inputs, labels = tfkd.data.synthetic_multimodal(1500, noise=0.0)
    test_inputs, test_labels = tfkd.data.synthetic_multimodal(500, noise=0.0, seed=1)
    text_teacher = _modality_teacher("token_ids", inputs, labels, lambda ids: keras.layers.GlobalMaxPooling1D()(
        keras.layers.Embedding(50, 16)(ids)))
    image_teacher = _modality_teacher("image", inputs, labels, lambda image: keras.layers.Flatten()(
        keras.layers.Conv2D(8, 4, strides=4, activation="relu")(image)))
    ensemble = MultiTeacher([text_teacher, image_teacher], input_keys=["token_ids", "image"], temperature=2.0)
    student = tfkd.students.build_multimodal(50, 16, 4, image_shape=(16, 16, 1))
    distiller = tfkd.Distiller(student, ensemble, alpha=0.0, temperature=2.0)  # soft targets only, no labels
    distiller.compile(optimizer=keras.optimizers.Adam(3e-3))
    distiller.fit(inputs, labels, batch_size=32, epochs=8, verbose=0)
    teachers = [_accuracy(teacher, test_inputs[key], test_labels)
                for teacher, key in ((text_teacher, "token_ids"), (image_teacher, "image"))]
    assert max(teachers) <= 0.56, teachers
    assert _accuracy(ensemble, test_inputs, test_labels) >= 0.9  # the mixture's argmax
    assert _accuracy(student, test_inputs, test_labels) >= 0.85


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
