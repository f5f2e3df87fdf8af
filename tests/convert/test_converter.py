"""tfkd.convert.converter: every mode runs in LiteRT with the Keras model's outputs."""

import numpy as np
import pytest

import tfkd
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE, assert_tflite_matches
from tfkd._keras import keras
from tfkd.convert import MicroModel, TFLiteModel, strip_tensor_names
from tfkd.convert.converter import float_tensors

# Tolerances on logits of the tiny CNN (|logits| < 1): float32 is exact up to
# float error; float16 weights and int8 quantization add their rounding.
# int16 activations leave far less rounding than int8.
TOLERANCE = {"float32": 1e-5, "float16": 5e-3, "dynamic": 2e-2, "int8": 5e-2, "int16x8": 5e-3}


@pytest.mark.parametrize("mode", sorted(TOLERANCE))
def test_each_mode_matches_keras(student, token_data, mode):
    ids, _, _ = token_data
    flatbuffer = tfkd.convert(student, mode, ids if mode in ("int8", "int16x8") else None)
    assert_tflite_matches(student, flatbuffer, ids[:40], atol=TOLERANCE[mode])


def test_int8_keeps_int32_ids_and_outputs_int8_with_its_quantization(student, token_data):
    ids, _, _ = token_data
    model = tfkd.TFLiteModel(tfkd.convert(student, "int8", ids, num_samples=10))
    (detail,) = model.output_details
    assert model.input_details[0]["dtype"] == np.int32
    assert list(model.input_details[0]["shape"]) == [1, 16]  # fixed batch-1 signature
    assert detail["dtype"] == np.int8 and detail["quantization"][0] > 0


def test_float_tensors_names_what_int8_did_not_quantize(student, token_data):
    ids, _, _ = token_data
    assert float_tensors(tfkd.convert(student, "int8", ids)) == []
    dynamic = float_tensors(tfkd.convert(student, "dynamic"))
    assert dynamic and all(isinstance(name, str) for name in dynamic)  # dynamic range keeps float activations


def test_trained_bilstm_converts_to_all_int8_every_time(token_data):
    """With the cell's gates cut by one SPLIT, about 1 conversion in 2 of this model kept it in float (TF 2.21);
    cut by slices, none does, and the outputs are those of the SPLIT graph's all-int8 conversions."""
    ids, labels, _ = token_data
    keras.utils.set_random_seed(0)
    model = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ids, labels, epochs=6, verbose=0)
    files = [tfkd.convert(model, "int8", ids[:64]) for _ in range(6)]
    assert [float_tensors(flatbuffer) for flatbuffer in files] == [[]] * 6
    operators = {op["op_name"] for op in TFLiteModel(files[0]).interpreter._get_ops_details()}
    assert "SPLIT" not in operators and "STRIDED_SLICE" in operators
    np.testing.assert_array_equal(TFLiteModel(files[0]).predict(ids), TFLiteModel(files[-1]).predict(ids))


