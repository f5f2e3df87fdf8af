"""tfkd.compress.neuron_pruning: units really removed, the rest of the network rewired to match."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress import prune_neurons


@pytest.mark.parametrize("architecture", ["cnn", "bilstm", "average_embedding", "transformer"])
def test_removing_nothing_gives_the_same_model(token_data, architecture):
    keras.utils.set_random_seed(0)
    student = tfkd.students.build(architecture, 50, 16, 2)
    same, report = prune_neurons(student, 0.0)
    assert report and all(row["units_before"] == row["units_after"] for row in report)
    np.testing.assert_allclose(same.predict(token_data[0], verbose=0), student.predict(token_data[0], verbose=0),
                               atol=1e-5)


def test_removed_filters_are_the_weakest_and_the_model_equals_the_original_with_them_zeroed(student, token_data):
    ids = token_data[0]
    smaller, report = prune_neurons(student, 0.5)
    assert [row["units_after"] for row in report] == [32, 32, 32]
    assert smaller.get_layer("logits").kernel.shape == (96, 2)  # the concatenated features shrank with the filters
    assert smaller.count_params() < 0.6 * student.count_params()
    zeroed = keras.models.clone_model(student)
    zeroed.set_weights(student.get_weights())
    for name in ("conv_3", "conv_4", "conv_5"):
        layer = zeroed.get_layer(name)
        kernel, bias = layer.get_weights()
        weakest = np.argsort(np.abs(kernel).reshape(-1, 64).sum(axis=0))[:32]
        kernel[..., weakest], bias[weakest] = 0.0, 0.0
        layer.set_weights([kernel, bias])
    # a ReLU filter with zero weights and bias outputs 0, which max-pooling passes on: same as removing it
    np.testing.assert_allclose(smaller.predict(ids, verbose=0), zeroed.predict(ids, verbose=0), atol=1e-5)


def test_smaller_model_trains_and_converts(token_data):
    ids, labels, logits = token_data
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("average_embedding", 50, 16, 2)
    smaller, _ = prune_neurons(student, 0.75)
    distiller = tfkd.Distiller(smaller)
    distiller.compile(optimizer=keras.optimizers.Adam(0.01))
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, verbose=0)
    content = tfkd.convert(smaller, "float32")
    assert len(content) < len(tfkd.convert(student, "float32"))
    np.testing.assert_allclose(tfkd.TFLiteModel(content).predict(ids[:8]), smaller.predict(ids[:8], verbose=0),
                               atol=1e-5)


@pytest.mark.parametrize("arguments, message", [
    ({"fraction": 1.0}, r"`fraction` must be in \[0, 1\); received fraction=1.0"),
    ({"fraction": -0.01}, r"received fraction=-0.01"),
    ({"layers": ["nope"]}, "has no layer named 'nope'"),
    ({"layers": ["embedding"]}, "layer 'embedding' is a Embedding; prune_neurons removes units of Dense and Conv1D"),
    ({"layers": ["logits"]}, "layer 'logits' is an output of the model"),
], ids=["fraction-1", "fraction-negative", "missing", "embedding", "output"])
def test_bad_input_is_named(student, arguments, message):
    with pytest.raises(ValueError, match=message):
        prune_neurons(student, **arguments)


def test_a_layer_read_by_one_that_cannot_shrink_is_refused_with_the_reader_named():
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    normed = keras.layers.LayerNormalization(name="norm")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(normed))
    with pytest.raises(ValueError, match="layer 'hidden' cannot lose units: 'norm' reads it"):
        prune_neurons(model, 0.5, layers=["hidden"])
    assert prune_neurons(model, 0.5)[1] == []  # by default such a layer is simply not chosen
