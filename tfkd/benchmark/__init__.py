"""Benchmark: accuracy, size and latency of .tflite models in the LiteRT interpreter."""

from tfkd.benchmark.model_result import ModelResult
from tfkd.benchmark.tflite_benchmark import TFLiteBenchmark, macro_f1

__all__ = ["ModelResult", "TFLiteBenchmark", "macro_f1"]
