"""`LogitsDistillation`: the soft-target term of a `Distiller`, with its own loss and temperature.

What a loss receives, whatever the spelling (the one convention of tfkd):

- tfkd's names `"kl"` and `"mse"`, and a `tfkd.DistillationLoss`, receive
  **logits** and apply the temperature themselves (`"kl"`: KL of the
  softened distributions times T^2; `"mse"`: squared error of raw logits).
- Any other loss, a tf_keras or Keras 3 `Loss` (e.g. `KLDivergence()`), a
  Keras loss name (e.g. `"kl_divergence"`) or a plain function
  `(teacher, student) -> loss`, receives **softened probabilities**
  `softmax(teacher_logits / T)` and `softmax(student_logits / T)`, and its
  value is multiplied by T^2: the keras.io example's convention, so
  `KLDivergence()` gives exactly the value of `"kl"`.

Every form gives a per-example loss [batch]; the `Distiller` averages it.
"""

from tfkd._keras import is_keras3, keras, keras3, register, tf
from tfkd.distill import losses

TFKD_LOSSES = ("kl", "mse")


@register
class LogitsDistillation:
    """Soft targets: the student's logits against the teacher's at a temperature (Hinton et al. 2015).

    The counterpart of Keras 3's `keras.distillation.LogitsDistillation`.
    Pass it to `Distiller(distillation_losses=[...])`; it is also what the
    shorthand `Distiller(distillation_loss="kl", temperature=3)` builds.

    Args:
        temperature: float > 0 or None. Default None: 3.0, or the
            temperature of a `tfkd.DistillationLoss` given as `loss`.
        loss: `"kl"` (default), `"mse"`, a `tfkd.DistillationLoss`, a Keras
            loss (tf_keras or Keras 3 object, or name) or a function
            `(teacher_probabilities, student_probabilities) -> loss`. See the
            module docstring for what each receives.

    Raises:
        ValueError: temperature <= 0, a temperature that differs from the
            `DistillationLoss`'s own, or a loss that is none of the above.

    Example:
        >>> term = LogitsDistillation(temperature=2.0, loss=keras.losses.KLDivergence())
        >>> term(np.random.randn(4, 3), np.random.randn(4, 3)).shape
        TensorShape([4])
    """

    def __init__(self, temperature=None, loss="kl"):
        if isinstance(loss, losses.DistillationLoss):
            if temperature is not None and losses.check_temperature(temperature) != loss.temperature:
                raise ValueError(f"`temperature` ({temperature}) differs from the DistillationLoss's own "
                                 f"temperature ({loss.temperature}); give one of them")
            temperature, loss = loss.temperature, loss.kind
        self.temperature = losses.check_temperature(3.0 if temperature is None else temperature)
        self._function = _resolved(loss)
        self.loss = loss  # as given: a Keras loss name stays a name in the config

    @property
    def takes_logits(self):
        """Whether the loss receives logits (tfkd's names) rather than softened probabilities."""
        return isinstance(self.loss, str) and self.loss in TFKD_LOSSES
    def __call__(self, teacher_logits, student_logits, temperature=None):
        """Per-example loss [batch]; `temperature` (a float or variable) overrides the term's own."""
        temperature = self.temperature if temperature is None else temperature
        if self.takes_logits:
            return losses.distillation_function(self.loss)(teacher_logits, student_logits, temperature)
        value = per_example(self._function, losses.soft_targets(teacher_logits, temperature),
                            losses.soft_targets(student_logits, temperature))
        return value * tf.cast(temperature, tf.float32) ** 2

    def get_config(self):
        return {"temperature": self.temperature, "loss": serialize_loss(self.loss)}

    @classmethod
    def from_config(cls, config):
        return cls(temperature=config["temperature"], loss=deserialize_loss(config["loss"]))


def per_example(loss, y_true, y_pred):
    """`loss(y_true, y_pred)` as a per-example vector [batch].

    A Keras `Loss` object is called through its unreduced `call` (so sample
    weights and replicas are averaged by the Distiller, as Keras's own
    reduction would); a function's scalar result is broadcast to the batch.
    """
    if isinstance(loss, keras.losses.Loss) or is_keras3(loss, "losses.Loss"):
        value = loss.call(y_true, y_pred)
    else:
        value = loss(y_true, y_pred)
    value = tf.cast(tf.convert_to_tensor(value), tf.float32)
    batch = tf.shape(y_pred)[:1]
    if value.shape.rank == 0:
        return tf.broadcast_to(value, batch)
    return tf.reshape(tf.reduce_mean(value, axis=list(range(1, value.shape.rank))) if value.shape.rank > 1
                      else value, batch)


def _resolved(loss):
    """`loss` as a tfkd name, a Keras loss object or a callable; Keras names resolved by tf_keras."""
    if isinstance(loss, str):
        if loss in TFKD_LOSSES:
            return loss
        try:
            return keras.losses.get(loss)
        except ValueError:
            raise ValueError(f"`loss` must be one of {list(TFKD_LOSSES)}, a Keras loss name, a Keras loss or a "
                             f"function; received loss={loss!r}") from None
    if callable(loss):
        return loss
    raise ValueError(f"`loss` must be one of {list(TFKD_LOSSES)}, a Keras loss name, a Keras loss or a function; "
                     f"received loss={loss!r} ({type(loss).__name__})")


def serialize_loss(loss):
    """A JSON-able form of a loss: tfkd's names as they are, Keras losses by Keras's own serializer."""
    if isinstance(loss, str):
        return loss
    if is_keras3(loss, "losses.Loss"):
        return {"keras3": keras3().saving.serialize_keras_object(loss)}
    config = keras.losses.serialize(loss)
    if isinstance(config, dict) and config.get("module") == "keras.losses":
        # A built-in loss that was itself deserialized carries its function as "fn" too; the class
        # alone rebuilds it, so drop it and the config stays the same across round trips.
        config["config"].pop("fn", None)
    return {"tf_keras": config}


def deserialize_loss(config):
    if isinstance(config, str):
        return config
    if "keras3" in config:
        return keras3().saving.deserialize_keras_object(config["keras3"])
    return keras.losses.deserialize(config["tf_keras"])
