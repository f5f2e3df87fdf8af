"""`TextQuantizeScheme`: TF-MOT's 8-bit scheme extended to the layers of text models."""

from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.cluster_preserve import (
    cluster_preserve_quantize_registry as cluster_preserve)
from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.prune_preserve import (
    prune_preserve_quantize_registry as prune_preserve)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_layout_transform as default_layout)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_registry as default_registry)
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_scheme as default_scheme)

from tfkd._keras import keras, tf

PRESERVE = (None, "sparsity", "clusters", "sparse_clusters")


def _extra_configs():
    """Configs for the layers TF-MOT's registry refuses, built fresh for each layer (they hold quantizers).

    All use TF-MOT's own config classes, so a QAT model saves and loads in
    `tfmot.quantization.keras.quantize_scope()` with nothing of ours.
    """
    config = default_registry.Default8BitQuantizeConfig
    return {
        # The table is quantized like a kernel; a lookup's output has the table's scale, so no output quantizer.
        keras.layers.Embedding: lambda: config(["embeddings"], [], False),
        # Per-tensor: TF-MOT's per-channel fake quantization handles only 2-D and 4-D kernels, not Conv1D's 3-D.
        keras.layers.Conv1D: lambda: config(["kernel"], ["activation"], False),
        # Weights stay float (TFLite decomposes the normalisation); the output range is learned.
        keras.layers.LayerNormalization: lambda: config([], [], True),
    }


class _TextQuantizeRegistry(default_registry.Default8BitQuantizeRegistry):
    """Default 8-bit registry + Embedding, Conv1D, LayerNormalization; optionally preserving sparsity or clusters.

    tfkd's PositionEmbedding is left out on purpose: with its output
    fake-quantized, the int8 file of a QAT-trained transformer agreed with
    the Keras model on only 78% of examples (max logit error 6.9, measured
    with TF 2.21); left float, post-training calibration covers it and the
    two agree.
    """

    def __init__(self, preserve=None):
        super().__init__()
        self.preserve = preserve

    def supports(self, layer):
        return type(layer) in _extra_configs() or super().supports(layer)

    def get_quantize_config(self, layer):
        extra = _extra_configs().get(type(layer))
        config = extra() if extra else super().get_quantize_config(layer)
        if self.preserve and layer.trainable_weights and getattr(config, "weight_attrs", None):
            config.weight_quantizer = self._preserving_quantizer()
        return config

    def _preserving_quantizer(self):
        """TF-MOT's sparsity- or cluster-preserving per-tensor weight quantizer.

        TF-MOT's own registries only offer these to Conv2D and Dense; the
        quantizers themselves work on any weight (an Embedding table, a
        Conv1D kernel), which is what a text model needs. Every weight
        quantized here is per-tensor (see `_extra_configs`; Dense is too).
        """
        if self.preserve == "sparsity":
            return prune_preserve.PrunePreserveDefault8BitWeightsQuantizer()
        return cluster_preserve.ClusterPreserveDefault8BitWeightsQuantizer(self.preserve == "sparse_clusters")


class _TextLayoutTransform(default_layout.Default8BitQuantizeLayoutTransform):
    """TF-MOT's layout transform, except that integer inputs (token ids) get no fake-quant layer.

    TF-MOT puts a QuantizeLayer after every input feeding a quantized layer;
    on int32 ids it fails (fake quantization is float-only), and ids need
    no quantizing anyway.
    """

    def apply(self, model, layer_quantize_map):
        integer_inputs = {layer.name for layer in model._input_layers  # pylint: disable=protected-access
                          if not tf.as_dtype(layer.dtype).is_floating}
        return super().apply(model, {name: value for name, value in layer_quantize_map.items()
                                     if name not in integer_inputs})


class TextQuantizeScheme(default_scheme.Default8BitQuantizeScheme):
    """TF-MOT's default 8-bit scheme for text students (full-int8 TFLite after conversion).

    Adds Embedding, Conv1D and LayerNormalization to the layers TF-MOT
    quantizes, and leaves int32 token-id inputs alone.

    Args:
        preserve: None (plain QAT, default), "sparsity" (pruning-preserving
            QAT: zeros stay zero), "clusters" (cluster-preserving QAT: each
            weight keeps its cluster's shared value) or "sparse_clusters" (both).

    Raises:
        ValueError: an unknown `preserve`.
    """

    def __init__(self, preserve=None):
        if preserve not in PRESERVE:
            raise ValueError(f"`preserve` must be one of {list(PRESERVE)}; received preserve={preserve!r}")
        self.preserve = preserve

    def get_layout_transformer(self):
        return _TextLayoutTransform()

    def get_quantize_registry(self):
        return _TextQuantizeRegistry(self.preserve)
