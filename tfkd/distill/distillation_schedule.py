"""`DistillationSchedule`: change a Distiller's alpha, temperature or entropy weight between epochs."""

from tfkd._keras import keras

SCHEDULED = ("alpha", "temperature", "entropy_weight")


class DistillationSchedule(keras.callbacks.Callback):
    """Sets `alpha`, `temperature` and/or `entropy_weight` at the start of each epoch.

    Each schedule is a callable `epoch -> value` (epoch counted from 0) or a
    pair `(start, end)`, interpolated linearly from the first epoch to the
    last of the `fit` call. The values go through the Distiller's own checks,
    and the epoch's values are added to the logs (so `History` records them).
    The Distiller keeps them in variables, so a change does not retrace the
    training step.

    Args:
        alpha: callable, (start, end) pair or None (unchanged).
        temperature: callable, (start, end) pair or None (unchanged).
        entropy_weight: callable, (start, end) pair or None (unchanged). The
            Distiller must have been built with `entropy_weight` set (0.0 is
            fine) for the entropy term to exist.

    Example:
        >>> # Anneal from the teacher's soft targets to the labels, and cool the temperature.
        >>> schedule = DistillationSchedule(alpha=(0.0, 0.5), temperature=(4.0, 1.0))
        >>> distiller.fit(data, epochs=10, callbacks=[schedule])
    """

    def __init__(self, alpha=None, temperature=None, entropy_weight=None):
        super().__init__()
        given = {"alpha": alpha, "temperature": temperature, "entropy_weight": entropy_weight}
        self.schedules = {name: _schedule(name, value) for name, value in given.items() if value is not None}
        if not self.schedules:
            raise ValueError(f"DistillationSchedule needs at least one of {list(SCHEDULED)}; received none")
        self._epoch_values = {}

    def on_train_begin(self, logs=None):
        if "entropy_weight" in self.schedules and "entropy" not in getattr(self.model, "loss_trackers", {}):
            raise ValueError("this Distiller has no entropy term to schedule; build it with entropy_weight=0.0 "
                             "(or another starting value)")

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs") or 1
        for name, schedule in self.schedules.items():
            setattr(self.model, name, schedule(epoch, epochs))
        self._epoch_values = {name: getattr(self.model, name) for name in self.schedules}

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self._epoch_values)


def _schedule(name, value):
    """A function (epoch, epochs) -> value for a callable or a (start, end) pair."""
    if callable(value):
        return lambda epoch, epochs: float(value(epoch))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        start, end = (float(v) for v in value)
        return lambda epoch, epochs: start + (end - start) * (epoch / max(epochs - 1, 1))
    raise ValueError(f"`{name}` must be a callable epoch -> value or a (start, end) pair; received {name}={value!r}")
