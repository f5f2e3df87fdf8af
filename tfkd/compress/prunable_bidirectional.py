"""`PrunableBidirectional`: a Bidirectional RNN whose cell kernels TF-MOT can prune."""

from tensorflow_model_optimization.python.core.sparsity.keras import prunable_layer

from tfkd._keras import keras, register

# The RNN cells whose input and recurrent kernels are pruned (TF-MOT prunes the same two weights of a
# plain LSTM/GRU/SimpleRNN layer, but refuses the Bidirectional wrapper around one).
CELLS = (keras.layers.LSTMCell, keras.layers.GRUCell, keras.layers.SimpleRNNCell)
KERNELS = ("kernel", "recurrent_kernel")


@register
class PrunableBidirectional(keras.layers.Bidirectional, prunable_layer.PrunableLayer):
    """`keras.layers.Bidirectional` that hands both directions' kernels to TF-MOT's pruning wrapper.

    `tfkd.prune` swaps it in for a Bidirectional LSTM/GRU/SimpleRNN (with the
    trained weights) and `tfkd.compress.strip_pruning` swaps the plain
    layer back, so users never build it themselves. Biases stay dense, as
    TF-MOT leaves them in every layer.
    """

    def get_prunable_weights(self):
        return [getattr(direction.cell, name) for direction in (self.forward_layer, self.backward_layer)
                for name in KERNELS]


def prunable_bidirectional(layer):
    """Whether `layer` is a plain Bidirectional RNN whose cells `PrunableBidirectional` can prune."""
    return (type(layer) is keras.layers.Bidirectional  # pylint: disable=unidiomatic-typecheck
            and all(isinstance(getattr(direction, "cell", None), CELLS)
                    for direction in (layer.forward_layer, layer.backward_layer)))
