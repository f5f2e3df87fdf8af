"""`FactorizedEmbedding`: an embedding table stored as a thin table times a projection (ALBERT-style)."""

from tfkd._keras import keras, register, tf


@register
class FactorizedEmbedding(keras.layers.Layer):
    """Looks up ids in a [vocabulary, rank] table and projects to [rank, output_dim].

    Holds vocabulary*rank + rank*output_dim weights instead of
    vocabulary*output_dim; built by `tfkd.compress.low_rank` from a trained
    Embedding layer's SVD.

    Args:
        input_dim: int, vocabulary size.
        output_dim: int, embedding width seen by the next layer.
        rank: int, inner width.
    """

    def __init__(self, input_dim, output_dim, rank, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.rank = int(input_dim), int(output_dim), int(rank)

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=(self.input_dim, self.rank))
        self.projection = self.add_weight(name="projection", shape=(self.rank, self.output_dim))
        super().build(input_shape)

    def call(self, inputs):
        # ids [batch, length] -> [batch, length, rank] -> [batch, length, output_dim]
        return tf.matmul(tf.gather(self.table, tf.cast(inputs, tf.int32)), self.projection)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "rank": self.rank}
