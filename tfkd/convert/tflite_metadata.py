"""Standard TFLite Metadata for text classifiers: what MediaPipe Tasks' `TextClassifier` reads.

`attach_tflite_metadata` writes the `TFLITE_METADATA` entry of the published
metadata schema (`tfkd/convert/_tflite_metadata_schema.py`, generated from
it) the way MediaPipe's own metadata writer does for a regex-tokenizer text
classifier: the input tensor carries a `RegexTokenizerOptions` process unit
(delimiter pattern and vocabulary file), the output tensor the class names
as `TENSOR_AXIS_LABELS`; the two files travel in a ZIP appended to the
model, where the runtimes look for associated files. An app then needs no
code of its own: `TextClassifier.createFromFile(context, "student.tflite")`
and `classify(text)`.
"""

import io
import zipfile

import flatbuffers
import numpy as np

from tfkd.convert import _tflite_metadata_schema as schema
from tfkd.convert.mobile_metadata import _with_metadata_entry, _zip
from tfkd.convert.tflite_model import TFLiteModel, _read
from tfkd.data.text_vectorizer import MEDIAPIPE_DELIMITER

METADATA_NAME = "TFLITE_METADATA"
METADATA_IDENTIFIER = b"M001"
# RegexTokenizerOptions came with schema 1.2.1: the oldest parser that can read this metadata.
MIN_PARSER_VERSION = "1.2.1"
VOCABULARY_FILE, LABELS_FILE = "vocab.txt", "labels.txt"
OUTPUT_DTYPES = (np.float32, np.uint8)  # what MediaPipe's TextClassifier accepts (and bool)


def attach_tflite_metadata(flatbuffer, vectorizer, labels, description=None):
    """Returns `flatbuffer` with standard TFLite Metadata for MediaPipe's `TextClassifier`.

    Args:
        flatbuffer: bytes or path of a .tflite text classifier from
            `tfkd.convert`: one int32 input [1, vectorizer.sequence_length]
            and one float32 (or uint8) output [1, classes]; convert an int8
            student with `output_type="float32"`.
        vectorizer: a fitted `tfkd.data.TextVectorizer` of kind "mediapipe",
            whose ids the app's tokenizer reproduces.
        labels: list of str, the class names in output order.
        description: str or None, the model's description.

    Returns:
        bytes: the model with its metadata; it predicts as before.

    Raises:
        ValueError: not a TFLite flatbuffer; the model already has standard
            metadata; an input that is not one int32 [1, length] tensor of
            the vectorizer's length; an output that is not float32/uint8
            [1, classes]; labels of another count; a vectorizer MediaPipe's
            tokenizer cannot reproduce.

    Example:
        >>> vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 16).fit(texts)
        >>> flatbuffer = tfkd.convert(student, "int8", ids, output_type="float32")
        >>> model = attach_tflite_metadata(flatbuffer, vectorizer, ["negative", "positive"])
    """
    path, content = _read(flatbuffer)
    vocabulary = vectorizer.mediapipe_vocabulary_text()  # refuses other kinds, naming why
    if _metadata_payload(content) is not None:
        raise ValueError(f"{path} already carries {METADATA_NAME}; attach it to the converter's output")
    _check_model(path, content, vectorizer.sequence_length, labels)
    metadata = _model_metadata(description)
    builder = flatbuffers.Builder(0)
    builder.Finish(metadata.Pack(builder), METADATA_IDENTIFIER)
    files = {VOCABULARY_FILE: vocabulary, LABELS_FILE: "".join(f"{label}\n" for label in labels)}
    # MediaPipe maps the associated files in place: it refuses a compressed archive.
    return _with_metadata_entry(content, bytes(builder.Output()), METADATA_NAME) + _zip(files, zipfile.ZIP_STORED)


