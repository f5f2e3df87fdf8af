"""tfkd.compress.low_bit_quantizer: the TWN and XNOR formulas against NumPy, straight-through gradients."""

import numpy as np
import pytest

from tfkd._keras import tf
from tfkd.compress import LowBitQuantizer
from tfkd.compress.low_bit_quantizer import low_bit_values

from tests.conftest import assert_config_round_trip


def _reference(weights, kind):
    magnitude = np.abs(weights)
    if kind == "binary":
        return magnitude.mean() * np.where(weights >= 0, 1.0, -1.0)
    delta = 0.7 * magnitude.mean()  # Li & Liu 2016, eq. 9
    kept = magnitude > delta
    return magnitude[kept].mean() * np.sign(weights) * kept


@pytest.mark.parametrize("kind", ["binary", "ternary"])
def test_values_match_the_papers_formulas(kind):
    weights = np.random.default_rng(0).normal(size=(40, 8)).astype("float32")
    np.testing.assert_allclose(low_bit_values(weights, kind).numpy(), _reference(weights, kind), rtol=1e-5)


def test_gradient_passes_straight_through():
    weights = tf.Variable(np.random.default_rng(1).normal(size=(5, 3)).astype("float32"))
    quantizer = LowBitQuantizer("ternary")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(quantizer(weights, True, {}) * tf.range(15.0, dtype=tf.float32)[:, None][:15:3])
    np.testing.assert_allclose(tape.gradient(loss, weights).numpy(),
                               np.broadcast_to(np.arange(0, 15, 3, dtype="float32")[:, None], (5, 3)))


def test_config_round_trips_and_bad_kind_is_named():
    assert_config_round_trip(LowBitQuantizer("binary"))
    with pytest.raises(ValueError, match=r"`kind` must be one of \['binary', 'ternary'\]; received kind='two'"):
        LowBitQuantizer("two")
