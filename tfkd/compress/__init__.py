"""Compression: TF-MOT pruning (unstructured or m-by-n) and weight clustering (more methods to come)."""

from tfkd.compress.clustering import cluster, cluster_report, strip_clustering
from tfkd.compress.pruning import prune, pruning_callbacks, sparsity_report, strip_pruning

__all__ = ["cluster", "cluster_report", "prune", "pruning_callbacks", "sparsity_report", "strip_clustering",
           "strip_pruning"]