def read_tflite_metadata(model):
    """The standard metadata of `model` as a dict: names, tokenizer pattern, file names and their text.

    Raises:
        ValueError: not a TFLite flatbuffer, or no `TFLITE_METADATA` in it.
    """
    path, content = _read(model)
    payload = _metadata_payload(content)
    if payload is None:
        raise ValueError(f"{path} carries no {METADATA_NAME}; add it with attach_tflite_metadata")
    metadata = schema.ModelMetadataT.InitFromObj(schema.ModelMetadata.GetRootAs(payload, 0))
    (subgraph,) = metadata.subgraphMetadata
    (unit,) = subgraph.inputTensorMetadata[0].processUnits
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    return {"name": _text(metadata.name), "min_parser_version": _text(metadata.minParserVersion),
            "delimiter": _text(unit.options.delimRegexPattern),
            "vocabulary_file": _text(unit.options.vocabFile[0].name),
            "labels_file": _text(subgraph.outputTensorMetadata[0].associatedFiles[0].name),
            "labels": files[LABELS_FILE].split("\n")[:-1], "files": files}


def _check_model(path, content, sequence_length, labels):
    model = TFLiteModel(content, use_xnnpack=False)
    inputs, outputs = model.input_details, model.output_details
    if len(inputs) != 1 or inputs[0]["dtype"] != np.int32 or [int(n) for n in inputs[0]["shape"]] != [
            1, sequence_length]:
        received = [(tuple(int(n) for n in d["shape"]), d["dtype"].__name__) for d in inputs]
        raise ValueError(f"{path}: a text classifier for MediaPipe takes one int32 input [1, {sequence_length}] "
                         f"(the vectorizer's sequence_length); the model takes {received}")
    if len(outputs) != 1 or outputs[0]["dtype"] not in OUTPUT_DTYPES or len(outputs[0]["shape"]) != 2:
        received = [(tuple(int(n) for n in d["shape"]), d["dtype"].__name__) for d in outputs]
        raise ValueError(f"{path}: MediaPipe's TextClassifier needs one float32 or uint8 output [1, classes]; the "
                         f"model gives {received}. Convert an int8 student with output_type='float32'")
    classes = int(outputs[0]["shape"][-1])
    if isinstance(labels, str) or labels is None or len(labels) != classes:
        raise ValueError(f"`labels` must name the model's {classes} classes in output order; received "
                         f"labels={labels!r}")


def _model_metadata(description):
    """The metadata tree MediaPipe's regex text-classifier writer builds, for our tensors."""
    vocabulary = _file(VOCABULARY_FILE, "Words and their ids; the tokenizer looks words up exactly.",
                       schema.AssociatedFileType.VOCABULARY)
    tokenizer = schema.RegexTokenizerOptionsT()
    tokenizer.delimRegexPattern, tokenizer.vocabFile = MEDIAPIPE_DELIMITER, [vocabulary]
    unit = schema.ProcessUnitT()
    unit.optionsType, unit.options = schema.ProcessUnitOptions.RegexTokenizerOptions, tokenizer
    text_input = _tensor("input_text", "Token ids of the input text, computed by the tokenizer below.")
    text_input.processUnits = [unit]
    scores = _tensor("score", "Score of each class (the student's logits: the largest is the prediction).")
    scores.associatedFiles = [_file(LABELS_FILE, "Class names, one per line, in output order.",
                                    schema.AssociatedFileType.TENSOR_AXIS_LABELS)]
    subgraph = schema.SubGraphMetadataT()
    subgraph.inputTensorMetadata, subgraph.outputTensorMetadata = [text_input], [scores]
    metadata = schema.ModelMetadataT()
    metadata.name = "TextClassifier"
    metadata.description = description or "A tfkd student: classifies a text into the known categories."
    metadata.subgraphMetadata, metadata.minParserVersion = [subgraph], MIN_PARSER_VERSION
    return metadata


def _tensor(name, description):
    tensor = schema.TensorMetadataT()
    tensor.name, tensor.description = name, description
    tensor.content = schema.ContentT()
    tensor.content.contentPropertiesType = schema.ContentProperties.FeatureProperties
    tensor.content.contentProperties = schema.FeaturePropertiesT()
    return tensor


def _file(name, description, kind):
    associated = schema.AssociatedFileT()
    associated.name, associated.description, associated.type = name, description, kind
    return associated


def _metadata_payload(content):
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    for entry in model.metadata or []:
        if _text(entry.name) == METADATA_NAME:
            return bytes(bytearray(model.buffers[entry.buffer].data))
    return None


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value

