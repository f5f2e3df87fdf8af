"""Compression: TF-MOT pruning (more methods to come, see the compression issue)."""

from tfkd.compress.pruning import prune, pruning_callbacks, sparsity_report, strip_pruning

__all__ = ["prune", "pruning_callbacks", "sparsity_report", "strip_pruning"]
