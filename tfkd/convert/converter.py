"""Keras model -> TFLite flatbuffer in float32, float16, dynamic-range, full-int8 or 16x8 mode."""

import contextlib
import warnings

import numpy as np

from tfkd._checks import check_integer
from tfkd._keras import CONVERTER_NOISE, START_UP_NOISE, filtered_stderr, import_optional, keras, tf
from tfkd.convert.tflite_model import mark_safe
from tfkd.data.cache import write_bytes_atomic

MODES = ("float32", "float16", "dynamic", "int8", "int16x8")
CALIBRATED_MODES = ("int8", "int16x8")
OUTPUT_TYPES = ("int8", "float32")  # of an "int8" file's output


def convert(model, mode="int8", representative_data=None, num_samples=200, output_path=None, overwrite=False,
            sequence_length=None, strip_names=False, output_type=None):
    """Converts a Keras model (tf_keras or Keras 3) to a TFLite flatbuffer with a batch-1 signature.

    The signature is fixed to [1, sequence_length] (a dynamic batch fails on
    TensorListReserve for LSTMs) and recurrent layers are unrolled, which
    keeps their outputs equal to Keras's (see `_unrolled_copy`).
    In `"int8"` mode weights and activations are int8 and so is the output
    (its scale and zero point are in the file); integer token ids stay int32.
    `"int16x8"` keeps int8 weights with int16 activations and output.

    Args:
        model: a Keras model with fixed-length inputs.
        mode: str, one of "float32", "float16", "dynamic", "int8" (default), "int16x8".
        representative_data: for "int8" and "int16x8": an array [n, ...] of inputs (or a
            dict of such arrays for a multi-input model), typically training examples.
        num_samples: int, representative examples used. Default 200.
        output_path: str, Path or None; where to write the file.
        overwrite: bool, replace an existing `output_path`. Default False.
        sequence_length: int or None, fills an input's unknown length
            (e.g. a keras-hub BERT's token axis). Default None.
        strip_names: bool, drop the names of intermediate tensors (see
            `strip_tensor_names`). Default False: names let `MicroModel`
            name the Keras layer behind an unsupported op.
        output_type: None (default: the mode's own; int8 for "int8") or, in
            "int8" mode, `"float32"`: every op stays int8 and one DEQUANTIZE
            gives float32 scores, the output MediaPipe Tasks and the TFLite
            Task Library accept (they refuse an int8 output).

    Returns:
        bytes of the .tflite flatbuffer.

    Raises:
        ValueError: unknown mode; "int8"/"int16x8" without representative data, with
            an empty one, or with samples of the wrong dtype or shape; an
            `output_type` other than "int8"/"float32", or given outside "int8" mode.
        FileExistsError: `output_path` exists and `overwrite` is False.

    Example:
        >>> model = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> flatbuffer = tfkd.convert(model, "int8", np.random.randint(0, 50, (20, 16), dtype="int32"))
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {list(MODES)}; received mode={mode!r}")
    if output_type is not None and (mode != "int8" or output_type not in OUTPUT_TYPES):
        raise ValueError(f"`output_type` is {list(OUTPUT_TYPES)} in mode 'int8' (or None); received "
                         f"output_type={output_type!r} with mode={mode!r}")
    signature = input_signature(model, sequence_length)
    converter = _converter(model, signature)
    if mode != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode in CALIBRATED_MODES:
        num_samples = check_integer("num_samples", num_samples, 1)  # 0 would calibrate int8 ranges on nothing
        samples = representative_samples(representative_data, signature, num_samples, mode)
        check_ids(model, representative_data)
        # The calibrator takes a dict sample by input name, an array sample inside a list (by position).
        converter.representative_dataset = lambda: (sample if isinstance(sample, dict) else [sample]
                                                    for sample in samples)
        if mode == "int8":
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_output_type = tf.float32 if output_type == "float32" else tf.int8
        else:  # int16 activations, int8 weights: closer to float where int8 activations lose too much
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            converter.inference_output_type = tf.int16
    flatbuffer = _quiet_convert(converter)
    if mode == "int8":
        _warn_if_float(flatbuffer)
    if strip_names:
        flatbuffer = strip_tensor_names(flatbuffer)
    mark_safe(flatbuffer)
    if output_path is not None:
        write_bytes_atomic(output_path, flatbuffer, overwrite=overwrite)
    return flatbuffer


def strip_tensor_names(flatbuffer):
    """`flatbuffer` without the names of its intermediate tensors; it computes exactly as before.

    Names are debugging strings ("model/layer/op;..."), one per tensor: an
    LSTM unrolled over 64 steps holds thousands, a third of its int8 file.
    Unlike TFLite's `flatbuffer_utils.strip_strings`, the inputs', outputs'
    and signatures' names stay, so inputs are still matched by name.

    Args:
        flatbuffer: bytes of a .tflite file.

    Returns:
        bytes of the smaller file.
    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    for subgraph in model.subgraphs:
        kept = set(subgraph.inputs) | set(subgraph.outputs)
        for index, tensor in enumerate(subgraph.tensors):
            if index not in kept:
                tensor.name = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def float_tensors(flatbuffer):
    """Names of the float32 tensors of a .tflite flatbuffer other than its inputs and outputs (none in a
    full-int8 file, whose output is int8 or, with `output_type="float32"`, the one dequantized result)."""
    litert = import_optional("ai_edge_litert.interpreter", "ai-edge-litert")
    interpreter = litert.Interpreter(model_content=flatbuffer)
    ends = {detail["index"] for detail in interpreter.get_input_details() + interpreter.get_output_details()}
    return [detail["name"] for detail in interpreter.get_tensor_details()
            if detail["dtype"] == np.float32 and detail["index"] not in ends]


