"""`MicroModel`: a .tflite checked for, run in and exported to TensorFlow Lite for Microcontrollers."""

import functools
import os
import re

import numpy as np

from tfkd._checks import check_integer
from tfkd._keras import captured_stderr, import_optional
from tfkd.convert.tflite_model import (TFLiteModel, _read, dequantized, example_at, example_count, run_in_child,
                                       shaped_input)
from tfkd.data.cache import write_bytes_atomic

# Builtin ops registered by the installed TFLM runtime (tflite-micro 0.dev20261023, the
# `Register_<OP>` symbols of its _runtime.so; tests/convert/test_micro_model.py re-reads them).
TFLM_BUILTIN_OPS = frozenset("""
ABS ADD ADD_N ARG_MAX ARG_MIN ASSIGN_VARIABLE AVERAGE_POOL_2D BATCH_MATMUL BATCH_TO_SPACE_ND BROADCAST_ARGS
BROADCAST_TO CALL_ONCE CAST CEIL CONCATENATION CONV_2D COS CUMSUM DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE
DETECTION_POSTPROCESS DIV DYNAMIC_UPDATE_SLICE ELU EMBEDDING_LOOKUP EQUAL EXP EXPAND_DIMS FILL FLOOR FLOOR_DIV
FLOOR_MOD FULLY_CONNECTED GATHER GATHER_ND GREATER GREATER_EQUAL HARD_SWISH IF L2_NORMALIZATION L2_POOL_2D
LEAKY_RELU LESS LESS_EQUAL LOG LOGICAL_AND LOGICAL_NOT LOGICAL_OR LOGISTIC LOG_SOFTMAX MAXIMUM MAX_POOL_2D MEAN
MINIMUM MIRROR_PAD MUL NEG NOT_EQUAL PACK PAD PADV2 PRELU QUANTIZE READ_VARIABLE REDUCE_ALL REDUCE_MAX REDUCE_MIN
RELU RELU6 RESHAPE RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR REVERSE_V2 ROUND RSQRT SELECT_V2 SHAPE SIN SLICE
SOFTMAX SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V SQRT SQUARE SQUARED_DIFFERENCE SQUEEZE STRIDED_SLICE SUB
SUM SVDF TANH TRANSPOSE TRANSPOSE_CONV UNIDIRECTIONAL_SEQUENCE_LSTM UNPACK VAR_HANDLE WHILE ZEROS_LIKE
""".split())

# Run by `MicroModel._probe` in a child process: load the model, run it once on zeros. An error exits 1
# (reported by the parent's own attempt); only a crash (a signal) is the probe's business.
_PROBE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
try:
    interpreter = runtime.Interpreter.from_bytes(open(sys.argv[1], "rb").read(), arena_size=int(sys.argv[2]))
    for position in range(int(sys.argv[3])):
        detail = interpreter.get_input_details(position)
        interpreter.set_input(np.zeros(detail["shape"], detail["dtype"]), position)
    interpreter.invoke()
except Exception:
    sys.exit(1)
