"""Distillation: the `Distiller` model and its pure loss functions."""

from tfkd.distill import losses
from tfkd.distill.distillation_schedule import DistillationSchedule
from tfkd.distill.distiller import Distiller
from tfkd.distill.embedding_distillation import distill_embeddings
from tfkd.distill.entropy_regularization import EntropyRegularization
from tfkd.distill.feature_distillation import FeatureDistillation
from tfkd.distill.logits_distillation import LogitsDistillation
from tfkd.distill.losses import DistillationLoss
from tfkd.distill.multi_teacher import MultiTeacher
from tfkd.distill.student_training import train_student
from tfkd.distill.teacher_logits import cache_teacher_logits, logits_dataset, pseudo_label_dataset
from tfkd.distill.transfer_set import TransferSet
from tfkd.distill.weight_averaging import WeightAveraging

__all__ = ["DistillationSchedule", "Distiller", "DistillationLoss", "EntropyRegularization", "FeatureDistillation",
           "Keras3Distiller", "LogitsDistillation", "MultiTeacher", "TransferSet",
           "WeightAveraging", "cache_teacher_logits", "distill_embeddings", "logits_dataset", "losses",
           "pseudo_label_dataset", "train_student"]


def __getattr__(name):
    # Keras3Distiller imports Keras 3; only a Keras 3 student (or asking for it by name) pays for that.
    if name == "Keras3Distiller":
        from tfkd.distill.keras3_distiller import Keras3Distiller
        globals()[name] = Keras3Distiller  # found in the module's namespace from now on (pdoc looks there)
        return Keras3Distiller
    raise AttributeError(f"module 'tfkd.distill' has no attribute {name!r}")
