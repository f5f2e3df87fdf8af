"""`TFLiteBenchmark`: accuracy, size and latency of .tflite files in the LiteRT interpreter."""

import gzip
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

from tfkd._checks import check_integer
from tfkd.benchmark.model_result import ModelResult
from tfkd.convert.micro_model import TFLM_BUILTIN_OPS, MicroModel
from tfkd.convert.tflite_model import TFLiteModel, example_at, example_count, match_input
from tfkd.progress import progress


class TFLiteBenchmark:
    """Measures .tflite models the way an app runs them: one example at a time.

    Args:
        num_threads: int, interpreter threads. Default 1.
        warmup: int, untimed runs before timing. Default 20.
        runs: int, timed runs (latency median/p90/p99 over these). Default 200.
        seed: int, picks which examples are timed. Default 0.
        use_xnnpack: bool, run with LiteRT's default XNNPACK delegate. Default True.
        measure_memory: bool, measure the interpreter's peak resident memory
            in a fresh process (about 2 s per model). Default False.
        measure_arena: bool, measure the TensorFlow Lite Micro tensor arena
            (`MicroModel.arena_bytes`) of models whose every op TFLM has;
            None for the others (e.g. the teacher). Default False.

    Example:
        >>> result = TFLiteBenchmark(runs=20).run("student", "student.tflite", ids, labels)
        >>> result.accuracy, result.latency_ms_median
    """

    def __init__(self, num_threads=1, warmup=20, runs=200, seed=0, use_xnnpack=True, measure_memory=False,
                 measure_arena=False):
        self.num_threads = check_integer("num_threads", num_threads, 1)
        self.warmup = check_integer("warmup", warmup, 0)
        self.runs = check_integer("runs", runs, 1)
        self.seed = seed
        self.use_xnnpack = bool(use_xnnpack)
        self.measure_memory = bool(measure_memory)
        self.measure_arena = bool(measure_arena)

    def run(self, name, model, inputs, labels, parameters=None, nonzero_parameters=None):
        """Benchmarks one model on a labelled dataset.

        Args:
            name: str, the row's name in reports.
            model: path of a .tflite file, or its bytes.
            inputs: array [n, ...] or dict of arrays, as the model takes them.
            labels: int array [n].
            parameters, nonzero_parameters: int or None, from the Keras model.

        Returns:
            `ModelResult`.

        Raises:
            ValueError: an empty dataset, inputs not matching the model's input
                shape or dtype (both are named), or labels of another length.
        """
        tflite = TFLiteModel(model, num_threads=self.num_threads, use_xnnpack=self.use_xnnpack)
        labels = np.asarray(labels)
        count = _check_inputs(tflite, inputs, labels)
        rows = [example_at(inputs, i) for i in range(count)]
        logits = np.concatenate([tflite.invoke(row) for row in progress(rows, f"accuracy {name}")], axis=0)
        predictions = logits.argmax(axis=-1)
        latencies = self._latencies(tflite, rows)
        content = pathlib.Path(model).read_bytes() if not isinstance(model, (bytes, bytearray)) else bytes(model)
        return ModelResult(
            name=name, path=str(tflite.path), size_bytes=len(content),
            gzip_bytes=len(gzip.compress(content, compresslevel=9, mtime=0)),
            accuracy=float(np.mean(predictions == labels)), macro_f1=macro_f1(labels, predictions),
            examples=count, latency_ms_median=float(np.median(latencies)),
            latency_ms_p90=float(np.percentile(latencies, 90)), latency_ms_p99=float(np.percentile(latencies, 99)),
            num_threads=self.num_threads, parameters=parameters, nonzero_parameters=nonzero_parameters,
            use_xnnpack=self.use_xnnpack, throughput_per_second=float(1000.0 / np.mean(latencies)),
            confusion_matrix=confusion_matrix(labels, predictions, logits.shape[-1]).tolist(),
            peak_memory_bytes=peak_memory_bytes(content, self.num_threads, self.use_xnnpack)
            if self.measure_memory else None,
            arena_bytes=micro_arena_bytes(content) if self.measure_arena else None)

    def latency(self, model, inputs):
        """Latency alone (no labels: e.g. an embedding model): median, p90 and p99 in ms per example.

        Args:
            model: path of a .tflite file, or its bytes.
            inputs: array [n, ...] or dict of arrays; timed examples are drawn from them.
        """
        tflite = TFLiteModel(model, num_threads=self.num_threads, use_xnnpack=self.use_xnnpack)
        count = example_count(inputs)
        if count == 0:
            raise ValueError("`inputs` is empty; latency needs at least one example")
        timings = self._latencies(tflite, [example_at(inputs, i) for i in range(count)])
        return {"latency_ms_median": float(np.median(timings)), "latency_ms_p90": float(np.percentile(timings, 90)),
                "latency_ms_p99": float(np.percentile(timings, 99))}

    def _latencies(self, tflite, rows):
        order = np.random.default_rng(self.seed).integers(0, len(rows), self.warmup + self.runs)
        for index in order[: self.warmup]:
            tflite.invoke(rows[index])
        timings = []
        for index in order[self.warmup:]:
            start = time.perf_counter()
            tflite.invoke(rows[index])
            timings.append((time.perf_counter() - start) * 1000.0)
        return np.array(timings)