"""
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
DEFAULT_ARENA_LIMIT = 8 * 1024 * 1024
PROBE_TIMEOUT_SECONDS = 600  # one TFLM load and inference in the child process


class MicroModel:
    """A TFLite flatbuffer for a microcontroller: op check, measured arena, C source, TFLM outputs.

    Args:
        model: bytes of a flatbuffer or a path to a .tflite file (e.g. from
            `tfkd.convert(student, "int8")`).
        arena_limit: int, the largest tensor arena tried when measuring, in
            bytes. Default 8 MiB.

    Raises:
        ValueError: not a TFLite flatbuffer (the path is named).

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> ids = np.random.randint(0, 50, (20, 16), dtype="int32")
        >>> micro = MicroModel(tfkd.convert(student, "int8", ids))
        >>> micro.check_ops()              # raises naming any op TFLM lacks, and its Keras layer
        >>> arena = micro.arena_bytes()    # measured by the TFLM interpreter
        >>> micro.write_c_source("firmware/", name="model_data")
    """

    def __init__(self, model, arena_limit=DEFAULT_ARENA_LIMIT):
        self.path, self.content = _read(model)
        self.arena_limit = check_integer("arena_limit", arena_limit, 1)
        self._arena_bytes = None
        self._safe_arenas = set()  # arena sizes a child process ran the model with

    @property
    def flash_bytes(self):
        """Bytes the model occupies in flash: the flatbuffer itself."""
        return len(self.content)

    def ops(self):
        """[(op name, Keras layer)] in execution order; the layer is read from the op's output tensor name."""
        interpreter = self._litert.interpreter
        names = {tensor["index"]: tensor["name"] for tensor in interpreter.get_tensor_details()}
        return [(op["op_name"], _layer_name(names.get(int(op["outputs"][0]), "") if len(op["outputs"]) else ""))
                for op in interpreter._get_ops_details()]  # LiteRT's only per-op listing

    def check_ops(self):
        """Raises ValueError naming each op TFLite Micro lacks and the Keras layer it came from."""
        missing = [(op, layer) for op, layer in self.ops() if op not in TFLM_BUILTIN_OPS]
        if missing:
            listed = "; ".join(f"{op} (from layer {layer!r})" for op, layer in dict.fromkeys(missing))
            raise ValueError(f"{self.path}: TensorFlow Lite Micro has no kernel for {listed}. Replace those layers "
                             "(e.g. unrolled LSTM cells instead of a fused op, GlobalMaxPooling instead of "
                             "dynamic shapes) or target 'mobile'.")

    def arena_bytes(self):
        """The tensor arena the model needs, measured by TFLM's recording allocator after one inference."""
        if self._arena_bytes is None:
            interpreter = self._interpreter(self.arena_limit)
            for position in range(len(self._litert.input_details)):
                interpreter.set_input(self._zero_input(interpreter, position), position)
            with captured_stderr() as log:
                interpreter.invoke()
                interpreter.print_allocations()
            match = _ARENA_TOTAL.search(log.text)
            if match is None:
                raise RuntimeError(f"TFLM printed no arena total for {self.path}: {log.text[-500:]}")
            self._arena_bytes = int(match.group(1))
        return self._arena_bytes

    def predict(self, inputs):
        """Float outputs of every example of `inputs` run in the TFLM interpreter (int8 outputs dequantized)."""
        interpreter = self._interpreter(self.arena_limit)
        litert = self._litert
        input_details = litert.input_details  # same order as TFLM's
        output = interpreter.get_output_details(0)
        scales, zero_points = (output["quantization_parameters"][key] for key in ("scales", "zero_points"))
        scale, zero_point = (scales[0], zero_points[0]) if len(scales) else (0.0, 0)
        rows = []
        for index in range(example_count(inputs)):
            sample = example_at(inputs, index)
            for position, detail in enumerate(input_details):
                interpreter.set_input(shaped_input(sample, detail, self.path), position)
            try:
                interpreter.invoke()
            except RuntimeError as error:  # TFLM says only "invocation failed"; LiteRT's table says why
                if litert.ids_outside_table(sample):
                    raise litert.out_of_table_error(sample) from error
                raise RuntimeError(f"TFLM could not run {self.path}: {error}") from error
            rows.append(dequantized(interpreter.get_output(0), scale, zero_point))
            interpreter.reset()
        return np.concatenate(rows, axis=0) if rows else np.zeros((0,), np.float32)

    def c_source(self, name="model_data", arena_bytes=None):
        """(header, source) texts: a 16-byte aligned const array, its length and the arena size.

        Args:
            name: str, a C identifier for the array. Default "model_data".
            arena_bytes: int or None; default: measured (`arena_bytes()`).
        """
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"`name` must be a C identifier; received name={name!r}")
        arena = self.arena_bytes() if arena_bytes is None else int(arena_bytes)
        guard = f"TFKD_{name.upper()}_H_"
        header = (f"// Generated by tfkd from {self.path}. Do not edit.\n#ifndef {guard}\n#define {guard}\n\n"
                  f"#include <cstddef>\n\n"
                  f"// Tensor arena measured by the TFLM interpreter (RecordingMicroAllocator), in bytes.\n"
                  f"constexpr size_t {name}_arena_size = {arena};\n"
                  f"extern const unsigned char {name}[];\nextern const unsigned int {name}_len;\n\n#endif  // {guard}\n")
        rows = [", ".join(f"0x{byte:02x}" for byte in self.content[start:start + 12])
                for start in range(0, len(self.content), 12)]
        source = (f"// Generated by tfkd from {self.path}. Do not edit.\n#include \"{name}.h\"\n\n"
                  f"// Flatbuffers need 16-byte alignment; const keeps the model in flash.\n"
                  f"alignas(16) const unsigned char {name}[] = {{\n    " + ",\n    ".join(rows) + "\n};\n"
                  f"const unsigned int {name}_len = {len(self.content)};\n")
        return header, source

    def write_c_source(self, directory, name="model_data", overwrite=False):
        """Writes `<name>.h` and `<name>.cc` into `directory` (atomically; never over existing files
        unless `overwrite`); returns their paths."""
        header, source = self.c_source(name)
        directory = os.fspath(directory)
        return [write_bytes_atomic(os.path.join(directory, f"{name}{suffix}"), text.encode(), overwrite=overwrite)
                for suffix, text in ((".h", header), (".cc", source))]

    def _interpreter(self, arena_size):
        if arena_size not in self._safe_arenas:
            self._probe(arena_size)
            self._safe_arenas.add(arena_size)
        runtime = import_optional("tflite_micro.python.tflite_micro.runtime", "tflite-micro")
        with captured_stderr() as log:
            try:
                interpreter = runtime.Interpreter.from_bytes(self.content, arena_size=arena_size)
            except RuntimeError as error:
                self.check_ops()
                raise RuntimeError(f"TFLM could not load {self.path} with a {arena_size:,}-byte arena: "
                                   f"{log.text.strip()[-800:] or error}") from error
        return interpreter

    def _probe(self, arena_size):
        """Loads the model and runs one inference with `arena_size` in a child process first.

        TFLM ends the process (SIGSEGV) when the arena is too small for
        some models, rather than returning an error; a crash in the child
        becomes a ValueError here, and this process never meets it.
        """
        status = run_in_child(_PROBE, self.content, arena_size, len(self._litert.input_details),
                              timeout=PROBE_TIMEOUT_SECONDS)
        if status is None:
            raise ValueError(f"TFLM did not finish one inference of {self.path} with a {arena_size:,}-byte arena "
                             f"within {PROBE_TIMEOUT_SECONDS} s")
        if status < 0:
            raise ValueError(f"TFLM crashed (signal {-status}) running {self.path} with a "
                             f"{arena_size:,}-byte arena; the model needs a larger one: raise arena_limit "
                             f"(default {DEFAULT_ARENA_LIMIT:,})")

    @functools.cached_property
    def _litert(self):
        """The model in LiteRT (XNNPACK off), read from the path when there is one so its errors name the file;
        built once (its input details, op list and tables serve every call)."""
        return TFLiteModel(self.content if isinstance(self.path, str) else self.path, use_xnnpack=False)

    @staticmethod
    def _zero_input(interpreter, position=0):
        detail = interpreter.get_input_details(position)
        return np.zeros(detail["shape"], detail["dtype"])


def _layer_name(tensor_name):
    """'cnn_student/conv_3/Relu;cnn_student/conv_3/Conv1D' -> 'conv_3' (model/layer/op)."""
    parts = tensor_name.split(";")[0].split("/")
    return parts[1] if len(parts) > 2 else parts[0]