def _warn_if_float(flatbuffer):
    floats = float_tensors(flatbuffer)
    if floats:
        warnings.warn(f"the int8 file keeps {len(floats)} float32 tensors, e.g. {floats[0][:120]!r}; it runs, "
                      "but a DEQUANTIZE/QUANTIZE pair costs time and TFLite Micro needs the float kernels",
                      stacklevel=3)


def input_signature(model, sequence_length=None):
    """`tf.TensorSpec`s with batch 1 for the model's inputs (a dict for dict-input models)."""
    inputs = model.input
    if isinstance(inputs, dict):
        return {name: _batch_one_spec(tensor, name, sequence_length) for name, tensor in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        raise ValueError(f"model {model.name!r} has {len(inputs)} positional inputs; give it named (dict) inputs")
    return _batch_one_spec(inputs, getattr(inputs, "name", "inputs").split(":")[0], sequence_length)


def representative_samples(data, signature, num_samples, mode="int8"):
    """Batch-1 samples matching `signature`, checked for dtype and shape."""
    if data is None:
        raise ValueError(f"mode={mode!r} needs `representative_data`: a few hundred training inputs")
    if isinstance(signature, dict):
        if not isinstance(data, dict):
            raise ValueError(f"the model takes inputs {sorted(signature)}; give representative_data as a dict of arrays")
        columns = {name: _checked(np.asarray(data[name]), spec, name) for name, spec in signature.items()}
        count = min(num_samples, min(len(column) for column in columns.values()))
        return [{name: column[i:i + 1] for name, column in columns.items()} for i in range(count)]
    column = _checked(np.asarray(data), signature, "representative_data")
    return [column[i:i + 1] for i in range(min(num_samples, len(column)))]


def check_ids(model, data):
    """Raises ValueError when the token ids of `data` (an array, or a dict's "token_ids") fall outside the
    model's first Embedding table; other inputs (images, audio) are not ids and are left alone."""
    tables = [layer.input_dim for layer in getattr(model, "layers", ()) if isinstance(layer, keras.layers.Embedding)]
    ids = np.asarray(data.get("token_ids", ()) if isinstance(data, dict) else data)
    if not tables or not ids.size or not np.issubdtype(ids.dtype, np.integer):
        return
    if ids.min() < 0 or ids.max() >= tables[0]:
        raise ValueError(f"`representative_data` holds ids in [{ids.min()}, {ids.max()}]; the model's embedding "
                         f"table has {tables[0]} rows, so ids must be in [0, {tables[0] - 1}]: the ids come from "
                         "another tokenizer or vocabulary than the model's")


def _checked(array, spec, name):
    if array.size == 0 or len(array) == 0:
        raise ValueError(f"`{name}` is empty; int8 calibration needs at least one example")
    expected = tuple(spec.shape[1:])
    if tuple(array.shape[1:]) != expected:
        raise ValueError(f"`{name}` samples have shape {tuple(array.shape[1:])}; the model input "
                         f"{spec.name!r} expects {expected}")
    if array.dtype != spec.dtype.as_numpy_dtype:
        if np.issubdtype(array.dtype, np.floating) != np.issubdtype(spec.dtype.as_numpy_dtype, np.floating):
            raise ValueError(f"`{name}` has dtype {array.dtype}; the model input {spec.name!r} expects "
                             f"{spec.dtype.name} (e.g. token ids must be integers, not floats)")
        array = array.astype(spec.dtype.as_numpy_dtype)
    return array


def _converter(model, signature):
    if isinstance(model, keras.Model) and not _rebuildable(model) and _recurrent_layers(model):
        raise ValueError(
            f"cannot convert {model.name!r}: a cluster-preserving QAT model cannot be rebuilt with its recurrent "
            f"layers {_recurrent_layers(model)} unrolled, and a rolled LSTM crashes TFLite's int8 calibration "
            "(TF 2.21). Use preserve='sparsity' or plain QAT for recurrent students, or convert the clustered "
            "model without QAT.")
    if isinstance(model, keras.Model) and _rebuildable(model):
        # A batch-1 clone with RNNs unrolled. Measured here with TF 2.21: a tf.function trace of
        # a rolled LSTM leaves a WHILE loop whose int8 calibration crashes the converter, and the
        # fused UNIDIRECTIONAL_SEQUENCE_LSTM that from_keras_model makes of it gives wrong logits.
        return tf.lite.TFLiteConverter.from_keras_model(_batch_one_clone(model, signature))
    return tf.lite.TFLiteConverter.from_concrete_functions(
        [_serving_function(model, signature)], _variable_holder(model))


def _recurrent_layers(model):
    """Names of the tf_keras RNN and Bidirectional layers of `model` (none for a Keras 3 model)."""
    if not isinstance(model, keras.Model):
        return []
    return [layer.name for layer in model.layers
            if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]


def _rebuildable(model):
    """False for a cluster-preserving QAT model: its quantizers size their variables from the clustered
    weights when built, so a fresh copy cannot take the trained values. It is traced as it is."""
    return not any("ClusterPreserve" in type(getattr(getattr(layer, "quantize_config", None), "weight_quantizer",
                                                     None)).__name__ for layer in model.layers)


def _batch_one_clone(model, signature):
    """The same model (same weights) rebuilt on inputs with batch size 1."""
    if isinstance(signature, dict):
        inputs = {name: keras.Input(batch_shape=spec.shape, dtype=spec.dtype, name=name)
                  for name, spec in signature.items()}
    else:
        inputs = keras.Input(batch_shape=signature.shape, dtype=signature.dtype, name=signature.name)
    with _clone_scope(model):
        clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=_unrolled_copy)
    clone.set_weights(model.get_weights())
    return clone


