"""Average word embedding student (a fastText-like bag of words)."""

from tfkd._keras import keras_module


def build_average_embedding(vocabulary_size, sequence_length, num_classes, embedding_dim=64,
                            hidden_units=64, dropout=0.2, name="average_embedding_student", keras_version=2):
    """Mean of token embeddings -> one hidden layer -> logits.

    Padding (id 0) is averaged in too; its embedding is learned, which keeps
    the graph free of masks that full-int8 conversion handles poorly.
    """
    keras = keras_module(keras_version)
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    features = keras.layers.GlobalAveragePooling1D(name="average")(embedded)
    features = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(features)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    return keras.Model(ids, logits, name=name)