def micro_arena_bytes(content):
    """TFLM's measured tensor arena for `content`, or None when TFLM lacks one of its ops."""
    micro = MicroModel(content)
    if any(op not in TFLM_BUILTIN_OPS for op, _ in micro.ops()):
        return None
    return micro.arena_bytes()


def confusion_matrix(labels, predictions, num_classes):
    """counts[true, predicted] as an int array [num_classes, num_classes]."""
    counts = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(counts, (np.asarray(labels, np.int64), np.asarray(predictions, np.int64)), 1)
    return counts


_MEMORY_PROBE = """
import os, resource, sys
import numpy as np
from ai_edge_litert import interpreter as litert

def status(field):  # kB, from Linux's /proc
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

linux = os.path.exists("/proc/self/clear_refs")
if linux:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets the peak (VmHWM) to the current resident size
before = status("VmRSS") if linux else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
resolver = litert.OpResolverType.AUTO if sys.argv[3] == "1" else litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
model = litert.Interpreter(model_path=sys.argv[1], num_threads=int(sys.argv[2]), experimental_op_resolver_type=resolver)
model.allocate_tensors()
for detail in model.get_input_details():
    model.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
model.invoke()
after = status("VmHWM") if linux else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(max(after - before, 0) * 1024)
"""


def peak_memory_bytes(content, num_threads=1, use_xnnpack=True):
    """Peak resident memory that loading and running the model adds, measured in a fresh process.

    The peak is reset after the imports (Linux's /proc/self/clear_refs), so
    the number is the interpreter's own: the model, its tensors and delegate
    buffers. Elsewhere the growth of ru_maxrss stands in.
    """
    with tempfile.NamedTemporaryFile(suffix=".tflite") as file:
        file.write(content)
        file.flush()
        result = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, file.name, str(num_threads),
                                 "1" if use_xnnpack else "0"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"the memory probe failed: {result.stderr[-800:]}")
    return int(result.stdout.strip().splitlines()[-1])


def macro_f1(labels, predictions):
    """Unweighted mean of per-class F1 over the classes present in `labels`."""
    scores = []
    for label in np.unique(labels):
        true_positive = np.sum((predictions == label) & (labels == label))
        predicted, actual = np.sum(predictions == label), np.sum(labels == label)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(scores))


def _check_inputs(tflite, inputs, labels):
    given = {name: np.asarray(value) for name, value in
             (inputs.items() if isinstance(inputs, dict) else [("inputs", inputs)])}
    count = len(next(iter(given.values())))
    if count == 0:
        raise ValueError(f"the dataset for {tflite.path} is empty; need at least one example")
    if len(labels) != count:
        raise ValueError(f"{count} inputs but {len(labels)} labels")
    for model_name, (shape, dtype) in tflite.input_shapes().items():
        data_name = next(iter(given)) if len(given) == 1 else match_input(model_name, given)
        array = given[data_name]
        if tuple(array.shape[1:]) != tuple(shape[1:]) or \
                np.issubdtype(array.dtype, np.floating) != np.issubdtype(dtype, np.floating):
            raise ValueError(f"dataset input {data_name!r} has per-example shape {tuple(array.shape[1:])} and "
                             f"dtype {array.dtype}; {tflite.path} input {model_name!r} expects shape "
                             f"{tuple(int(size) for size in shape[1:])} and dtype {np.dtype(dtype)}")
    return count
