"""`train_student`: the one loop that distils a student from cached teacher logits, keeping its best epoch."""

from tfkd._checks import check_integer
from tfkd._keras import keras
from tfkd.distill.distillation import DEFAULT_ALPHA, DEFAULT_TEMPERATURE
from tfkd.distill.distiller import Distiller

# What can pick the kept epoch, and which way is better.
MONITORS = {"val_accuracy": "max", "val_loss": "min"}


def train_student(student, train, validation, epochs, learning_rate=1e-3, alpha=DEFAULT_ALPHA,
                  temperature=DEFAULT_TEMPERATURE, patience=2, start_from_epoch=0, callbacks=(), verbose=0,
                  distillation_loss="kl", monitor="val_accuracy"):
    """Distils into `student` and leaves it at its best epoch by validation accuracy (or loss).

    What the pipeline's distill, prune and QAT stages and the benchmarks
    all run: a teacher-less `Distiller` on `(ids, labels, teacher_logits)`
    batches (`tfkd.logits_dataset`), Adam, and early stopping that restores
    the weights of the best validation epoch by `monitor`. The best epoch is
    kept even when training stops at `epochs` without running out of
    patience.

    Args:
        student: tf_keras model mapping ids to logits; trained in place.
        train: `tf.data.Dataset` of `(x, y, teacher_logits)` batches.
        validation: the same for the validation split.
        epochs: int >= 1, the most epochs to run.
        learning_rate: float or a `keras.optimizers.schedules` schedule. Default 1e-3.
        alpha: float in [0, 1], the hard loss's share. Default 0.1.
        temperature: float > 0, the soft loss's temperature. Default 3.0.
        patience: int >= 1, epochs without a better `monitor` before
            stopping. Default 2.
        start_from_epoch: int >= 0, epochs that cannot be kept or stop the
            run (e.g. a pruning schedule still ramping up). Default 0.
        callbacks: tf_keras callbacks run before the early stopping (e.g.
            `BackupAndRestore`, pruning's `UpdatePruningStep`). Default none.
        verbose: Keras verbosity. Default 0.
        distillation_loss: `"kl"` (default; the softened distributions'
            KL at `temperature`, times T^2) or `"mse"` (squared error of the
            raw logits, Tang et al. 2019; `temperature` is then unused).
        monitor: what picks the best epoch: `"val_accuracy"` (default;
            highest) or `"val_loss"` (lowest: the blended loss against the
            labels and the teacher's logits, continuous where accuracy on a
            small validation split moves in steps of one example).

    Returns:
        The `History` of the fit.

    Raises:
        ValueError: `epochs`, `patience` or `start_from_epoch` out of range,
            `monitor` not a key of `MONITORS`, or a bad `alpha`,
            `temperature` or `distillation_loss` (named by `Distiller`).

    Example:
        >>> student = tfkd.students.build("cnn", 50, 16, 2)
        >>> data = tfkd.logits_dataset(np.zeros((8, 16), "int32"), np.zeros(8, "int32"), np.zeros((8, 2)), 4)
        >>> history = tfkd.distill.train_student(student, data, data, epochs=1)
    """
    epochs = check_integer("epochs", epochs, 1)
    patience = check_integer("patience", patience, 1)
    start_from_epoch = check_integer("start_from_epoch", start_from_epoch, 0)
    if monitor not in MONITORS:
        raise ValueError(f"`monitor` must be one of {list(MONITORS)}; received monitor={monitor!r}")
    distiller = Distiller(student, teacher=None, alpha=alpha, temperature=temperature,
                          distillation_loss=distillation_loss)
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    best = keras.callbacks.EarlyStopping(monitor, patience=patience, mode=MONITORS[monitor], restore_best_weights=True,
                                         start_from_epoch=start_from_epoch)
    return distiller.fit(train, validation_data=validation, epochs=epochs, callbacks=list(callbacks) + [best],
                         verbose=verbose)
