"""Compression: TF-MOT pruning (unstructured or m-by-n), quantization-aware training (plain, pruning- or
cluster-preserving), weight clustering, low-rank factorisation, neuron pruning, binary/ternary weights and
vocabulary pruning, each with a `compression_report`."""

from tfkd.compress import affine_quantization
from tfkd.compress.clustering import cluster, cluster_report, strip_clustering
from tfkd.compress.compression_report import compression_report
from tfkd.compress.factorized_dense import FactorizedDense
from tfkd.compress.factorized_embedding import FactorizedEmbedding
from tfkd.compress.low_bit_quantizer import LowBitQuantizer
from tfkd.compress.low_bit_weights import low_bit_weights, strip_low_bit
from tfkd.compress.low_rank import low_rank
from tfkd.compress.neuron_pruning import prune_neurons
from tfkd.compress.pruning import prune, pruning_callbacks, sparsity_report, strip_pruning
from tfkd.compress.quantization_aware import quantize_aware, quantize_scope
from tfkd.compress.text_quantize_scheme import TextQuantizeScheme
from tfkd.compress.vocabulary_pruning import prune_vocabulary

__all__ = ["FactorizedDense", "FactorizedEmbedding", "LowBitQuantizer", "TextQuantizeScheme", "affine_quantization",
           "cluster", "cluster_report", "compression_report", "low_bit_weights", "low_rank", "prune",
           "prune_neurons", "prune_vocabulary", "pruning_callbacks", "quantize_aware", "quantize_scope",
           "sparsity_report", "strip_clustering", "strip_low_bit", "strip_pruning"]
