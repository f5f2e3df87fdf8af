"""`deploy`: convert, verify and write the files a phone app or a microcontroller build needs."""

import json
import pathlib

from tfkd.convert.converter import convert
from tfkd.convert.micro_model import MicroModel
from tfkd.convert.mobile_metadata import attach_metadata
from tfkd.convert.tflite_metadata import attach_tflite_metadata
from tfkd.convert.verification import verify_conversion
from tfkd.data.cache import write_bytes_atomic

TARGETS = ("mobile", "micro")


def deploy(model, target, directory, representative_data=None, validation_data=None, vectorizer=None,
           labels=None, mode="int8", name="model", min_agreement=0.99, overwrite=False, flatbuffer=None):
    """Converts `model` for `target`, verifies it and writes its files into `directory`.

    - `"mobile"`: `<name>.tflite` with metadata. With a vectorizer of kind
      "mediapipe", standard TFLite Metadata (`attach_tflite_metadata`) on an
      int8 file with float32 scores out: MediaPipe Tasks' TextClassifier
      loads it with no app code. Otherwise tfkd's own (`attach_metadata`:
      labels, vocabulary, tokenizer settings, output quantization).
    - `"micro"`: `<name>.tflite`, `<name>.h` / `<name>.cc` (aligned array,
      length and the measured arena), after the TFLM op check; validation
      examples also run in TFLM.

    A `<name>.json` report (sizes, arena, verification) is written beside
    them. Files are written atomically and an existing file is never
    replaced unless `overwrite`; that is checked first, before converting.

    Args:
        model: tf_keras student (or any model `convert` takes).
        target: str, "mobile" or "micro".
        directory: str or Path, e.g. `tflite_models/<run>`.
        representative_data: training inputs for int8/int16x8 calibration.
        validation_data: inputs for `verify_conversion`, or None (no check).
        vectorizer: `TextVectorizer` or None (mobile metadata).
        labels: list of str or None (mobile metadata).
        mode: str, a `convert` mode. Default "int8".
        name: str, file stem (a C identifier for micro). Default "model".
        min_agreement: float, top-1 agreement required. Default 0.99.
        overwrite: bool. Default False.
        flatbuffer: bytes or None; `model` already converted in `mode` (it is
            then deployed and verified as it is, not converted again; for
            MediaPipe's file an int8 one is converted again with float32
            scores out, from `representative_data`). Default None.

    Returns:
        dict: the report written to `<name>.json`.

    Raises:
        ValueError: unknown target; an op TFLM lacks (micro); a failed verification.
        FileExistsError: a file exists and `overwrite` is False.

    Example:
        >>> report = deploy(student, "micro", "tflite_models/demo", train_ids, validation_ids)
        >>> report["arena_bytes"], report["flash_bytes"]
    """
    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {list(TARGETS)}; received target={target!r}")
    directory = pathlib.Path(directory)
    suffixes = (".tflite", ".h", ".cc", ".json") if target == "micro" else (".tflite", ".json")
    existing = [name + suffix for suffix in suffixes if (directory / (name + suffix)).exists()]
    if existing and not overwrite:  # checked before the (slow) conversion and before anything is written
        raise FileExistsError(f"{directory} already holds {existing}; refusing to overwrite them "
                              "(pass overwrite=True or another name)")
    if flatbuffer is None:
        flatbuffer = convert(model, mode, representative_data)
    report = {"target": target, "mode": mode, "name": name}
    if target == "micro":
        micro = MicroModel(flatbuffer)
        micro.check_ops()
        report.update(flash_bytes=micro.flash_bytes, arena_bytes=micro.arena_bytes())
        header, source = micro.c_source(name)
        outputs = {f"{name}.tflite": flatbuffer, f"{name}.h": header.encode(), f"{name}.cc": source.encode()}
    elif getattr(vectorizer, "kind", None) == "mediapipe":
        if mode == "int8":  # MediaPipe refuses an int8 output: the same int8 ops, float32 scores out
            if representative_data is None:
                raise ValueError("the mobile file for MediaPipe is converted with float32 scores out, which needs "
                                 "`representative_data` (training inputs for int8 calibration); received None")
            flatbuffer = convert(model, mode, representative_data, output_type="float32")
        flatbuffer = attach_tflite_metadata(flatbuffer, vectorizer, labels)
        report.update(metadata="TFLITE_METADATA (MediaPipe Tasks TextClassifier)", file_bytes=len(flatbuffer))
        outputs = {f"{name}.tflite": flatbuffer}
    else:
        flatbuffer = attach_metadata(flatbuffer, vectorizer, labels)
        report["file_bytes"] = len(flatbuffer)
        outputs = {f"{name}.tflite": flatbuffer}
    if validation_data is not None:
        report["verification"] = verify_conversion(model, flatbuffer, validation_data, micro=target == "micro",
                                                   min_agreement=min_agreement)
    outputs[f"{name}.json"] = json.dumps(report, indent=2).encode()
    for file, content in outputs.items():
        write_bytes_atomic(directory / file, content, overwrite=overwrite)
    report["files"] = sorted(str(directory / file) for file in outputs)
    return report
