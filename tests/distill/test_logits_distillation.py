"""tfkd.distill.logits_distillation: what each kind of loss receives, per-example values, bad input."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3, tf
from tests.conftest import assert_serialization_round_trip

TEACHER = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], "float32")
STUDENT = np.array([[1.0, 0.0, 0.0], [0.5, 1.0, 0.5]], "float32")


def test_tfkd_names_receive_logits_other_losses_softened_probabilities():
    received = []

    def spy(teacher, student):
        received.append((np.asarray(teacher), np.asarray(student)))
        return tf.zeros(tf.shape(teacher)[:1])

    tfkd.LogitsDistillation(2.0, spy)(TEACHER, STUDENT)
    teacher, student = received[0]
    np.testing.assert_allclose(teacher, tf.nn.softmax(TEACHER / 2.0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(student, tf.nn.softmax(STUDENT / 2.0).numpy(), rtol=1e-6)
    assert tfkd.LogitsDistillation(2.0, "mse").takes_logits and not tfkd.LogitsDistillation(2.0, spy).takes_logits
    # "mse" compares raw logits: the temperature does not enter
    np.testing.assert_allclose(tfkd.LogitsDistillation(7.0, "mse")(TEACHER, STUDENT).numpy(),
                               np.mean((TEACHER - STUDENT) ** 2, -1), rtol=1e-6)


@pytest.mark.parametrize("loss", ["kl", keras.losses.KLDivergence(), "kl_divergence"],
                         ids=["tfkd name", "tf_keras object", "Keras name"])
def test_the_value_is_per_example_and_times_t_squared(loss):
    value = tfkd.LogitsDistillation(3.0, loss)(TEACHER, STUDENT).numpy()
    assert value.shape == (2,)
    np.testing.assert_allclose(value, tfkd.losses.kl_divergence(TEACHER, STUDENT, 3.0).numpy(), rtol=1e-4)


def test_a_keras3_loss_is_reduced_per_example_too():
    value = tfkd.LogitsDistillation(3.0, keras3().losses.KLDivergence())(TEACHER, STUDENT).numpy()
    np.testing.assert_allclose(value, tfkd.losses.kl_divergence(TEACHER, STUDENT, 3.0).numpy(), rtol=1e-4)


def test_a_distillation_loss_object_brings_its_kind_and_temperature():
    term = tfkd.LogitsDistillation(loss=tfkd.DistillationLoss("mse", 5.0))
    assert (term.temperature, term.loss) == (5.0, "mse")
    assert tfkd.LogitsDistillation().temperature == 3.0


@pytest.mark.parametrize("loss", ["kl", "mse", "kl_divergence", keras.losses.KLDivergence(),
                                  keras3().losses.KLDivergence()],
                         ids=["kl", "mse", "Keras name", "tf_keras object", "Keras 3 object"])
def test_config_round_trips(loss):
    revived = assert_serialization_round_trip(tfkd.LogitsDistillation(2.5, loss))
    np.testing.assert_allclose(revived(TEACHER, STUDENT).numpy(),
                               tfkd.LogitsDistillation(2.5, loss)(TEACHER, STUDENT).numpy(), rtol=1e-6)


@pytest.mark.parametrize("arguments, message", [
    ({"temperature": 0}, r"`temperature` must be > 0; received temperature=0"),
    ({"temperature": -1.0}, r"`temperature` must be > 0; received temperature=-1.0"),
    ({"loss": "l2"}, r"`loss` must be one of \['kl', 'mse'\], a Keras loss name, a Keras loss or a function; "
                     r"received loss='l2'"),
    ({"loss": 3}, r"`loss` must be one of .*; received loss=3 \(int\)"),
    ({"temperature": 4.0, "loss": tfkd.DistillationLoss("kl", 2.0)},
     r"`temperature` \(4.0\) differs from the DistillationLoss's own temperature \(2.0\)"),
], ids=["temperature 0", "negative temperature", "unknown name", "not a loss", "two temperatures"])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.LogitsDistillation(**arguments)
    tfkd.LogitsDistillation(temperature=1e-3)  # just above the boundary: accepted
