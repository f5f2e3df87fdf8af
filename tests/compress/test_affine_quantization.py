"""tfkd.compress.affine_quantization: the same scales, zero points and int8 values as the TFLite converter."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress.affine_quantization import (activation_parameters, dequantize, quantize, quantize_table,
                                                quantize_weights)
from tfkd.convert import TFLiteModel


@pytest.fixture(scope="module")
def converted():
    keras.utils.set_random_seed(0)
    model = tfkd.students.build("average_embedding", 50, 16, 2)
    ids = np.random.default_rng(0).integers(0, 50, (40, 16)).astype("int32")
    interpreter = TFLiteModel(tfkd.convert(model, "int8", ids), use_xnnpack=False).interpreter
    tensors = {detail["name"]: detail for detail in interpreter.get_tensor_details()}
    return model, interpreter, tensors


def _tensor(tensors, suffix):
    return next(detail for name, detail in tensors.items() if name.endswith(suffix))


@pytest.mark.parametrize("layer", ["hidden", "logits"])
def test_dense_kernels_match_tflite_per_channel(converted, layer):
    model, interpreter, tensors = converted
    detail = _tensor(tensors, f"{layer}/MatMul")
    kernel = model.get_layer(layer).kernel.numpy().T  # TFLite stores [out, in]
    quantized, scales, zero_points = quantize_weights(kernel, axis=0)
    np.testing.assert_allclose(scales, detail["quantization_parameters"]["scales"], rtol=1e-6)
    assert not zero_points.any() and not detail["quantization_parameters"]["zero_points"].any()
    stored = interpreter.get_tensor(detail["index"])
    assert np.abs(stored.astype(int) - quantized).max() <= 1 and (stored == quantized).mean() > 0.99


def test_embedding_table_matches_tflite_per_tensor(converted):
    model, interpreter, tensors = converted
    detail = _tensor(tensors, "embedding/embedding_lookup")
    quantized, scale, zero_point = quantize_table(model.get_layer("embedding").embeddings.numpy())
    # The converter computes this range in float32 during calibration: equal to about 2e-5.
    np.testing.assert_allclose([scale], detail["quantization_parameters"]["scales"], rtol=1e-4)
    assert [zero_point] == list(detail["quantization_parameters"]["zero_points"])
    assert (interpreter.get_tensor(detail["index"]) == quantized).mean() > 0.99


def test_activation_parameters_by_hand():
    # [-1, 3]: scale 4/255; zero point -128 + 1/scale = -128 + 63.75 -> -64
    scale, zero_point = activation_parameters(-1.0, 3.0)
    assert scale == pytest.approx(4 / 255) and zero_point == -64
    assert quantize(0.0, scale, zero_point) == zero_point  # 0 is exact
    assert activation_parameters(0.5, 2.0) == (pytest.approx(2 / 255), -128)  # range widened to contain 0
    values = np.linspace(-1, 3, 50)
    assert np.abs(dequantize(quantize(values, scale, zero_point), scale, zero_point) - values).max() <= scale / 2 + 1e-9
    with pytest.raises(ValueError, match="need minimum <= maximum; received minimum=2.0, maximum=1.0"):
        activation_parameters(2.0, 1.0)
