"""`distill_embeddings`: a student that reproduces the teacher's sentence embeddings."""

from tfkd._keras import keras, tf
from tfkd.distill import losses

EMBEDDING_LOSSES = {"cosine": losses.cosine_distance, "mse": losses.feature_mse}


def distill_embeddings(student, x, teacher_embeddings, validation_data=None, loss="cosine", epochs=10,
                       batch_size=64, learning_rate=1e-3, callbacks=None, verbose="auto", seed=0):
    """Trains `student` so its output vector for each text matches the teacher's sentence embedding.

    Feature distillation of the whole output: no labels, the teacher's
    embeddings (e.g. `TextClassifierTeacher.sentence_embeddings`, cached
    once) are the targets. Build the student with as many outputs as the
    teacher's embedding has dimensions, e.g.
    `tfkd.students.build("cnn", vocabulary, length, num_classes=384)`.
    With `loss="cosine"` only the direction is learned, which is what
    cosine search and answer selection compare.

    Args:
        student: tf_keras model, ids [n, length] -> [n, dimensions].
        x: int32 ids [n, length].
        teacher_embeddings: float array [n, dimensions].
        validation_data: tuple (ids, teacher_embeddings) or None.
        loss: str, "cosine" (default: 1 - cosine similarity) or "mse".
        epochs, batch_size, learning_rate: training settings (Adam).
        callbacks: list of tf_keras callbacks or None.
        verbose: Keras verbosity. Default "auto".
        seed: int, shuffling seed. Default 0.

    Returns:
        the Keras `History`.

    Raises:
        ValueError: an unknown `loss`, or embeddings whose count or width does
            not match `x` and the student's output (both are named).

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=8)
        >>> ids = np.random.randint(0, 50, (64, 16), dtype="int32")
        >>> history = distill_embeddings(student, ids, np.random.normal(size=(64, 8)), epochs=1, verbose=0)
    """
    if loss not in EMBEDDING_LOSSES:
        raise ValueError(f"`loss` must be one of {list(EMBEDDING_LOSSES)}; received loss={loss!r}")
    _check_targets(student, x, teacher_embeddings, "teacher_embeddings")
    if validation_data is not None:
        _check_targets(student, *validation_data, "validation_data")
    function = EMBEDDING_LOSSES[loss]
    student.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss=lambda teacher, output: function(teacher, output))  # per example; Keras averages
    train = (tf.data.Dataset.from_tensor_slices((x, teacher_embeddings.astype("float32")))
             .shuffle(len(x), seed=seed).batch(batch_size))
    validation = None
    if validation_data is not None:
        validation = tf.data.Dataset.from_tensor_slices(
            (validation_data[0], validation_data[1].astype("float32"))).batch(batch_size)
    return student.fit(train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose)


def _check_targets(student, x, embeddings, name):
    width = student.output_shape[-1]
    if len(embeddings) != len(x) or embeddings.ndim != 2 or embeddings.shape[-1] != width:
        raise ValueError(f"`{name}` must hold one embedding of the student's width {width} per example of "
                         f"{len(x)}; received embeddings of shape {tuple(embeddings.shape)}")
