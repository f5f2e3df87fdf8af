"""Every class tfkd registers for Keras serialization passes the shared round trips (tests/conftest.py)."""

import numpy as np
import pytest
from tf_keras.src.saving import object_registration

import tfkd
from tfkd._keras import keras, keras3
from tfkd.compress.factorized_dense import FactorizedDense
from tfkd.compress.factorized_embedding import FactorizedEmbedding
from tfkd.compress.low_bit_quantizer import LowBitQuantizer
from tfkd.compress.low_bit_weights import _LowBitConfig
from tfkd.compress.prunable_bidirectional import PrunableBidirectional
from tests.conftest import assert_save_load_round_trip, assert_serialization_round_trip

IDS = np.random.default_rng(0).integers(0, 50, (8, 16)).astype("int32")


def _distiller():
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("cnn", 50, 16, 2)
    return tfkd.Distiller(student, alpha=0.3, entropy_weight=0.1, distillation_losses=[
        tfkd.LogitsDistillation(2.0, keras.losses.KLDivergence()),
        tfkd.FeatureDistillation("features", "pooled", loss="cosine", teacher_dim=8)],
        distillation_loss_weights=[1.0, 0.5])


def _embedded(layer):
    """A tiny functional model around `layer`, which reads [batch, 16] token ids or their embeddings."""
    inputs = keras.Input((16,), dtype="int32")
    hidden = layer(keras.layers.Embedding(50, 8)(inputs) if not isinstance(layer, FactorizedEmbedding) else inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(hidden)))


# One example of each registered class: (object, model to save and reload or None).
EXAMPLES = {
    "tfkd>Distiller": lambda: (_distiller(), _distiller()),
    "tfkd>LogitsDistillation": lambda: (tfkd.LogitsDistillation(4.0, "mse"), None),
    "tfkd>FeatureDistillation": lambda: (tfkd.FeatureDistillation("a", "b", loss="cosine", weight=2.0), None),
    "tfkd>EntropyRegularization": lambda: (tfkd.EntropyRegularization(-0.2), None),
    "tfkd>DistillationLoss": lambda: (tfkd.DistillationLoss("kl", 2.0), None),
    "tfkd>PositionEmbedding": lambda: (tfkd.students.PositionEmbedding(16),
                                       _embedded(tfkd.students.PositionEmbedding(16))),
    "tfkd>FactorizedEmbedding": lambda: (FactorizedEmbedding(50, 8, 2), _embedded(FactorizedEmbedding(50, 8, 2))),
    "tfkd>FactorizedDense": lambda: (FactorizedDense(4, 2), _embedded(FactorizedDense(4, 2))),
    "tfkd>PrunableBidirectional": lambda: (PrunableBidirectional(keras.layers.LSTM(4)), None),
    "tfkd>LowBitQuantizer": lambda: (LowBitQuantizer("binary"), None),
    "tfkd>_LowBitConfig": lambda: (_LowBitConfig("kernel", "ternary"), None),
}


def test_every_registered_class_has_an_example():
    registered = {name for name in object_registration._GLOBAL_CUSTOM_OBJECTS if name.startswith("tfkd>")}
    assert registered == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_config_json_and_keras_serialization_round_trip(name, tmp_path):
    obj, model = EXAMPLES[name]()
    assert_serialization_round_trip(obj)
    if model is not None:
        assert_save_load_round_trip(model, IDS, tmp_path / "model.keras")


def test_the_keras3_distiller_round_trips_in_keras3():
    k3 = keras3()
    k3.utils.set_random_seed(0)
    student = tfkd.students.build("cnn", 50, 16, 2, keras_version=3)
    distiller = tfkd.Distiller(student, distillation_losses=[tfkd.LogitsDistillation(2.0, k3.losses.KLDivergence())])
    assert_serialization_round_trip(distiller, saving=k3.saving)
