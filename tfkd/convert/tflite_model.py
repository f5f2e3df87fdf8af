"""`TFLiteModel`: a .tflite file run in the LiteRT interpreter, batch by batch."""

import hashlib
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

from tfkd._keras import CONVERTER_NOISE, START_UP_NOISE, filtered_stderr, import_optional

TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier at bytes 4..8
PROBE_TIMEOUT_SECONDS = 120
# Run by `_probe` in a child process: load, allocate, run once on zeros. A Python error exits 1 (the
# parent's own attempt reports it, with its message); only a crash or a hang is the probe's business.
_PROBE = """
import sys
import numpy as np
from ai_edge_litert import interpreter as litert
resolver = (litert.OpResolverType.AUTO if sys.argv[2] == "xnnpack"
            else litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
try:
    interpreter = litert.Interpreter(model_path=sys.argv[1], experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    interpreter.invoke()
except Exception:
    sys.exit(1)
"""
# (sha256, resolver) of flatbuffers this process may run in-process: written by `tfkd.convert`, or probed.
_SAFE = set()


class TFLiteModel:
    """Runs a TFLite flatbuffer with `ai_edge_litert` and returns float outputs.

    Quantized (int8) outputs are dequantized with the scale and zero point
    stored in the file, so results compare directly with the Keras model.

    Args:
        model: bytes of a flatbuffer, or a path to a .tflite file.
        num_threads: int, interpreter threads. Default 1.
        use_xnnpack: bool, apply the XNNPACK delegate. Default True.

    A flatbuffer that `tfkd.convert` did not just write is first loaded and
    run once in a child process: LiteRT ends the process (SIGSEGV) on some
    damaged files instead of raising, and that crash becomes a ValueError
    here (about half a second, once per file and resolver).

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the content is not a TFLite flatbuffer, or crashes or
            hangs the interpreter (the path is named).
    """

    def __init__(self, model, num_threads=1, use_xnnpack=True):
        self.path, content = _read(model)
        self.size_bytes = len(content)
        _probe(content, self.path, "xnnpack" if use_xnnpack else "builtin")
        litert = import_optional("ai_edge_litert.interpreter", "ai-edge-litert")
        resolver = (litert.OpResolverType.AUTO if use_xnnpack
                    else litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        with filtered_stderr(START_UP_NOISE + CONVERTER_NOISE):  # "INFO: Created TensorFlow Lite XNNPACK delegate"
            try:
                self.interpreter = litert.Interpreter(model_content=content, num_threads=num_threads,
                                                      experimental_op_resolver_type=resolver)
                self.interpreter.allocate_tensors()
            except (RuntimeError, ValueError) as error:
                raise ValueError(f"LiteRT cannot load {self.path}: {error}") from error
        self.input_details = self.interpreter.get_input_details()
        self.output_details = self.interpreter.get_output_details()

    def invoke(self, sample):
        """Runs one example (batch 1: an array, or a dict by input name); returns float output [1, ...]."""
        for detail in self.input_details:
            self.interpreter.set_tensor(detail["index"], shaped_input(sample, detail, self.path))
        try:
            self.interpreter.invoke()
        except RuntimeError as error:
            if "gather index out of bounds" not in str(error):
                raise
            raise self.out_of_table_error(sample) from error
        detail = self.output_details[0]
        return dequantized(self.interpreter.get_tensor(detail["index"]), *detail["quantization"])

    def ids_outside_table(self, sample):
        """Whether an integer input of `sample` holds an id below 0 or beyond the model's smallest GATHER table."""
        rows = self._table_rows()
        ids = [np.asarray(input_value(sample, detail["name"])) for detail in self.input_details]
        return isinstance(rows, int) and any(np.issubdtype(value.dtype, np.integer) and value.size
                                             and (value.min() < 0 or value.max() >= rows) for value in ids)

    def out_of_table_error(self, sample):
        """The ValueError for a `sample` whose ids the model's embedding table does not have."""
        ids = [np.asarray(input_value(sample, detail["name"])) for detail in self.input_details]
        ids = [value for value in ids if np.issubdtype(value.dtype, np.integer)]
        largest, smallest = max(int(value.max()) for value in ids), min(int(value.min()) for value in ids)
        return ValueError(f"{self.path}: an input id is outside the model's embedding table (ids given from "
                          f"{smallest} to {largest}; the table has {self._table_rows()} rows): the ids come from "
                          "another tokenizer or vocabulary than the model's")

    def _table_rows(self):
        """Rows of the smallest table a GATHER op of the model reads: the ids it accepts are below this."""
        shapes = {tensor["index"]: tensor["shape"] for tensor in self.interpreter.get_tensor_details()}
        rows = [int(shapes[op["inputs"][0]][0]) for op in self.interpreter._get_ops_details()  # LiteRT's op list
                if op["op_name"] == "GATHER" and len(shapes.get(op["inputs"][0], ())) > 0]
        return min(rows) if rows else "an unknown number of"

    def predict(self, inputs):
        """Outputs for every example of `inputs` ([n, ...] array or dict of arrays), run one at a time."""
        rows = [self.invoke(example_at(inputs, i)) for i in range(example_count(inputs))]
        return np.concatenate(rows, axis=0) if rows else np.zeros((0,), np.float32)

    def input_shapes(self):
        """Input name -> (shape, dtype) as stored in the file."""
        return {detail["name"]: (tuple(detail["shape"]), np.dtype(detail["dtype"])) for detail in self.input_details}


def mark_safe(flatbuffer):
    """Records that tfkd wrote `flatbuffer` itself: `TFLiteModel` runs it without the child-process probe."""
    digest = hashlib.sha256(flatbuffer).hexdigest()
    _SAFE.update({(digest, "xnnpack"), (digest, "builtin")})


def _probe(content, path, resolver):
    """Runs `content` once in a child process unless it is known safe; a crash or hang raises ValueError."""
    key = (hashlib.sha256(content).hexdigest(), resolver)
    if key in _SAFE:
        return
    status = run_in_child(_PROBE, content, resolver, timeout=PROBE_TIMEOUT_SECONDS)
    if status is None:
        raise ValueError(f"{path}: the LiteRT interpreter did not finish one inference within "
                         f"{PROBE_TIMEOUT_SECONDS} s; the file is damaged or not a model LiteRT can run")
    if status < 0:
        raise ValueError(f"{path} crashes the LiteRT interpreter (signal {-status}) when loaded and run "
                         "once: the file is damaged (truncated, bit flips) or was not written by a TFLite converter")
    _SAFE.add(key)


def run_in_child(script, content, *arguments, timeout):
    """Runs Python `script` in a child process with `content` in a temporary file (its argv[1]) and `arguments`
    after it: the exit status (negative: the signal that ended it), or None when it ran past `timeout` s.

    How tfkd runs an interpreter on a file that may crash it: the crash ends the child, not this process.
    """
    with tempfile.TemporaryDirectory() as folder:
        model = pathlib.Path(folder) / "model.tflite"
        model.write_bytes(content)
        try:
            return subprocess.run([sys.executable, "-c", script, str(model), *map(str, arguments)],
                                  capture_output=True, timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            return None


def _read(model):
    if isinstance(model, (bytes, bytearray)):
        path, content = "<bytes>", bytes(model)
    else:
        path = pathlib.Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"TFLite model {path} does not exist")
        content = path.read_bytes()
    if len(content) < 8 or content[4:8] != TFLITE_IDENTIFIER:
        raise ValueError(f"{path} is not a TFLite flatbuffer (expected identifier {TFLITE_IDENTIFIER!r} "
                         f"at bytes 4-8, found {content[4:8]!r}; {len(content)} bytes): truncated or another format?")
    return path, content


def example_count(inputs):
    """Examples in an array or a dict of arrays (the first array's length)."""
    return len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)


