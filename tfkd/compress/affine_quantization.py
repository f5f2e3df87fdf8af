"""INT8 affine quantization with TFLite's conventions, in NumPy.

TFLite's full-int8 scheme (https://ai.google.dev/edge/litert/models/quantization_spec):
kernels are symmetric (zero point 0, values in [-127, 127]) per output
channel; activations are asymmetric per tensor, in [-128, 127], with a
range widened to contain 0 so that 0 is exact. An embedding table (the
constant input of GATHER) is quantized like an activation over
[-max|w|, max|w|]: scale max|w|/127.5, zero point 0 (measured in the
converter's output; tests compare with it). real = scale * (q - zero_point).
"""

import numpy as np


def quantize_weights(weights, axis=None):
    """Symmetric int8 weights as TFLite stores them.

    Args:
        weights: float array.
        axis: int or None; the channel axis for per-channel scales (TFLite:
            the output axis of a kernel), None for one scale per tensor.

    Returns:
        (int8 array, float32 scales, int zero points): scales have one entry per
        channel (or one), zero points are all 0.
    """
    weights = np.asarray(weights, np.float64)
    reduce = tuple(i for i in range(weights.ndim) if axis is None or i != axis % weights.ndim)
    largest = np.max(np.abs(weights), axis=reduce, keepdims=True)
    scale = np.where(largest > 0, largest / 127.0, 1.0)
    quantized = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    scales = scale.reshape(-1).astype(np.float32)
    return quantized, scales, np.zeros(scales.shape, np.int64)


def quantize_table(table):
    """An embedding table as the converter stores it: (int8 array, scale, zero point)."""
    table = np.asarray(table, np.float64)
    largest = float(np.max(np.abs(table)))
    scale, zero_point = activation_parameters(-largest, largest)
    return quantize(table, scale, zero_point), scale, zero_point


def activation_parameters(minimum, maximum):
    """(scale, zero_point) of an asymmetric int8 activation whose calibrated range is [minimum, maximum].

    Raises:
        ValueError: minimum > maximum.
    """
    if minimum > maximum:
        raise ValueError(f"need minimum <= maximum; received minimum={minimum!r}, maximum={maximum!r}")
    minimum, maximum = min(float(minimum), 0.0), max(float(maximum), 0.0)  # 0 must be representable
    if maximum == minimum:
        return 1.0, 0
    scale = (maximum - minimum) / 255.0
    zero_point = int(np.clip(np.round(-128 - minimum / scale), -128, 127))
    return scale, zero_point


def quantize(values, scale, zero_point):
    """float -> int8 with a given scale and zero point (rounding half away from zero, clipped)."""
    return np.clip(np.round(np.asarray(values, np.float64) / scale) + zero_point, -128, 127).astype(np.int8)


def dequantize(quantized, scale, zero_point):
    """int8 -> float: scale * (q - zero_point)."""
    return (np.asarray(quantized, np.float64) - zero_point) * scale
