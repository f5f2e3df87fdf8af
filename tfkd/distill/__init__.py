"""Distillation: the `Distiller` model and its pure loss functions."""

from tfkd.distill import losses
from tfkd.distill.distiller import Distiller
from tfkd.distill.losses import DistillationLoss
from tfkd.distill.multi_teacher import MultiTeacher
from tfkd.distill.teacher_logits import cache_teacher_logits, logits_dataset, pseudo_label_dataset

__all__ = ["Distiller", "DistillationLoss", "MultiTeacher", "cache_teacher_logits", "logits_dataset", "losses",
           "pseudo_label_dataset"]
