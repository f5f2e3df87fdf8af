"""tfkd.distill.losses against NumPy references."""

import numpy as np
import pytest

from tfkd.distill import DistillationLoss, losses
from tests.conftest import assert_config_round_trip

RNG = np.random.default_rng(0)
TEACHER, STUDENT = RNG.normal(size=(6, 4)).astype("float32"), RNG.normal(size=(6, 4)).astype("float32")


def _softmax(logits, temperature=1.0):
    z = logits / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0])
def test_kl_matches_numpy_and_is_scaled_by_t_squared(temperature):
    p, q = _softmax(TEACHER, temperature), _softmax(STUDENT, temperature)
    expected = (p * (np.log(p) - np.log(q))).sum(-1) * temperature**2
    np.testing.assert_allclose(losses.kl_divergence(TEACHER, STUDENT, temperature), expected, rtol=1e-5)


def test_kl_is_zero_for_identical_logits_and_positive_otherwise():
    np.testing.assert_allclose(losses.kl_divergence(TEACHER, TEACHER, 2.0), 0.0, atol=1e-6)
    assert (losses.kl_divergence(TEACHER, STUDENT, 2.0).numpy() > 0).all()


def test_softmax_is_over_the_last_axis_for_3d_logits():
    teacher3d, student3d = TEACHER.reshape(2, 3, 4), STUDENT.reshape(2, 3, 4)
    np.testing.assert_allclose(losses.kl_divergence(teacher3d, student3d, 2.0).numpy().reshape(-1),
                               losses.kl_divergence(TEACHER, STUDENT, 2.0), rtol=1e-5)


def test_mse_cosine_and_cross_entropy_match_numpy():
    np.testing.assert_allclose(losses.logits_mse(TEACHER, STUDENT), ((STUDENT - TEACHER) ** 2).mean(-1), rtol=1e-5)
    cosine = (TEACHER * STUDENT).sum(-1) / np.linalg.norm(TEACHER, axis=-1) / np.linalg.norm(STUDENT, axis=-1)
    np.testing.assert_allclose(losses.cosine_distance(TEACHER, STUDENT), 1 - cosine, rtol=1e-5, atol=1e-6)
    labels = np.array([0, 1, 2, 3, 0, 1])
    expected = -np.log(_softmax(STUDENT)[np.arange(6), labels])
    np.testing.assert_allclose(losses.hard_cross_entropy(labels, STUDENT), expected, rtol=1e-5)


def test_blend_convention_alpha_weights_the_hard_loss():
    assert float(losses.blend(2.0, 10.0, 1.0)) == 2.0
    assert float(losses.blend(2.0, 10.0, 0.0)) == 10.0
    assert float(losses.blend(2.0, 10.0, 0.25)) == pytest.approx(8.0)


@pytest.mark.parametrize("alpha, ok", [(-0.01, False), (0, True), (1, True), (1.01, False), (True, False)],
                         ids=["-0.01", "0", "1", "1.01", "bool"])
def test_alpha_boundaries(alpha, ok):
    if ok:
        assert losses.check_alpha(alpha) == float(alpha)
    else:
        with pytest.raises(ValueError, match=rf"`alpha` must be in \[0, 1\]; received alpha={alpha!r}"):
            losses.check_alpha(alpha)


@pytest.mark.parametrize("temperature, ok", [(0, False), (-1.0, False), (1e-3, True), (10, True)],
                         ids=["0", "negative", "tiny", "10"])
def test_temperature_boundaries(temperature, ok):
    if ok:
        assert losses.check_temperature(temperature) == float(temperature)
    else:
        with pytest.raises(ValueError, match=rf"`temperature` must be > 0; received temperature={temperature!r}"):
            losses.check_temperature(temperature)


def test_distillation_loss_object_means_the_function_and_round_trips():
    loss = DistillationLoss("kl", temperature=2.0)
    assert float(loss(TEACHER, STUDENT)) == pytest.approx(float(np.mean(losses.kl_divergence(TEACHER, STUDENT, 2.0))))
    assert_config_round_trip(loss)
    with pytest.raises(ValueError, match=r"`distillation_loss` must be one of \['kl', 'mse'\]; received 'l1'"):
        DistillationLoss("l1")


def test_feature_mse_and_entropy_match_numpy():
    rng = np.random.default_rng(3)
    teacher, student = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    np.testing.assert_allclose(losses.feature_mse(teacher, student).numpy(), ((student - teacher) ** 2).mean(-1),
                               rtol=1e-5)
    probabilities = np.exp(student) / np.exp(student).sum(-1, keepdims=True)
    np.testing.assert_allclose(losses.entropy(student).numpy(),
                               -(probabilities * np.log(probabilities)).sum(-1), rtol=1e-5)
    # A uniform prediction has the most entropy, ln(classes).
    np.testing.assert_allclose(losses.entropy(np.zeros((1, 4))).numpy(), [np.log(4)], rtol=1e-6)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.1", True], ids=["nan", "inf", "str", "bool"])
def test_entropy_weight_must_be_a_finite_number(value):
    with pytest.raises(ValueError, match="`entropy_weight` must be a finite number; received entropy_weight="):
        losses.check_entropy_weight(value)