def _clone_scope(model):
    """TF-MOT's custom-object scope when `model` holds its wrappers (a QAT model), so that it clones."""
    if any(type(layer).__module__.startswith("tensorflow_model_optimization") for layer in model.layers):
        tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
        return tfmot.quantization.keras.quantize_scope()
    return contextlib.nullcontext()


def _unrolled_copy(layer):
    """A fresh copy of `layer`, recurrent layers unrolled.

    Fused UNIDIRECTIONAL_SEQUENCE_LSTM ops gave logits off by up to 8 (the
    Keras model's own, on a trained BiLSTM student) with TF 2.21, in float32
    too; unrolled, the LSTM becomes plain FULLY_CONNECTED/LOGISTIC/TANH/MUL
    ops that match Keras and that TFLite Micro also supports. An LSTM cell
    also cuts its gates apart with slices instead of one SPLIT (see
    `_sliced_gates_call`).
    """
    config = layer.get_config()
    _set_unroll(config)
    copy = layer.__class__.from_config(config)
    for sublayer in (copy, getattr(copy, "forward_layer", None), getattr(copy, "backward_layer", None)):
        cell = getattr(sublayer, "cell", None)
        if isinstance(cell, keras.layers.LSTMCell):
            cell.call = _sliced_gates_call(cell)
    return copy


