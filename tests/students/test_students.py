"""tfkd.students: every zoo student builds, trains and converts to full int8."""

import numpy as np
import pytest

import tfkd
from tfkd.convert import MicroModel
from tfkd.students import STUDENTS
from tfkd._keras import keras
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_student_trains_and_its_int8_tflite_agrees(name, token_data):
    ids, labels, _ = token_data
    keras.utils.set_random_seed(0)
    model = tfkd.students.build(name, VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    assert model.input.dtype == "int32" and model.output.shape[-1] == 2
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ids, labels, batch_size=32, epochs=3, verbose=0)
    expected = model.predict(ids[:64], verbose=0)
    actual = tfkd.TFLiteModel(tfkd.convert(model, "int8", ids)).predict(ids[:64])
    # int8 rounding: within 10% of the logit range, same top-1 on >= 95% of examples.
    assert np.abs(actual - expected).max() <= 0.1 * np.ptp(expected)
    assert (actual.argmax(-1) == expected.argmax(-1)).mean() >= 0.95


def test_bilstm_converts_to_plain_ops_without_loops(token_data):
    from ai_edge_litert.interpreter import Interpreter

    ids, _, _ = token_data
    model = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    ops = {op["op_name"] for op in Interpreter(model_content=tfkd.convert(model, "int8", ids))._get_ops_details()}
    # Unrolled (see tfkd.convert.converter._unrolled_copy): no WHILE, no fused LSTM op.
    assert {"FULLY_CONNECTED", "LOGISTIC", "TANH"} <= ops
    assert not ops & {"WHILE", "UNIDIRECTIONAL_SEQUENCE_LSTM"}


def test_max_pooled_bilstm_trains_and_its_int8_tflite_agrees(token_data):
    from ai_edge_litert.interpreter import Interpreter

    ids, labels, _ = token_data
    keras.utils.set_random_seed(0)
    model = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, pooling="max")
    last = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    assert model.count_params() == last.count_params()
    assert model.get_layer("max_pooling").input.shape[1] == SEQUENCE_LENGTH  # every step's outputs are pooled
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(ids, labels, batch_size=32, epochs=3, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    flatbuffer = tfkd.convert(model, "int8", ids)
    assert "WHILE" not in {op["op_name"] for op in Interpreter(model_content=flatbuffer)._get_ops_details()}
    expected = model.predict(ids[:64], verbose=0)
    actual = tfkd.TFLiteModel(flatbuffer).predict(ids[:64])
    assert (actual.argmax(-1) == expected.argmax(-1)).mean() >= 0.95
    micro = MicroModel(flatbuffer)
    micro.check_ops()  # REDUCE_MAX included
    on_micro = micro.predict(ids[:16])  # TFLM's int8 kernels may round a step apart from LiteRT's
    assert (on_micro.argmax(-1) == actual[:16].argmax(-1)).all()
    assert np.abs(on_micro - actual[:16]).max() <= 0.02 * np.ptp(actual)


def test_an_unknown_bilstm_pooling_is_named():
    with pytest.raises(ValueError, match=r"`pooling` must be one of \['last', 'max'\]; received pooling='mean'"):
        tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, pooling="mean")


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_functional_config_round_trips(name):
    model = tfkd.students.build(name, VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.count_params() == model.count_params()


@pytest.mark.parametrize("arguments, message", [
    (("lstm_xl", 50, 16, 2), r"Unknown student 'lstm_xl'; choose one of \['average_embedding', 'bilstm', 'cnn', 'transformer'\]"),
    (("cnn", 0, 16, 2), r"`vocabulary_size` must be an integer >= 1; received vocabulary_size=0"),
    (("cnn", 50, 16.0, 2), r"`sequence_length` must be an integer >= 1; received sequence_length=16.0"),
    (("cnn", 50, 16, 0), r"`num_classes` must be an integer >= 1; received num_classes=0"),
], ids=["name", "vocabulary", "length-float", "classes"])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.students.build(*arguments)


def test_one_class_boundary_builds():
    assert tfkd.students.build("cnn", 1, 8, 1).output.shape[-1] == 1
    assert np.isfinite(tfkd.students.build("cnn", 1, 8, 1)(np.zeros((1, 8), "int32"))).all()


def test_max_pooled_bilstm_config_round_trips():
    model = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, pooling="max")
    rebuilt = type(model).from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    ids = np.arange(2 * SEQUENCE_LENGTH).reshape(2, SEQUENCE_LENGTH) % VOCABULARY_SIZE
    np.testing.assert_allclose(rebuilt.predict(ids, verbose=0), model.predict(ids, verbose=0), rtol=1e-6)
    assert "max_pooling" in [layer.name for layer in rebuilt.layers]


@pytest.mark.parametrize("architecture", ["cnn", "average_embedding"])
def test_keras3_students_have_the_same_layers_and_parameters(architecture):
    from tfkd._keras import keras3

    tf_keras_model = tfkd.students.build(architecture, 50, 16, 2)
    keras3_model = tfkd.students.build(architecture, 50, 16, 2, keras_version=3)
    assert isinstance(keras3_model, keras3().Model)
    assert [layer.name for layer in keras3_model.layers] == [layer.name for layer in tf_keras_model.layers]
    assert keras3_model.count_params() == tf_keras_model.count_params()


@pytest.mark.parametrize("architecture, keras_version, message", [
    ("bilstm", 3, r"keras_version=3 builds \['average_embedding', 'cnn'\]; received architecture='bilstm'"),
    ("cnn", 4, r"`keras_version` must be 2 \(tf_keras\) or 3 \(Keras 3\); received keras_version=4"),
], ids=["tf_keras-only architecture", "unknown version"])
def test_bad_keras_versions_are_named(architecture, keras_version, message):
    with pytest.raises(ValueError, match=message):
        tfkd.students.build(architecture, 50, 16, 2, keras_version=keras_version)