def input_value(sample, model_input_name):
    """The part of `sample` (an array, or a dict by input name) that feeds the model input `model_input_name`."""
    return sample[match_input(model_input_name, sample)] if isinstance(sample, dict) else sample


def shaped_input(sample, detail, path):
    """The part of `sample` for the model input `detail`, as its dtype and shape (batch 1); a ValueError naming
    both shapes when the sizes differ."""
    value = np.asarray(input_value(sample, detail["name"]))
    shape = [int(size) for size in detail["shape"]]
    if value.size != int(np.prod(shape)):
        raise ValueError(f"{path}: input {detail['name']!r} takes one example of shape {shape[1:]}; received "
                         f"shape {list(value.shape[1:])} (e.g. ids padded to another sequence length)")
    return value.astype(detail["dtype"]).reshape(shape)


def dequantized(output, scale, zero_point):
    """A model output as float32: scale * (output - zero_point) when quantized (scale > 0), else as is."""
    output = np.asarray(output).astype(np.float32)
    return (output - zero_point) * scale if scale else output


def example_at(inputs, index):
    """Example `index` of an array or dict of arrays, as a batch of one."""
    if isinstance(inputs, dict):
        return {name: np.asarray(value)[index:index + 1] for name, value in inputs.items()}
    return np.asarray(inputs)[index:index + 1]


def match_input(model_input_name, names):
    """Which of `names` feeds the TFLite input `model_input_name`.

    Converted signatures name inputs like "serving_default_token_ids:0" or
    "token_ids"; a data key matches when it is contained in that name.
    """
    for name in names:
        if model_input_name == name or name in model_input_name:
            return name
    raise ValueError(f"no value for TFLite input {model_input_name!r}; received keys {sorted(names)}")
