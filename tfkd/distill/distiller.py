"""`Distiller`: a Keras model that trains a student on labels and a teacher's logits."""

import math

from tfkd._keras import keras, register, tf
from tfkd.distill import losses

STUDENT_KEY, TEACHER_KEY = "student", "teacher"


class _Untracked:
    """Holds the teacher so Keras does not track it: its weights stay out of
    the Distiller's variables, checkpoints and saved files."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


@register
class Distiller(keras.Model):
    """Knowledge distillation (Hinton et al. 2015) as a `tf_keras.Model`.

    `train_step` minimises `alpha * hard + (1 - alpha) * soft`, where hard is
    the cross-entropy of the student's logits with the labels and soft
    compares the student's logits with the teacher's (`"kl"` at a
    temperature, times T^2, or `"mse"` on logits). `call` returns the
    student's logits, so `predict` and `evaluate` behave as for the student.

    The teacher is frozen and runs outside the gradient tape. It may be a
    tf_keras model, a Keras 3 / keras-hub model or any callable returning
    logits; or None, when the data carries cached teacher logits as a third
    element: `(x, y, teacher_logits)`. When teacher and student take
    different inputs, `x` is a dict `{"student": ..., "teacher": ...}`.

    Both the constructor style and the keras.io `compile` style work:
    `Distiller(student, teacher, alpha=0.1, temperature=3)` or
    `Distiller(student, teacher).compile(optimizer, metrics,
    student_loss_fn=..., distillation_loss_fn=..., alpha=..., temperature=...)`.

    Args:
        student: tf_keras model returning logits.
        teacher: model, callable or None (default; cached logits in the data).
        alpha: float in [0, 1], weight of the hard (label) loss. Default 0.1.
        temperature: float > 0, softmax temperature of the soft loss. Default 3.0.
        distillation_loss: str, `"kl"` (default) or `"mse"`.

    Raises:
        ValueError: alpha outside [0, 1], temperature <= 0, an unknown
            distillation loss, or teacher and student logits of different shapes.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> distiller = tfkd.Distiller(student, teacher=None, alpha=0.5, temperature=2.0)
        >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
        >>> x = np.random.randint(0, 50, (32, 16)); y = np.random.randint(0, 2, 32)
        >>> data = tf.data.Dataset.from_tensor_slices((x, y, np.random.randn(32, 2))).batch(8)
        >>> history = distiller.fit(data, epochs=1, verbose=0)
    """

    def __init__(self, student, teacher=None, alpha=0.1, temperature=3.0, distillation_loss="kl", **kwargs):
        super().__init__(**kwargs)
        self.student = student
        self._teacher = _Untracked(_frozen(teacher))
        self.alpha = losses.check_alpha(alpha)
        self.temperature = losses.check_temperature(temperature)
        self.distillation_loss = distillation_loss
        self.student_loss_fn = losses.hard_cross_entropy
        self.distillation_loss_fn = losses.distillation_function(distillation_loss)
        self.loss_trackers = {
            name: keras.metrics.Mean(name=name) for name in ("loss", "student_loss", "distillation_loss")
        }

    @property
    def teacher(self):
        return self._teacher.value

    @teacher.setter
    def teacher(self, teacher):
        self._teacher.value = _frozen(teacher)

    def compile(self, optimizer="adam", metrics=None, student_loss_fn=None, distillation_loss_fn=None,
                alpha=None, temperature=None, **kwargs):
        """Configures training; the keras.io example's arguments are accepted.

        Args:
            optimizer: optimizer or its name. Default "adam".
            metrics: metrics of the student's predictions against the labels.
            student_loss_fn: None (default: sparse cross-entropy from logits) or
                a callable `(labels, student_logits) -> loss`.
            distillation_loss_fn: None (keep the constructor's), a name
                ("kl", "mse") or a callable `(teacher_logits, student_logits) -> loss`
                (e.g. a `DistillationLoss`, or the keras.io example's KLDivergence on
                softened probabilities).
            alpha: float in [0, 1] or None (keep the constructor's).
            temperature: float > 0 or None (keep the constructor's).
        """
        # The third element of cached-logits batches reaches `evaluate` where Keras expects
        # sample weights; an explicit (empty) weighted_metrics silences its warning.
        kwargs.setdefault("weighted_metrics", [])
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)
        if alpha is not None:
            self.alpha = losses.check_alpha(alpha)
        if temperature is not None:
            self.temperature = losses.check_temperature(temperature)
        if student_loss_fn is not None:
            self.student_loss_fn = student_loss_fn
        if isinstance(distillation_loss_fn, str):
            self.distillation_loss_fn = losses.distillation_function(distillation_loss_fn)
            self.distillation_loss = distillation_loss_fn
        elif distillation_loss_fn is not None:
            self.distillation_loss_fn = _with_temperature(distillation_loss_fn)
            self.distillation_loss = "custom"

    @property
    def metrics(self):
        compiled = self.compiled_metrics.metrics if self.compiled_metrics is not None else []
        return list(self.loss_trackers.values()) + compiled

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`, stopping with a message naming the loss that became NaN or infinite."""
        callbacks = list(callbacks or [])
        if not any(isinstance(callback, StopOnNaNLoss) for callback in callbacks):
            callbacks.append(StopOnNaNLoss())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def call(self, inputs, training=False):
        return self.student(_student_inputs(inputs), training=training)

    def train_step(self, data):
        x, y, teacher_logits, sample_weight = self._unpack(data)
        with tf.GradientTape() as tape:
            student_logits = self(x, training=True)
            loss_values = self.compute_losses(y, teacher_logits, student_logits, sample_weight)
        variables = self.student.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss_values["loss"], variables), variables))
        return self._update_metrics(loss_values, y, student_logits, sample_weight)

    def test_step(self, data):
        x, y, teacher_logits, sample_weight = self._unpack(data)
        student_logits = self(x, training=False)
        loss_values = self.compute_losses(y, teacher_logits, student_logits, sample_weight)
        return self._update_metrics(loss_values, y, student_logits, sample_weight)

    def compute_losses(self, y, teacher_logits, student_logits, sample_weight=None):
        """Student, distillation and total loss, averaged over the global batch.

        `tf.nn.compute_average_loss` divides by the global batch size, so the
        summed gradients across replicas of a distribution strategy equal
        the single-device gradient.
        """
        _check_same_shape(teacher_logits, student_logits)
        y = _checked_labels(y, student_logits)
        student_loss = self.student_loss_fn(y, student_logits)
        distillation_loss = self.distillation_loss_fn(teacher_logits, student_logits, self.temperature)
        values = {
            "student_loss": student_loss,
            "distillation_loss": distillation_loss,
            "loss": losses.blend(student_loss, distillation_loss, self.alpha),
        }
        return {name: _average(value, sample_weight) for name, value in values.items()}

    def get_config(self):
        return {
            "student": keras.saving.serialize_keras_object(self.student),
            "alpha": self.alpha,
            "temperature": self.temperature,
            "distillation_loss": self.distillation_loss if self.distillation_loss != "custom" else "kl",
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the Distiller without a teacher (it is never serialized); set `.teacher` after."""
        config = dict(config)
        student = keras.saving.deserialize_keras_object(config.pop("student"), custom_objects=custom_objects)
        return cls(student=student, teacher=None, **config)

    def _unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("Distiller data must be (x, y), (x, y, teacher_logits) or with sample weights; "
                             f"received a {type(data).__name__}")
        x, y, rest = data[0], data[1], list(data[2:])
        if self.teacher is None:
            if not rest:
                raise ValueError("This Distiller has no teacher, so each batch must carry cached teacher "
                                 "logits: (x, y, teacher_logits). Pass `teacher=` or use tfkd.distill.cache_teacher_logits.")
            teacher_logits = rest.pop(0)
        else:
            teacher_logits = tf.stop_gradient(self.teacher(_teacher_inputs(x), training=False))
        return x, y, teacher_logits, rest[0] if rest else None

    def _update_metrics(self, loss_values, y, student_logits, sample_weight):
        for name, value in loss_values.items():
            self.loss_trackers[name].update_state(value)
        self.compiled_metrics.update_state(y, student_logits, sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}


class StopOnNaNLoss(keras.callbacks.Callback):
    """Stops training when a loss is NaN or infinite, naming which one."""

    def on_train_batch_end(self, batch, logs=None):
        for name in ("student_loss", "distillation_loss", "loss"):
            value = (logs or {}).get(name)
            if value is not None and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise FloatingPointError(
                    f"{name} became {value} at batch {batch}: training stopped. "
                    + _NAN_HINTS.get(name, "Lower the learning rate or check the inputs."))


_NAN_HINTS = {
    "student_loss": "Check the labels and the student's outputs (are they logits?), or lower the learning rate.",
    "distillation_loss": "Check the teacher's logits for NaN/inf (cached logits too) and the temperature.",
}


def _checked_labels(labels, student_logits):
    """Labels as int32, asserted to lie in [0, num_classes): the cross-entropy
    op would otherwise return NaN on GPU or a less specific error on CPU."""
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    num_classes = tf.shape(student_logits)[-1]
    message = "labels must be in [0, num_classes) where num_classes is the student's number of logits"
    with tf.control_dependencies([
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(labels, num_classes, message=message)]):
        return tf.identity(labels)


def _frozen(teacher):
    if teacher is not None and hasattr(teacher, "trainable"):
        teacher.trainable = False
    return teacher


def _student_inputs(x):
    return x[STUDENT_KEY] if isinstance(x, dict) and STUDENT_KEY in x else x


def _teacher_inputs(x):
    return x[TEACHER_KEY] if isinstance(x, dict) and TEACHER_KEY in x else x


def _check_same_shape(teacher_logits, student_logits):
    teacher_shape, student_shape = teacher_logits.shape, student_logits.shape
    if teacher_shape.rank is not None and student_shape.rank is not None and (
            teacher_shape.rank != student_shape.rank
            or (teacher_shape[-1] is not None and student_shape[-1] is not None
                and teacher_shape[-1] != student_shape[-1])):
        raise ValueError(
            f"teacher and student logits must have the same shape; received teacher logits of shape "
            f"{teacher_shape} and student logits of shape {student_shape}"
        )


def _average(per_example, sample_weight):
    per_example = tf.reshape(per_example, [-1])
    if sample_weight is not None:
        sample_weight = tf.cast(tf.reshape(sample_weight, [-1]), per_example.dtype)
    return tf.nn.compute_average_loss(per_example, sample_weight=sample_weight)


def _with_temperature(function):
    """Adapts a `(teacher, student) -> loss` callable to the `(teacher, student, T)` signature.

    A callable that takes no temperature is given softened probabilities, as
    in the keras.io example (`KLDivergence()(softmax(t/T), softmax(s/T))`),
    and its result is broadcast to a per-example vector.
    """
    def call(teacher_logits, student_logits, temperature):
        value = function(losses.soft_targets(teacher_logits, temperature),
                         losses.soft_targets(student_logits, temperature))
        return tf.broadcast_to(value, tf.shape(student_logits)[:1]) if value.shape.rank == 0 else value
    return call
