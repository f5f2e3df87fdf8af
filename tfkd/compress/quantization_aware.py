"""Quantization-aware training (QAT) for text students: every zoo student trains with int8 fake quantization."""

import warnings

from tfkd._keras import import_optional, keras
from tfkd.compress.pruning import check_wrappable, sparsity_report, wrap_layers

PRUNED_SHARE = 0.1  # a float layer with at least this share of exact zeros in a kernel or table was pruned


def quantize_aware(model, preserve=None):
    """A copy of `model` that trains with simulated int8 weights and activations (QAT).

    Uses TF-MOT's 8-bit scheme extended by `TextQuantizeScheme` to
    Embedding, Conv1D and LayerNormalization, with int32 token-id inputs
    left alone. Layers even that cannot wrap (Bidirectional LSTM,
    MultiHeadAttention, the transformer's PositionEmbedding) stay float during training,
    with a warning naming them; converting with `mode="int8"` and
    representative data quantizes them after training (post-training
    quantization), so the file is still full int8. With `preserve="sparsity"`
    such a float layer that holds pruned zeros (the pruned BiLSTM) is frozen,
    since nothing else would keep its zeros zero; the warning names it.

    Fine-tune the result (`Distiller.fit` works: QAT while distilling), then
    convert it as it is: `tfkd.convert(qat_model, "int8", representative_data=...)`.

    Args:
        model: a tf_keras functional or Sequential model (not modified).
            For pruning- or cluster-preserving QAT pass the stripped pruned
            or clustered model.
        preserve: None (default), "sparsity" (PQAT: pruned zeros stay zero),
            "clusters" (CQAT: clustered weights keep their shared values) or
            "sparse_clusters" (both).

    Returns:
        A new tf_keras model with TF-MOT quantization wrappers. Load a saved
        one inside `tfkd.compress.quantize_scope()`.

    Raises:
        TypeError: not a tf_keras functional or Sequential model.
        ValueError: an unknown `preserve`.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> qat = tfkd.compress.quantize_aware(student)
        >>> qat(np.zeros((1, 16), "int32")).shape
        TensorShape([1, 2])
    """
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    from tfkd.compress.text_quantize_scheme import TextQuantizeScheme

    scheme = TextQuantizeScheme(preserve)
    check_wrappable(model)
    registry = scheme.get_quantize_registry()
    annotated, skipped = wrap_layers(model, lambda layer: _quantizable(layer, registry),
                                     tfmot.quantization.keras.quantize_annotate_layer)
    if skipped:
        warnings.warn(f"these layers stay float while training (QAT cannot wrap them; int8 conversion with "
                      f"representative data quantizes them afterwards): {skipped}", stacklevel=2)
    with quantize_scope():
        quantized = tfmot.quantization.keras.quantize_apply(annotated, scheme)
    frozen = []
    if preserve in ("sparsity", "sparse_clusters"):
        pruned = {row["layer"] for row in sparsity_report(quantized) if row["sparsity"] >= PRUNED_SHARE}
        frozen = [name for name in skipped if name in pruned]
    for name in frozen:
        quantized.get_layer(name).trainable = False
    if frozen:
        warnings.warn(f"these float layers hold pruned zeros that QAT cannot preserve, so they are frozen (not "
                      f"trained) to keep them: {frozen}", stacklevel=2)
    return quantized


def _quantizable(layer, registry):
    return not isinstance(layer, keras.layers.InputLayer) and registry.supports(layer)


def quantize_scope():
    """The scope in which a saved QAT model loads (TF-MOT's wrappers and quantizers, tfkd's layers)."""
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    return tfmot.quantization.keras.quantize_scope()
