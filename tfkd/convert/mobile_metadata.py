"""Metadata a phone app reads from the .tflite itself: labels, vocabulary, tokenizer, quantization.

Two copies of the same information are written, so each kind of reader has one:

- a `tfkd` entry in the flatbuffer's own `metadata` table (a JSON buffer),
  for tools that parse the TFLite schema;
- a ZIP archive appended to the file (`tfkd.json`, `vocab.txt`, `labels.txt`),
  the "associated files" layout of TFLite Support's metadata: interpreters
  ignore trailing bytes, and an app opens the same file with
  `java.util.zip.ZipFile` (Android) or a ZIP library (iOS).
"""

import io
import json
import zipfile

from tfkd.convert.tflite_model import TFLiteModel, _read

METADATA_NAME, METADATA_FILE, VOCABULARY_FILE, LABELS_FILE = "tfkd", "tfkd.json", "vocab.txt", "labels.txt"


def attach_metadata(flatbuffer, vectorizer=None, labels=None, description=None):
    """Returns `flatbuffer` with tokenizer, vocabulary, labels and output quantization embedded.

    Args:
        flatbuffer: bytes or path of a .tflite from `tfkd.convert`.
        vectorizer: `tfkd.data.TextVectorizer` or None; its vocabulary and
            settings (sequence length, lowercasing, ids of padding/unknown).
        labels: list of str or None, class names in logit order.
        description: str or None.

    Returns:
        bytes: the model with metadata; it loads and predicts as before.

    Raises:
        ValueError: not a TFLite flatbuffer, it already carries tfkd
            metadata, or the label count differs from the model's outputs.

    Example:
        >>> model = attach_metadata(tfkd.convert(student, "int8", ids), vectorizer, ["negative", "positive"])
        >>> read_metadata(model)["labels"]
        ['negative', 'positive']
    """
    _, content = _read(flatbuffer)
    if _archive(content) is not None:
        raise ValueError("the model already carries tfkd metadata; attach it to the converter's output")
    metadata = _describe(content, vectorizer, labels, description)
    files = {METADATA_FILE: json.dumps(metadata, indent=2)}
    if vectorizer is not None:
        files[VOCABULARY_FILE] = vectorizer.vocabulary_text()
    if labels is not None:
        files[LABELS_FILE] = "\n".join(labels) + "\n"
    return _with_metadata_entry(content, json.dumps(metadata).encode("utf-8")) + _zip(files)


def read_metadata(model):
    """The metadata dict written by `attach_metadata`, with `vocabulary` and `labels` lists.

    Raises:
        ValueError: not a TFLite flatbuffer, or no tfkd metadata in it.
    """
    path, content = _read(model)
    archive = _archive(content)
    if archive is None:
        raise ValueError(f"{path} carries no tfkd metadata; add it with tfkd.convert.attach_metadata")
    with archive:
        metadata = json.loads(archive.read(METADATA_FILE))
        for key, name in (("vocabulary", VOCABULARY_FILE), ("labels", LABELS_FILE)):
            if name in archive.namelist():
                metadata[key] = archive.read(name).decode("utf-8").split("\n")[:-1]
    return metadata


def _describe(content, vectorizer, labels, description):
    model = TFLiteModel(content, use_xnnpack=False)
    (output,) = model.output_details
    classes = int(output["shape"][-1])
    if labels is not None and len(labels) != classes:
        raise ValueError(f"`labels` has {len(labels)} names; the model has {classes} outputs")
    scale, zero_point = output["quantization"]
    return {
        "format": "tfkd-metadata-1",
        "description": description,
        "inputs": [{"name": detail["name"], "shape": [int(n) for n in detail["shape"]],
                    "dtype": str(detail["dtype"].__name__)} for detail in model.input_details],
        "output": {"name": output["name"], "shape": [int(n) for n in output["shape"]],
                   "dtype": str(output["dtype"].__name__), "scale": float(scale), "zero_point": int(zero_point),
                   "meaning": "logits; dequantize as (value - zero_point) * scale when scale > 0"},
        "tokenizer": vectorizer.tokenizer_settings() if vectorizer is not None else None,
        "labels_file": LABELS_FILE if labels is not None else None,
    }


def _with_metadata_entry(content, payload, name=METADATA_NAME):
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    schema = flatbuffer_utils.schema_fb
    buffer = schema.BufferT()
    buffer.data = list(payload)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = name, len(model.buffers) - 1
    model.metadata = list(model.metadata or []) + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _zip(files, compression=zipfile.ZIP_DEFLATED):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return stream.getvalue()


def _archive(content):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return None
    if METADATA_FILE not in archive.namelist():
        archive.close()
        return None
    return archive
