"""`export_onnx`: a tf_keras student as an ONNX model, checked in ONNX Runtime."""

import numpy as np

from tfkd._keras import import_optional, keras, tf
from tfkd.data.cache import write_bytes_atomic

DEFAULT_OPSET = 17


def export_onnx(model, output_path=None, check_inputs=None, atol=1e-4, opset=DEFAULT_OPSET, overwrite=False):
    """Exports `model` with tf2onnx (dynamic batch) and, given inputs, checks it in ONNX Runtime.

    Args:
        model: tf_keras model with fixed-length inputs (every zoo student).
        output_path: str, Path or None; where to write the .onnx file.
        check_inputs: array [n, ...] or None; run through Keras and ONNX
            Runtime, whose outputs must agree within `atol`.
        atol: float, allowed absolute difference. Default 1e-4.
        opset: int, ONNX opset. Default 17.
        overwrite: bool, replace an existing `output_path`. Default False.

    Returns:
        bytes of the serialized ONNX model.

    Raises:
        ImportError: tf2onnx or onnxruntime missing (names `pip install "tfkd[onnx]"`).
        TypeError: not a tf_keras model.
        ValueError: ONNX Runtime's outputs differ from Keras's by more than `atol`.
        FileExistsError: `output_path` exists and `overwrite` is False.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> ids = np.random.randint(0, 50, (8, 16), dtype="int32")
        >>> onnx_bytes = export_onnx(student, check_inputs=ids)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"export_onnx takes a tf_keras model; received a {type(model).__module__}."
                        f"{type(model).__name__}")
    tf2onnx = import_optional("tf2onnx", "tf2onnx", extra="onnx")
    signature = [tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype, name=tensor.name.split(":")[0])
                 for tensor in model.inputs]
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
    content = proto.SerializeToString()
    if check_inputs is not None:
        check_onnx(content, model, check_inputs, atol)
    if output_path is not None:
        write_bytes_atomic(output_path, content, overwrite=overwrite)
    return content


def check_onnx(content, model, inputs, atol):
    """Largest |ONNX Runtime - Keras| over `inputs`; raises if above `atol`."""
    onnxruntime = import_optional("onnxruntime", "onnxruntime", extra="onnx")
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    inputs = np.asarray(inputs)
    actual = session.run(None, {session.get_inputs()[0].name: inputs.astype(model.inputs[0].dtype.as_numpy_dtype)})[0]
    error = float(np.abs(actual - model.predict(inputs, verbose=0)).max())
    if error > atol:
        raise ValueError(f"ONNX Runtime's outputs differ from Keras's by up to {error:.4g}, above atol={atol:.4g}")
    return error
