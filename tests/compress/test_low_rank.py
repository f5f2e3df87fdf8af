"""tfkd.compress.low_rank: SVD factors equal the best rank-r weights, smaller models, TFLite and TFLM."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress import FactorizedDense, FactorizedEmbedding, low_rank
from tfkd.convert import MicroModel, verify_conversion
from tests.conftest import assert_config_round_trip


@pytest.fixture
def bag_of_words():
    keras.utils.set_random_seed(0)
    return tfkd.students.build("average_embedding", 50, 16, 2)  # table 50x64, hidden 64x64, logits 64x2


def _rank_r(matrix, rank):
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def test_factors_give_the_best_rank_r_weights(bag_of_words, token_data):
    ids, _, _ = token_data
    factorised, report = low_rank(bag_of_words, rank=8, layers=["embedding", "hidden"])
    assert isinstance(factorised.get_layer("embedding"), FactorizedEmbedding)
    assert isinstance(factorised.get_layer("hidden"), FactorizedDense)
    reference = keras.models.clone_model(bag_of_words)
    reference.set_weights(bag_of_words.get_weights())
    reference.get_layer("embedding").set_weights([_rank_r(bag_of_words.get_layer("embedding").embeddings.numpy(), 8)])
    kernel, bias = bag_of_words.get_layer("hidden").get_weights()
    reference.get_layer("hidden").set_weights([_rank_r(kernel, 8), bias])
    np.testing.assert_allclose(factorised.predict(ids, verbose=0), reference.predict(ids, verbose=0), atol=1e-5)
    rows = {row["layer"]: row for row in report}
    assert rows["embedding"]["parameters_before"] == 3200 and rows["embedding"]["parameters_after"] == 8 * (50 + 64)
    assert factorised.count_params() < bag_of_words.count_params()


def test_energy_picks_the_rank_and_skips_layers_that_would_grow(bag_of_words):
    _, report = low_rank(bag_of_words, energy=1.0)
    for row in report:  # full rank never saves weights
        assert not row["factorised"] and row["parameters_after"] == row["parameters_before"]
    _, report = low_rank(bag_of_words, energy=0.5)
    table = next(row for row in report if row["layer"] == "embedding")
    assert table["energy_kept"] >= 0.5 and table["factorised"] and table["rank"] < 50


def test_factorised_student_saves_converts_and_runs_in_tflm(bag_of_words, token_data, tmp_path):
    ids, _, _ = token_data
    factorised, _ = low_rank(bag_of_words, rank=8, layers=["embedding", "hidden"])
    factorised.save(tmp_path / "factorised.keras")
    reloaded = keras.models.load_model(tmp_path / "factorised.keras")
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), factorised.predict(ids, verbose=0), atol=1e-6)
    flatbuffer = tfkd.convert(factorised, "int8", ids)
    MicroModel(flatbuffer).check_ops()
    report = verify_conversion(factorised, flatbuffer, ids[:40], min_agreement=0.9)
    assert report["litert"]["max_abs_error"] < 0.05
    assert_config_round_trip(factorised.get_layer("embedding"))
    assert_config_round_trip(factorised.get_layer("hidden"))


@pytest.mark.parametrize("arguments, message", [
    ({"energy": 0.0}, r"`energy` must be in \(0, 1\]; received energy=0.0"),
    ({"rank": 65}, r"`rank` must be in \[1, 50\] for layer 'embedding' of shape \(50, 64\); received rank=65"),
    ({"layers": ["nope"]}, "has no layer named 'nope'"),
    ({"layers": ["average"]}, "layer 'average' is a GlobalAveragePooling1D; low_rank factorises Dense and Embedding"),
], ids=["energy", "rank", "missing", "kind"])
def test_bad_arguments_are_named(bag_of_words, arguments, message):
    with pytest.raises(ValueError, match=message):
        low_rank(bag_of_words, **arguments)
