"""`PositionEmbedding`: learned position vectors added to token embeddings."""

from tfkd._keras import keras, register, tf


@register
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per position to `[batch, length, dim]` inputs.

    Args:
        sequence_length: int, positions (the input length).
    """

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)

    def build(self, input_shape):
        self.positions = self.add_weight(
            name="positions", shape=(self.sequence_length, int(input_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02))
        super().build(input_shape)

    def call(self, inputs):
        # inputs [batch, length, dim] + positions [length, dim] broadcast over the batch
        return inputs + tf.cast(self.positions, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length}
