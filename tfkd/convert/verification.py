"""`verify_conversion`: the .tflite must give the Keras model's answers."""

import numpy as np

from tfkd.convert.micro_model import MicroModel
from tfkd.convert.tflite_model import TFLiteModel, example_count

RUNTIMES = ("litert", "tflm")


def verify_conversion(keras_model, flatbuffer, inputs, micro=False, min_agreement=0.99, max_abs_error=None,
                      num_examples=200):
    """Runs examples through the Keras model and the flatbuffer; fails loudly if they disagree.

    Args:
        keras_model: the model that was converted (or any callable with `predict`).
        flatbuffer: bytes or path of the .tflite.
        inputs: array [n, ...] (or dict of arrays) of validation inputs.
        micro: bool, also run the TFLite Micro interpreter and compare it
            with Keras and with LiteRT. Default False.
        min_agreement: float in [0, 1], the least share of examples whose
            top-1 class must equal Keras's. Default 0.99.
        max_abs_error: float or None, the largest allowed absolute
            difference of any output from Keras's. Default None (not checked:
            int8 outputs move by a quantization step).
        num_examples: int, the first examples used. Default 200.

    Returns:
        dict: `examples`, and per runtime (`litert`, and `tflm` when `micro`)
        `top1_agreement` and `max_abs_error` against Keras; with `micro`
        also `tflm_vs_litert_agreement`.

    Raises:
        ValueError: a threshold out of range, no examples, or a runtime whose
            agreement or error misses its threshold (the numbers are named).

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> ids = np.random.randint(0, 50, (20, 16), dtype="int32")
        >>> report = verify_conversion(student, tfkd.convert(student, "int8", ids), ids, micro=True)
    """
    if not 0.0 <= min_agreement <= 1.0:
        raise ValueError(f"`min_agreement` must be in [0, 1]; received min_agreement={min_agreement!r}")
    inputs = _first(inputs, num_examples)
    count = example_count(inputs)
    if count == 0:
        raise ValueError("`inputs` is empty; verification needs at least one example")
    expected = np.asarray(keras_model.predict(inputs, verbose=0), np.float32)
    outputs = {"litert": TFLiteModel(flatbuffer).predict(inputs)}
    if micro:
        outputs["tflm"] = MicroModel(flatbuffer).predict(inputs)
    report = {"examples": count}
    for runtime, actual in outputs.items():
        report[runtime] = {"top1_agreement": float(np.mean(actual.argmax(-1) == expected.argmax(-1))),
                           "max_abs_error": float(np.abs(actual - expected).max())}
    if micro:
        report["tflm_vs_litert_agreement"] = float(
            np.mean(outputs["tflm"].argmax(-1) == outputs["litert"].argmax(-1)))
    _check(report, min_agreement, max_abs_error)
    return report


def _first(inputs, count):
    if isinstance(inputs, dict):
        return {name: np.asarray(value)[:count] for name, value in inputs.items()}
    return np.asarray(inputs)[:count]


def _check(report, min_agreement, max_abs_error):
    for runtime in RUNTIMES:
        if runtime not in report:
            continue
        agreement, error = report[runtime]["top1_agreement"], report[runtime]["max_abs_error"]
        if agreement < min_agreement:
            raise ValueError(f"{runtime} agrees with Keras on the top-1 class of {agreement:.1%} of "
                             f"{report['examples']} examples, below min_agreement={min_agreement:.1%} "
                             f"(max abs error {error:.4g})")
        if max_abs_error is not None and error > max_abs_error:
            raise ValueError(f"{runtime} outputs differ from Keras by up to {error:.4g}, above "
                             f"max_abs_error={max_abs_error:.4g}")
