"""The end-to-end pipeline behind `tfkd run` and `make demo`."""

from tfkd.pipeline.benchmark_run import benchmark_run
from tfkd.pipeline.pipeline_config import PipelineConfig
from tfkd.pipeline.run_pipeline import run_pipeline, texts_to_label

__all__ = ["PipelineConfig", "benchmark_run", "run_pipeline", "texts_to_label"]
