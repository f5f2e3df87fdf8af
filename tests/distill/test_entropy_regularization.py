"""tfkd.distill.entropy_regularization: the term's value, its place in the Distiller's loss, bad input."""

import numpy as np
import pytest

import tfkd
from tests.conftest import assert_serialization_round_trip


def test_the_term_is_minus_the_entropy_per_example():
    logits = np.array([[0.0, 0.0], [10.0, -10.0]], "float32")
    np.testing.assert_allclose(tfkd.EntropyRegularization()(None, logits).numpy(), [-np.log(2.0), 0.0], atol=1e-6)


def test_in_a_distiller_it_adds_weight_times_the_term_outside_or_inside_the_blend(student, token_data):
    ids, labels, logits = token_data
    data = tfkd.logits_dataset(ids, labels, logits, 256)
    shorthand = tfkd.Distiller(student, alpha=0.5, entropy_weight=0.2)
    listed = tfkd.Distiller(student, alpha=0.5, distillation_losses=[tfkd.LogitsDistillation(),
                                                                     tfkd.EntropyRegularization(0.2)])
    for distiller in (shorthand, listed):
        distiller.compile(optimizer="adam")
    short, inside = (distiller.evaluate(data, verbose=0, return_dict=True) for distiller in (shorthand, listed))
    kl = short["distillation_loss"]
    assert short["loss"] == pytest.approx(0.5 * short["student_loss"] + 0.5 * kl - 0.2 * short["entropy"], rel=1e-5)
    # in the list it is blended: (1 - alpha) * (kl - 0.2 * H)
    assert inside["loss"] == pytest.approx(0.5 * inside["student_loss"] + 0.5 * (kl - 0.2 * inside["entropy"]),
                                           rel=1e-5)


def test_config_round_trips():
    assert_serialization_round_trip(tfkd.EntropyRegularization(-0.3))


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "0.1", True], ids=["nan", "inf", "string", "bool"])
def test_a_weight_that_is_not_a_finite_number_is_named(weight):
    with pytest.raises(ValueError, match=r"`entropy_weight` must be a finite number; received entropy_weight="):
        tfkd.EntropyRegularization(weight)