def _sliced_gates_call(cell):
    """The inference step of tf_keras's LSTMCell (implementation 2) with its gates cut by 4 slices.

    Measured with TF 2.21 on unrolled (Bi)LSTMs: the int8 quantizer left one
    or two of the cell's 4-way gate SPLITs in float (DEQUANTIZE -> SPLIT ->
    QUANTIZE) in about 1 conversion in 2 of the same model, at random, and
    conversion after conversion at times. STRIDED_SLICE ops, which take the
    scale of their input as SPLIT does, quantize every time (0 float tensors
    in 10 of 10) and give the same outputs to the bit. Latency does not
    change; a tiny BiLSTM's file grows 4% (176 KB against 170 KB), the best
    MR recipe's (64 steps each way) shrinks 4.7% (1080.0 KiB against 1132.7
    KiB, benchmarks/results/recipe_best_mr.md before and after).
    Dropout masks are left out: the copy only serves conversion.
    """
    def call(inputs, states, training=None):
        hidden, carry = states[0], states[1]
        gates = tf.matmul(inputs, cell.kernel) + tf.matmul(hidden, cell.recurrent_kernel)
        if cell.use_bias:
            gates = tf.nn.bias_add(gates, cell.bias)
        units = cell.units
        carry, output_gate = cell._compute_carry_and_output_fused(
            [gates[:, index * units:(index + 1) * units] for index in range(4)], carry)
        hidden = output_gate * cell.activation(carry)
        return hidden, [hidden, carry]

    return call


def _set_unroll(config):
    if "unroll" in config:
        config["unroll"] = True
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict) and "config" in config[key]:
            _set_unroll(config[key]["config"])


def _serving_function(model, signature):
    @tf.autograph.experimental.do_not_convert
    def serve(inputs):
        return model(inputs, training=False)

    return tf.function(serve, input_signature=[signature]).get_concrete_function()


def _variable_holder(model):
    """A trackable holding the model's `tf.Variable`s, so the converter freezes them.

    Keras 3 wraps each `tf.Variable` in a `KerasVariable` (`.value` is the
    tf one); given the Keras 3 model itself the converter finds no variables
    and leaves VAR_HANDLE ops that read uninitialised memory (NaN outputs).
    """
    holder = tf.Module()
    holder.frozen_variables = [getattr(weight, "value", weight) for weight in model.weights]
    return holder


def _batch_one_spec(tensor, name, sequence_length=None):
    shape = [1] + [sequence_length if size is None else size for size in tensor.shape[1:]]
    if any(size is None for size in shape):
        raise ValueError(f"input {name!r} has shape {tuple(tensor.shape)}; TFLite conversion needs a fixed "
                         "length: pass `sequence_length=` or build the model with e.g. Input(shape=(64,))")
    return tf.TensorSpec(shape, tf.as_dtype(tensor.dtype), name=name)


def _quiet_convert(converter):
    """`converter.convert()` without the converter's native progress lines ("fully_quantize: 0, ...")."""
    with filtered_stderr(START_UP_NOISE + CONVERTER_NOISE), warnings.catch_warnings():
        # Said of every full-int8 conversion with float inputs: the inputs are ids, quantized by the file itself.
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        return converter.convert()
