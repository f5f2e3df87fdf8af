"""`FactorizedDense`: a Dense layer whose kernel is the product of two thin matrices."""

from tfkd._keras import keras, register, tf


@register
class FactorizedDense(keras.layers.Layer):
    """y = activation(x @ left @ right + bias), left [in, rank], right [rank, units].

    Holds in*rank + rank*units weights instead of in*units; built by
    `tfkd.compress.low_rank` from a trained Dense layer's SVD.

    Args:
        units: int, outputs.
        rank: int, inner width.
        activation: activation name or None. Default None.
        use_bias: bool. Default True.
    """

    def __init__(self, units, rank, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rank, self.use_bias = int(units), int(rank), bool(use_bias)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.left = self.add_weight(name="left", shape=(int(input_shape[-1]), self.rank))
        self.right = self.add_weight(name="right", shape=(self.rank, self.units))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros") if self.use_bias else None
        super().build(input_shape)

    def call(self, inputs):
        # [..., in] @ [in, rank] @ [rank, units] -> [..., units]
        outputs = tf.matmul(tf.matmul(inputs, self.left), self.right)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}
