"""Kim (2014) CNN student: parallel Conv1D filters of several widths, max-pooled."""

from tfkd._keras import keras_module


def build_cnn(vocabulary_size, sequence_length, num_classes, embedding_dim=32, filters=64,
              kernel_sizes=(3, 4, 5), dropout=0.5, name="cnn_student", keras_version=2):
    """A Kim-style CNN over token ids returning logits.

    Args:
        vocabulary_size: int, embedding rows.
        sequence_length: int, ids per example.
        num_classes: int, logits per example.
        embedding_dim: int, default 32 (the table holds most of the weights;
            32 scored as 64 did on MR and halves it).
        filters: int, filters per kernel width. Default 64.
        kernel_sizes: tuple of int, default (3, 4, 5).
        dropout: float, default 0.5 (Kim's value).
        keras_version: 2 (default: a tf_keras model, what TF-MOT compresses)
            or 3 (the same architecture as a Keras 3 model).
    """
    keras = keras_module(keras_version)
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    pooled = [
        keras.layers.GlobalMaxPooling1D(name=f"max_pool_{width}")(
            keras.layers.Conv1D(filters, width, activation="relu", name=f"conv_{width}")(embedded))
        for width in kernel_sizes
    ]
    features = keras.layers.Concatenate(name="features")(pooled) if len(pooled) > 1 else pooled[0]
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    return keras.Model(ids, logits, name=name)
