"""What a compression method really bought: parameters, non-zero parameters, bytes per precision, gzip size."""

import gzip
import re

import numpy as np

# TFLite TensorType -> numpy dtype of a stored constant (schema.fbs)
_TFLITE_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8}
# Variables TF-MOT adds beside a layer's weights: QAT ranges, pruning masks and thresholds, and the
# centroids, indices and weight copy of cluster-preserving QAT.
_BOOKKEEPING = re.compile(r"(_min|_max|/mask|/threshold|/pruning_step|optimizer_step|cluster_centroids_tf|"
                          r"pulling_indices_tf|ori_weights_vars_tf)(:\d+)?$")
_BYTES_PER_PARAMETER = {"float32": 4.0, "float16": 2.0, "int8": 1.0, "ternary": 0.25, "binary": 0.125}


def compression_report(model, flatbuffers=None):
    """Sizes of `model` and of its TFLite files, as numbers a user compares across methods.

    Parameters are the model's own weights (kernels, tables, biases), read
    through TF-MOT's wrappers (pruning, clustering, QAT): their bookkeeping
    variables (masks, ranges, step counters) are not parameters. A file's
    weights are its constant tensors, read from the flatbuffer as stored.

    Args:
        model: a tf_keras model (wrapped by TF-MOT or not).
        flatbuffers: dict or None, name (e.g. "float32", "int8") -> bytes of
            a .tflite file of this model.

    Returns:
        dict with keys parameters, nonzero, distinct_values (the largest
        count of distinct values in one weight), bytes (dense storage at
        float32, float16, int8, 2-bit ternary and 1-bit binary), and files:
        name -> {bytes, gzip_bytes, weights, nonzero_weights}.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> compression_report(student, {"float32": tfkd.convert(student, "float32")})["files"]["float32"]["bytes"]
    """
    values = [weight.numpy() for weight in model_parameters(model)]
    parameters = int(sum(value.size for value in values))
    report = {
        "parameters": parameters,
        "nonzero": int(sum(np.count_nonzero(value) for value in values)),
        "distinct_values": int(max((np.unique(value).size for value in values), default=0)),
        "bytes": {precision: int(np.ceil(parameters * size)) for precision, size in _BYTES_PER_PARAMETER.items()},
        "files": {},
    }
    for name, content in (flatbuffers or {}).items():
        constants = tflite_constants(content)
        report["files"][name] = {
            "bytes": len(content),
            "gzip_bytes": gzipped_size(content),
            "weights": int(sum(value.size for value in constants)),
            "nonzero_weights": int(sum(np.count_nonzero(value) for value in constants)),
        }
    return report


def model_parameters(model):
    """The weights a model computes with: TF-MOT's bookkeeping variables (masks, ranges, counters) left out.

    A clustered model should be stripped first (`strip_clustering`): its
    wrappers hold centroids and indices, not the weights.
    """
    unique = {id(weight): weight for weight in model.weights}
    return [weight for weight in unique.values()
            if weight.dtype.is_floating and not _BOOKKEEPING.search(weight.name)]


def tflite_constants(content):
    """The constant tensors (weights) stored in a TFLite flatbuffer, as numpy arrays."""
    from tensorflow.lite.tools import flatbuffer_utils

    tflite = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    arrays = []
    for subgraph in tflite.subgraphs:
        for tensor in subgraph.tensors:
            data = tflite.buffers[tensor.buffer].data
            if data is not None and len(data) and tensor.type in _TFLITE_DTYPES:
                arrays.append(np.frombuffer(bytes(bytearray(data)), _TFLITE_DTYPES[tensor.type]))
    return arrays


def gzipped_size(content):
    """Bytes of `content` gzipped at the highest level (what a download or an app bundle costs)."""
    return len(gzip.compress(bytes(content), compresslevel=9, mtime=0))
