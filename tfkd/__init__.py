"""tfkd: distill a large text model into one small enough for a phone or a microcontroller."""

from tfkd import _keras  # noqa: F401  (must run before anything imports TensorFlow)
from tfkd import compress, data, students
from tfkd.compress import prune, quantize_aware
# `tfkd.convert` is the subpackage, and calling it converts (tfkd/convert/__init__.py): binding the
# function here instead would hide `tfkd.convert.deploy` and the subpackage's other names.
from tfkd import convert
from tfkd.convert import TFLiteModel
from tfkd.distill import (DistillationLoss, DistillationSchedule, Distiller, EntropyRegularization,
                         FeatureDistillation, LogitsDistillation, MultiTeacher, WeightAveraging,
                         cache_teacher_logits, logits_dataset, losses)
from tfkd.benchmark import TFLiteBenchmark
from tfkd.pipeline import PipelineConfig, run_pipeline
from tfkd import teachers

__version__ = "0.1.0"

__all__ = [
    "DistillationLoss",
    "DistillationSchedule",
    "Distiller",
    "EntropyRegularization",
    "FeatureDistillation",
    "LogitsDistillation",
    "MultiTeacher",
    "PipelineConfig",
    "TFLiteBenchmark",
    "TFLiteModel",
    "WeightAveraging",
    "cache_teacher_logits",
    "compress",
    "convert",
    "data",
    "logits_dataset",
    "losses",
    "prune",
    "quantize_aware",
    "run_pipeline",
    "students",
    "teachers",
]
