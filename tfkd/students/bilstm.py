"""BiLSTM student (Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into Simple Neural Networks")."""

from tfkd._keras import keras

POOLINGS = ("last", "max")


def build_bilstm(vocabulary_size, sequence_length, num_classes, embedding_dim=64, units=64, hidden_units=64,
                 dropout=0.2, pooling="last", name="bilstm_student"):
    """Embedding -> bidirectional LSTM -> pooling -> ReLU layer -> logits.

    `pooling="last"` (default) keeps each direction's last state; `"max"`
    takes the maximum of every step's outputs (no extra parameters), so the
    forward direction's words are not followed by the padding alone.
    Converted, the LSTM is unrolled into plain ops that int8 TFLite and
    TFLite Micro support (see `tfkd.convert`).

    Raises:
        ValueError: `pooling` not one of `POOLINGS`.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {list(POOLINGS)}; received pooling={pooling!r}")
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    recurrent = keras.layers.LSTM(units, return_sequences=pooling != "last")
    features = keras.layers.Bidirectional(recurrent, name="bilstm")(embedded)
    if pooling == "max":
        features = keras.layers.GlobalMaxPooling1D(name="max_pooling")(features)
    features = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(features)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    return keras.Model(ids, logits, name=name)
