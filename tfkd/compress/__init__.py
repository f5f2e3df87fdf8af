"""Compression: TF-MOT pruning (unstructured or m-by-n) weight clustering and low-rank factorisation (more methods to come)."""

from tfkd.compress import affine_quantization
from tfkd.compress.clustering import cluster, cluster_report, strip_clustering
from tfkd.compress.factorized_dense import FactorizedDense
from tfkd.compress.factorized_embedding import FactorizedEmbedding
from tfkd.compress.low_rank import low_rank
from tfkd.compress.pruning import prune, pruning_callbacks, sparsity_report, strip_pruning

__all__ = ["FactorizedDense", "FactorizedEmbedding", "affine_quantization", "cluster", "cluster_report", "low_rank", "prune", "pruning_callbacks", "sparsity_report", "strip_clustering",
           "strip_pruning"]
