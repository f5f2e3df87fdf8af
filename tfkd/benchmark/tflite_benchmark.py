"""`TFLiteBenchmark`: accuracy, size and latency of .tflite files in the LiteRT interpreter."""

import gzip
import pathlib
import time

import numpy as np

from tfkd._checks import check_integer
from tfkd.benchmark.model_result import ModelResult
from tfkd.convert.tflite_model import TFLiteModel, example_at, match_input
from tfkd.progress import progress


class TFLiteBenchmark:
    """Measures .tflite models the way an app runs them: one example at a time.

    Args:
        num_threads: int, interpreter threads. Default 1.
        warmup: int, untimed runs before timing. Default 20.
        runs: int, timed runs (latency median/p90/p99 over these). Default 200.
        seed: int, picks which examples are timed. Default 0.

    Example:
        >>> result = TFLiteBenchmark(runs=20).run("student", "student.tflite", ids, labels)
        >>> result.accuracy, result.latency_ms_median
    """

    def __init__(self, num_threads=1, warmup=20, runs=200, seed=0):
        self.num_threads = check_integer("num_threads", num_threads, 1)
        self.warmup = check_integer("warmup", warmup, 0)
        self.runs = check_integer("runs", runs, 1)
        self.seed = seed

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
        tflite = TFLiteModel(model, num_threads=self.num_threads)
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
            num_threads=self.num_threads, parameters=parameters, nonzero_parameters=nonzero_parameters)

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
