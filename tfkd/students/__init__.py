"""The student zoo: small tf_keras models over fixed-length int32 token ids, returning logits.

`build_multimodal` (text plus image and/or audio inputs) is built directly, not by name: the text
pipeline feeds token ids only."""

from tfkd._checks import check_integer

from tfkd.students.average_embedding import build_average_embedding
from tfkd.students.bilstm import build_bilstm
from tfkd.students.cnn import build_cnn
from tfkd.students.embedding_transfer import transfer_embeddings
from tfkd.students.multimodal import build_multimodal
from tfkd.students.position_embedding import PositionEmbedding
from tfkd.students.transformer import build_transformer

# The builders that also build a Keras 3 model (`keras_version=3`).
KERAS3_STUDENTS = ("average_embedding", "cnn")
STUDENTS = {
    "average_embedding": build_average_embedding,
    "bilstm": build_bilstm,
    "cnn": build_cnn,
    "transformer": build_transformer,
}


def build(architecture, vocabulary_size, sequence_length, num_classes, **kwargs):
    """Builds a zoo student by name.

    Args:
        architecture: str, one of `STUDENTS`: "average_embedding", "bilstm"
            (Tang et al. 2019), "cnn" (Kim 2014), "transformer" (tiny encoder).
        vocabulary_size: int, e.g. `vectorizer.vocabulary_length`.
        sequence_length: int, ids per example.
        num_classes: int.
        **kwargs: the builder's own hyperparameters (e.g. `embedding_dim`, `name`; the
            BiLSTM's `pooling`, "last" or "max"; `keras_version=3` for a Keras 3
            model, where the architecture is one of `KERAS3_STUDENTS`).

    Returns:
        An uncompiled `tf_keras.Model` (a `keras.Model` with `keras_version=3`) with
        input `token_ids` [batch, sequence_length] int32.

    Raises:
        ValueError: unknown name, a size below 1, or `keras_version=3` for an
            architecture built only in tf_keras.

    Example:
        >>> model = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> model(np.zeros((1, 16), "int32")).shape
        TensorShape([1, 2])
    """
    if architecture not in STUDENTS:
        raise ValueError(f"Unknown student {architecture!r}; choose one of {sorted(STUDENTS)}")
    if kwargs.get("keras_version", 2) != 2 and architecture not in KERAS3_STUDENTS:
        raise ValueError(f"keras_version={kwargs['keras_version']!r} builds {list(KERAS3_STUDENTS)}; received "
                         f"architecture={architecture!r}, which is built in tf_keras only")
    return STUDENTS[architecture](check_integer("vocabulary_size", vocabulary_size, 1),
                                  check_integer("sequence_length", sequence_length, 1),
                                  check_integer("num_classes", num_classes, 1), **kwargs)


__all__ = ["KERAS3_STUDENTS", "PositionEmbedding", "STUDENTS", "build", "build_average_embedding", "build_bilstm", "build_cnn",
           "build_multimodal", "build_transformer", "transfer_embeddings"]
