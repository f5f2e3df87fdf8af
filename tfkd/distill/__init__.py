"""Distillation: the `Distiller` model and its pure loss functions."""

from tfkd.distill import losses
from tfkd.distill.distillation_schedule import DistillationSchedule
from tfkd.distill.distiller import Distiller
from tfkd.distill.embedding_distillation import distill_embeddings
from tfkd.distill.feature_distillation import FeatureDistillation
from tfkd.distill.losses import DistillationLoss
from tfkd.distill.multi_teacher import MultiTeacher
from tfkd.distill.teacher_logits import cache_teacher_logits, logits_dataset, pseudo_label_dataset
from tfkd.distill.weight_averaging import WeightAveraging

__all__ = ["DistillationSchedule", "Distiller", "DistillationLoss", "FeatureDistillation", "MultiTeacher",
           "WeightAveraging", "cache_teacher_logits", "distill_embeddings", "logits_dataset", "losses",
           "pseudo_label_dataset"]
