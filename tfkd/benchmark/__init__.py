"""Benchmark: accuracy, size and latency of .tflite models in the LiteRT interpreter."""

from tfkd.benchmark.embedding_agreement import cosine_similarities, embedding_agreement, rank_by_cosine
from tfkd.benchmark.model_result import ModelResult
from tfkd.benchmark.results_file import write_results
from tfkd.benchmark.tflite_benchmark import TFLiteBenchmark, macro_f1
from tfkd.benchmark.tfidf_baseline import tfidf_baseline

__all__ = ["ModelResult", "TFLiteBenchmark", "cosine_similarities", "embedding_agreement", "macro_f1", "rank_by_cosine",
           "tfidf_baseline", "write_results"]
