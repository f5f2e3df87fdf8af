"""BiLSTM student (Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into Simple Neural Networks")."""

from tfkd._keras import keras


def build_bilstm(vocabulary_size, sequence_length, num_classes, embedding_dim=64, units=64, hidden_units=64,
                 dropout=0.2, name="bilstm_student"):
    """Embedding -> bidirectional LSTM (last states) -> ReLU layer -> logits.

    Converted with a batch-1 signature, each direction fuses into one
    UNIDIRECTIONAL_SEQUENCE_LSTM op, which full-int8 TFLite supports.
    """
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    features = keras.layers.Bidirectional(keras.layers.LSTM(units), name="bilstm")(embedded)
    features = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(features)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    return keras.Model(ids, logits, name=name)
