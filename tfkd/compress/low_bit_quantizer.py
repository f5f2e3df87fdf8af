"""`LowBitQuantizer`: binary or ternary weights in the forward pass, float gradients (straight-through)."""

from tensorflow_model_optimization.python.core.quantization.keras import quantizers

from tfkd._keras import register, tf

KINDS = ("binary", "ternary")


def low_bit_values(weights, kind):
    """The binary or ternary version of a weight tensor, one scale for the tensor.

    binary (XNOR-Net, Rastegari et al. 2016): alpha * sign(W), alpha = mean|W|.
    ternary (Ternary Weight Networks, Li & Liu 2016): alpha * sign(W) where
    |W| > delta, else 0; delta = 0.7 * mean|W| (their approximation of the
    optimal threshold), alpha = mean of |W| over the weights above delta.

    Args:
        weights: float tensor or array.
        kind: "binary" or "ternary".

    Returns:
        A float32 tensor of W's shape holding 2 (binary) or 3 (ternary) distinct values.
    """
    weights = tf.convert_to_tensor(weights, tf.float32)
    magnitude = tf.abs(weights)
    if kind == "binary":
        return tf.reduce_mean(magnitude) * tf.where(weights >= 0.0, 1.0, -1.0)
    kept = tf.cast(magnitude > 0.7 * tf.reduce_mean(magnitude), tf.float32)
    scale = tf.reduce_sum(magnitude * kept) / tf.maximum(tf.reduce_sum(kept), 1.0)
    return scale * tf.sign(weights) * kept


@register
class LowBitQuantizer(quantizers.Quantizer):
    """TF-MOT weight quantizer giving binary or ternary weights, trained with a straight-through estimator.

    The forward pass uses `low_bit_values(W)`; the gradient reaches the
    float weights W unchanged (Bengio et al. 2013's straight-through
    estimator), so small updates accumulate until a weight changes sign or
    crosses the threshold.

    Args:
        kind: str, "binary" or "ternary". Default "ternary".

    Raises:
        ValueError: an unknown kind.
    """

    def __init__(self, kind="ternary"):
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {list(KINDS)}; received kind={kind!r}")
        self.kind = kind

    def build(self, tensor_shape, name, layer):
        return {}

    def __call__(self, inputs, training, weights, **kwargs):
        return inputs + tf.stop_gradient(low_bit_values(inputs, self.kind) - inputs)

    def get_config(self):
        return {"kind": self.kind}

    def __eq__(self, other):
        return isinstance(other, LowBitQuantizer) and other.kind == self.kind

    def __ne__(self, other):
        return not self == other
