"""Seed a student's embedding table with the teacher's word vectors."""

import numpy as np

EMBEDDING_SCALE = 0.3


def transfer_embeddings(student, vectors, layer="embedding", padding_id=0):
    """Sets `student`'s embedding table to `vectors` reduced by PCA to its width.

    A student trained on a few thousand sentences meets most words a
    handful of times; starting from the teacher's vectors (e.g.
    `TextClassifierTeacher.word_vectors(vectorizer.vocabulary)`) it starts
    from what the teacher knows about each word. The PCA keeps the
    directions of most variance; the result is scaled to a standard
    deviation of 0.3 (the value used in benchmarks/results/students.json)
    and the padding row set to zero. The layer still trains.

    Args:
        student: tf_keras model with an Embedding layer.
        vectors: float array [vocabulary_length, width], row i for token id i.
        layer: str, the Embedding layer's name. Default "embedding" (every zoo student).
        padding_id: int or None, a row to zero. Default 0.

    Returns:
        float32 array [vocabulary_length, embedding_dim], the table set.

    Raises:
        ValueError: the layer is missing or `vectors` has the wrong row count
            or too few columns.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> table = transfer_embeddings(student, np.random.randn(50, 64))
        >>> table.shape
        (50, 32)
    """
    embedding = _embedding_layer(student, layer)
    rows, width = embedding.input_dim, embedding.output_dim
    vectors = np.asarray(vectors, np.float64)
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        raise ValueError(f"`vectors` must have one row per token id: shape ({rows}, width) for layer {layer!r}; "
                         f"received shape {vectors.shape}")
    if vectors.shape[1] < width:
        raise ValueError(f"`vectors` has {vectors.shape[1]} columns, fewer than the embedding width {width}; "
                         "build the student with a smaller embedding_dim")
    table = pca_project(vectors, width)
    if padding_id is not None:
        table[padding_id] = 0.0
    embedding.set_weights([table])
    return table


def pca_project(vectors, width):
    """Rows of `vectors` projected on their top `width` principal directions, scaled to std EMBEDDING_SCALE."""
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)  # directions: [columns, columns]
    projected = centred @ directions[:width].T
    # Fewer rows than `width` give fewer directions; the missing columns start at zero and train.
    projected = np.pad(projected, [(0, 0), (0, width - projected.shape[1])])
    return (projected / max(projected.std(), 1e-12) * EMBEDDING_SCALE).astype(np.float32)


def _embedding_layer(student, name):
    try:
        return student.get_layer(name)
    except ValueError:
        raise ValueError(f"the student {student.name!r} has no layer named {name!r}; its layers are "
                         f"{[layer.name for layer in student.layers]}") from None
