"""Binary and ternary weights: trained with a straight-through estimator, then baked into a plain model."""

from tensorflow_model_optimization.python.core.quantization.keras import (quantize_config, quantize_layout_transform,
                                                                          quantize_registry, quantize_scheme)

from tfkd._keras import import_optional, keras, register
from tfkd.compress.low_bit_quantizer import KINDS, LowBitQuantizer, low_bit_values
from tfkd.compress.pruning import check_wrappable, named_layer, output_layer_names, wrap_layers

_WEIGHTS = {keras.layers.Dense: "kernel", keras.layers.Conv1D: "kernel", keras.layers.Embedding: "embeddings"}


def low_bit_weights(model, kind="ternary", layers=None):
    """A copy of `model` whose chosen layers train with binary or ternary weights (see `LowBitQuantizer`).

    Fine-tune the result (`Distiller.fit` works), then `strip_low_bit` it
    into a plain model holding the binary/ternary values. Activations and
    biases stay float. A ternary kernel needs 2 bits per weight and a
    binary one 1 bit; TFLite has no such storage, so the int8 file is as
    large as before, but it holds only 2 or 3 distinct values per tensor
    and gzips far smaller (`compression_report` shows both).

    Args:
        model: tf_keras functional or Sequential model (not modified).
        kind: str, "ternary" (default) or "binary".
        layers: list of layer names or None (default: every Dense, Conv1D
            and Embedding layer except the model's outputs, which are
            usually kept at full precision: binarising the classifier costs
            the most accuracy).

    Returns:
        A new tf_keras model with TF-MOT quantization wrappers on the chosen layers.

    Raises:
        ValueError: an unknown kind; a named layer that is missing or has no
            kernel/table to binarise.
        TypeError: not a tf_keras functional or Sequential model.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> ternary = low_bit_weights(student, "ternary")  # fine-tune, then strip_low_bit(ternary)
    """
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {list(KINDS)}; received kind={kind!r}")
    check_wrappable(model)
    chosen = _chosen(model, layers)
    annotated, _ = wrap_layers(model, lambda layer: layer.name in chosen, lambda layer: (
        tfmot.quantization.keras.quantize_annotate_layer(layer, _LowBitConfig(_WEIGHTS[type(layer)], kind))))
    with tfmot.quantization.keras.quantize_scope({"_LowBitConfig": _LowBitConfig}):
        return tfmot.quantization.keras.quantize_apply(annotated, _LowBitScheme())


def strip_low_bit(model):
    """A plain tf_keras model (no wrappers) holding the binary/ternary weights of a `low_bit_weights` model."""
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")

    def unwrap(layer):
        inner = layer.layer if isinstance(layer, tfmot.quantization.keras.QuantizeWrapper) else layer
        return inner.__class__.from_config(inner.get_config())

    plain = keras.models.clone_model(model, clone_function=unwrap)
    for layer in model.layers:
        if not isinstance(layer, tfmot.quantization.keras.QuantizeWrapper):
            plain.get_layer(layer.name).set_weights(layer.get_weights())
            continue
        config = layer.quantize_config
        values = {weight.name.split("/")[-1]: weight for weight in layer.weights}
        target = plain.get_layer(layer.layer.name)
        target.set_weights([
            _baked(values[weight.name.split("/")[-1]], weight, config) for weight in target.weights])
    return plain


def _baked(source, target, config):
    is_low_bit = target.name.split("/")[-1].split(":")[0] in config.weight_attrs
    return (low_bit_values(source, config.kind) if is_low_bit else source).numpy()


def _chosen(model, names):
    outputs = output_layer_names(model)
    if names is None:
        return {layer.name for layer in model.layers if type(layer) in _WEIGHTS and layer.name not in outputs}
    for name in names:
        layer = named_layer(model, name)
        if type(layer) not in _WEIGHTS:
            raise ValueError(f"layer {name!r} is a {type(layer).__name__}; low_bit_weights binarises "
                             f"{sorted(cls.__name__ for cls in _WEIGHTS)}")
    return set(names)


@register
class _LowBitConfig(quantize_config.QuantizeConfig):
    """Low-bit weights for one attribute (kernel or table); activations and outputs untouched."""

    def __init__(self, weight_attr, kind):
        self.weight_attr, self.kind = weight_attr, kind
        self.weight_attrs = [weight_attr]

    def get_weights_and_quantizers(self, layer):
        return [(getattr(layer, self.weight_attr), LowBitQuantizer(self.kind))]

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        setattr(layer, self.weight_attr, quantize_weights[0])

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return []

    def get_config(self):
        return {"weight_attr": self.weight_attr, "kind": self.kind}


class _NothingElse(quantize_registry.QuantizeRegistry):
    """Quantizes no layer that was not annotated (TF-MOT would otherwise add 8-bit output ranges)."""

    def supports(self, layer):
        return False

    def get_quantize_config(self, layer):
        return None


class _AsIs(quantize_layout_transform.QuantizeLayoutTransform):
    """No graph rewrites: no fake-quant layers on inputs, no fused patterns."""

    def apply(self, model, layer_quantize_map):
        return model, layer_quantize_map


class _LowBitScheme(quantize_scheme.QuantizeScheme):
    def get_layout_transformer(self):
        return _AsIs()

    def get_quantize_registry(self):
        return _NothingElse()
