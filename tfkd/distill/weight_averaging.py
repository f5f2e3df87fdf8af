"""`WeightAveraging`: validate on, and end training with, a moving average of the weights."""

import numbers

from tfkd._keras import keras, tf


class WeightAveraging(keras.callbacks.Callback):
    """Keeps an exponential moving average of the trainable weights; validation and the end of `fit` use it.

    After every training step each average moves towards its weight:
    `average = d * average + (1 - d) * weight`, with `d = min(decay, (1 + n) / (10 + n))`
    after `n` earlier steps (as `tf.train.ExponentialMovingAverage` with
    `num_updates`), so the first steps do not leave the random start in the
    average. Training itself always continues from the raw weights.

    From each validation until the next epoch begins, the model holds the
    averages, so `val_*` metrics, `EarlyStopping(restore_best_weights=True)`
    and `ModelCheckpoint` all see the averaged model, and `fit` returns with
    the averages (or, with `restore_best_weights`, the best epoch's averages)
    in place; epochs skipped by `validation_freq` end on the raw weights.
    Keras' own `use_ema=True` optimizers validate on the raw weights and
    write the averages only before `EarlyStopping` restores its (raw) best
    weights, so the averages are lost when both are used.

    Args:
        decay: float in [0, 1), default 0.999: how much of the average each
            step keeps (about `1 / (1 - decay)` steps are averaged).

    Raises:
        ValueError: `decay` outside [0, 1).

    Example:
        >>> distiller.fit(data, validation_data=validation, epochs=6, callbacks=[
        ...     WeightAveraging(0.999), keras.callbacks.EarlyStopping("val_accuracy", restore_best_weights=True)])
    """

    def __init__(self, decay=0.999):
        super().__init__()
        self._supports_tf_logs = True  # the batch hook reads no logs: spare Keras converting them every step
        if isinstance(decay, bool) or not isinstance(decay, numbers.Real) or not 0.0 <= decay < 1.0:
            raise ValueError(f"`decay` must be a number in [0, 1); received decay={decay!r}")
        self.decay = float(decay)
        self._averages = self._raw = self._update = None

    def on_train_begin(self, logs=None):
        variables = self.model.trainable_variables
        # convert_to_tensor reads a tf_keras variable and a Keras 3 one (which wraps a tf.Variable) alike.
        self._averages = [tf.Variable(tf.convert_to_tensor(variable), trainable=False) for variable in variables]
        steps = tf.Variable(0.0, trainable=False)

        @tf.function
        def update():
            decay = tf.minimum(self.decay, (1.0 + steps) / (10.0 + steps))
            for average, variable in zip(self._averages, variables):
                average.assign(decay * average + (1.0 - decay) * tf.cast(variable, average.dtype))
            steps.assign_add(1.0)

        self._update, self._raw = update, None

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    def on_test_begin(self, logs=None):
        if self._update is not None and self._raw is None:  # a validation inside `fit`
            self._raw = [variable.numpy() for variable in self.model.trainable_variables]
            self._assign(self._averages)

    def on_epoch_begin(self, epoch, logs=None):
        if self._raw is not None:  # back to the raw weights to train on
            self._assign(self._raw)
            self._raw = None

    def on_train_end(self, logs=None):
        if self._raw is None:  # no validation since the last step: the averages were never put in
            self._assign(self._averages)
        self._averages = self._raw = self._update = None

    def _assign(self, values):
        for variable, value in zip(self.model.trainable_variables, values):
            variable.assign(value)
