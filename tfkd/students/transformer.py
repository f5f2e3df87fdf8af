"""Tiny Transformer encoder student: one or two attention blocks over token + position embeddings."""

from tfkd._keras import keras
from tfkd.students.position_embedding import PositionEmbedding


def build_transformer(vocabulary_size, sequence_length, num_classes, embedding_dim=64, num_heads=2,
                      feedforward_dim=128, num_layers=1, dropout=0.1, name="transformer_student"):
    """Token + learned position embeddings -> `num_layers` post-norm encoder blocks -> mean pool -> logits."""
    # Residuals are Add layers, not `x + y`: TF-MOT's quantization cannot clone a TFOpLambda `+`.
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    x = PositionEmbedding(sequence_length, name="positions")(x)
    for index in range(num_layers):
        attended = keras.layers.MultiHeadAttention(num_heads, embedding_dim // num_heads, dropout=dropout,
                                                   name=f"attention_{index}")(x, x)
        x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"norm_{index}a")(
            keras.layers.Add(name=f"residual_{index}a")([x, attended]))
        hidden = keras.layers.Dense(feedforward_dim, activation="relu", name=f"feedforward_{index}a")(x)
        hidden = keras.layers.Dense(embedding_dim, name=f"feedforward_{index}b")(hidden)
        x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"norm_{index}b")(
            keras.layers.Add(name=f"residual_{index}b")([x, hidden]))
    features = keras.layers.GlobalAveragePooling1D(name="average")(x)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    return keras.Model(ids, logits, name=name)