def test_stripped_names_shrink_the_file_and_change_no_output(token_data):
    ids, _, _ = token_data
    keras.utils.set_random_seed(0)
    bilstm = tfkd.students.build("bilstm", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    named = tfkd.convert(bilstm, "int8", ids)
    stripped = strip_tensor_names(named)
    assert len(stripped) < 0.8 * len(named)  # thousands of unrolled-LSTM tensor names (measured: -37%)
    np.testing.assert_array_equal(TFLiteModel(stripped).predict(ids), TFLiteModel(named).predict(ids))
    np.testing.assert_array_equal(MicroModel(stripped).predict(ids[:8]), MicroModel(named).predict(ids[:8]))
    details = TFLiteModel(stripped).interpreter.get_tensor_details()
    assert sum(1 for detail in details if detail["name"]) == 2  # the input and the output keep theirs
    assert TFLiteModel(stripped).input_details[0]["name"] == TFLiteModel(named).input_details[0]["name"]


def test_convert_strips_names_on_request_and_keeps_dict_inputs_matched_by_name():
    model = tfkd.students.build_multimodal(50, 16, 4, image_shape=(8, 8, 1), audio_shape=(6, 4))
    inputs, _ = tfkd.data.synthetic_multimodal(20, ("token_ids", "image", "audio"), image_shape=(8, 8, 1),
                                               audio_shape=(6, 4))
    stripped = tfkd.convert(model, "float32", strip_names=True)
    assert stripped == strip_tensor_names(tfkd.convert(model, "float32"))
    np.testing.assert_allclose(TFLiteModel(stripped).predict(inputs), model.predict(inputs, verbose=0), atol=1e-5)


def test_int16x8_has_int16_output_and_needs_representative_data(student, token_data):
    ids, _, _ = token_data
    model = tfkd.TFLiteModel(tfkd.convert(student, "int16x8", ids, num_samples=10))
    assert model.output_details[0]["dtype"] == np.int16 and model.input_details[0]["dtype"] == np.int32
    with pytest.raises(ValueError, match="mode='int16x8' needs `representative_data`"):
        tfkd.convert(student, "int16x8")


def test_output_file_is_written_and_never_overwritten(student, token_data, tmp_path):
    ids, _, _ = token_data
    path = tmp_path / "out" / "model.tflite"
    flatbuffer = tfkd.convert(student, "float32", output_path=path)
    assert path.read_bytes() == flatbuffer
    with pytest.raises(FileExistsError, match="model.tflite already exists"):
        tfkd.convert(student, "int8", ids, output_path=path)
    assert path.read_bytes() == flatbuffer
    assert [p.name for p in path.parent.iterdir()] == ["model.tflite"]  # no temporary left behind


@pytest.mark.parametrize("data, message", [
    (None, "mode='int8' needs `representative_data`"),
    (np.zeros((0, 16), "int32"), "`representative_data` is empty"),
    (np.zeros((4, 16), "float32"), "has dtype float32; the model input 'token_ids' expects int32 "
                                   r"\(e.g. token ids must be integers, not floats\)"),
    (np.zeros((4, 12), "int32"), r"samples have shape \(12,\); the model input 'token_ids' expects \(16,\)"),
], ids=["missing", "empty", "float-ids", "wrong-length"])
def test_bad_representative_data_is_explained(student, data, message):
    with pytest.raises(ValueError, match=message):
        tfkd.convert(student, "int8", data)


def test_unknown_mode_lists_the_modes(student):
    with pytest.raises(ValueError, match=r"`mode` must be one of \['float32', 'float16', 'dynamic', 'int8', 'int16x8'\]; received mode='int4'"):
        tfkd.convert(student, "int4")


def test_tfkd_convert_is_the_subpackage_and_calling_it_converts(student):
    from tfkd.convert import convert  # the function's own name keeps working

    assert tfkd.convert.strip_tensor_names is strip_tensor_names and callable(tfkd.convert.deploy)
    assert tfkd.convert(student, "float32") == convert(student, "float32") == tfkd.convert.convert(student, "float32")
    with pytest.raises(ValueError, match="mode"):
        tfkd.convert(student, "int4")


@pytest.mark.parametrize("num_samples", [0, -1, 1.5], ids=["zero", "negative", "float"])
def test_calibration_on_no_samples_is_refused(student, token_data, num_samples):
    with pytest.raises(ValueError, match=r"`num_samples` must be an integer >= 1; received num_samples="):
        tfkd.convert(student, "int8", token_data[0], num_samples=num_samples)


def test_ids_outside_the_embedding_table_are_named_in_calibration_and_in_litert(student, token_data):
    ids = token_data[0].copy()
    flatbuffer = tfkd.convert(student, "int8", ids)
    ids[0, 3] = VOCABULARY_SIZE + 7
    with pytest.raises(ValueError, match=rf"`representative_data` holds ids in \[\d+, {VOCABULARY_SIZE + 7}\]; the "
                                         rf"model's embedding table has {VOCABULARY_SIZE} rows"):
        tfkd.convert(student, "int8", ids)
    with pytest.raises(ValueError, match=rf"an input id is outside the model's embedding table \(ids given from \d+ "
                                         rf"to {VOCABULARY_SIZE + 7}; the table has {VOCABULARY_SIZE} rows\)"):
        TFLiteModel(flatbuffer).predict(ids[:2])
