"""`Distiller`: a Keras model that trains a student on labels and a teacher's logits."""

import math

from tfkd._keras import keras, keras3, register, tf
from tfkd.distill import losses
from tfkd.distill.feature_distillation import FeatureDistillation, pool_features

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
        features: list of `FeatureDistillation` or None (default): student
            layers matched to teacher layers through learned projections;
            each adds `weight * feature_loss` to the total.
        entropy_weight: float or None (default: no entropy term). Adds
            `-entropy_weight * H(softmax(student_logits))`: a positive weight
            penalises over-confident students (Pereyra et al. 2017), a
            negative one rewards confident predictions (entropy minimisation,
            Grandvalet & Bengio 2005, for unlabeled transfer sets). Reported as
            the metric `entropy`.

    Keras 3's `keras.distillation` concepts map as follows: `LogitsDistillation(
    temperature)` is `distillation_loss="kl"` with `temperature`;
    `FeatureDistillation(teacher_layer_name, student_layer_name)` is
    `features=[FeatureDistillation(student_layer, teacher_layer)]` (with a
    learned projection, so widths may differ); `student_loss_weight` is
    `alpha`; `distillation_loss_weights` are `1 - alpha` for the logits term
    and each `FeatureDistillation.weight`.

    `alpha`, `temperature` and `entropy_weight` live in non-trainable
    variables, so callbacks such as `DistillationSchedule` can change them
    between epochs without retracing the training step.

    Raises:
        ValueError: alpha outside [0, 1], temperature <= 0, an unknown
            distillation loss, teacher and student logits of different shapes,
            or a feature layer that cannot be found.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> distiller = tfkd.Distiller(student, teacher=None, alpha=0.5, temperature=2.0)
        >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
        >>> x = np.random.randint(0, 50, (32, 16)); y = np.random.randint(0, 2, 32)
        >>> data = tf.data.Dataset.from_tensor_slices((x, y, np.random.randn(32, 2))).batch(8)
        >>> history = distiller.fit(data, epochs=1, verbose=0)
    """

    def __init__(self, student, teacher=None, alpha=0.1, temperature=3.0, distillation_loss="kl", features=None,
                 entropy_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.student = student
        self.distillation_loss = distillation_loss
        self.student_loss_fn = losses.hard_cross_entropy
        self.distillation_loss_fn = losses.distillation_function(distillation_loss)
        self._values = {}
        self._alpha = tf.Variable(0.0, trainable=False, name="alpha")
        self._temperature = tf.Variable(1.0, trainable=False, name="temperature")
        self._entropy_weight = tf.Variable(0.0, trainable=False, name="entropy_weight")
        self.alpha, self.temperature = alpha, temperature
        self.entropy_weight = 0.0 if entropy_weight is None else entropy_weight
        self._feature_terms = _Untracked(_checked_features(features))
        self._student_features = _Untracked(_student_feature_model(student, self.features))
        self._teacher = _Untracked(None)
        self._teacher_model = _Untracked(None)
        self.teacher = teacher
        self.projections = [_built_projection(feature, _layer(student, feature.student_layer, "student"))
                            for feature in self.features]
        names = ["loss", "student_loss", "distillation_loss"] + ["feature_loss"] * bool(self.features) + [
            "entropy"] * (entropy_weight is not None)
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in names}

    alpha = property(lambda self: self._values["alpha"],
                     lambda self, value: self._set("alpha", losses.check_alpha(value)),
                     doc="float in [0, 1], weight of the hard (label) loss.")
    temperature = property(lambda self: self._values["temperature"],
                           lambda self, value: self._set("temperature", losses.check_temperature(value)),
                           doc="float > 0, softmax temperature of the soft loss.")
    entropy_weight = property(lambda self: self._values["entropy_weight"],
                              lambda self, value: self._set("entropy_weight", losses.check_entropy_weight(value)),
                              doc="float, weight of the student-entropy term (0: none).")

    def _set(self, name, value):
        self._values[name] = value
        getattr(self, f"_{name}").assign(value)

    @property
    def features(self):
        """The `FeatureDistillation` terms (a list; empty when none)."""
        return self._feature_terms.value

    @property
    def teacher(self):
        return self._teacher.value

    @teacher.setter
    def teacher(self, teacher):
        self._teacher.value = _frozen(teacher)
        self._teacher_model.value = _teacher_feature_model(teacher, self.features)

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
        x, y, teacher_outputs, sample_weight = self._unpack(data)
        with tf.GradientTape() as tape:
            student_outputs = self._student_outputs(x, training=True)
            loss_values = self.compute_losses(y, teacher_outputs, student_outputs, sample_weight)
        # The student's variables and the feature projections; the teacher is not tracked.
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss_values["loss"], variables), variables))
        return self._update_metrics(loss_values, y, _logits(student_outputs), sample_weight)

    def test_step(self, data):
        x, y, teacher_outputs, sample_weight = self._unpack(data)
        student_outputs = self._student_outputs(x, training=False)
        loss_values = self.compute_losses(y, teacher_outputs, student_outputs, sample_weight)
        return self._update_metrics(loss_values, y, _logits(student_outputs), sample_weight)

    def compute_losses(self, y, teacher_outputs, student_outputs, sample_weight=None):
        """Every loss term and the total, averaged over the global batch.

        Args:
            y: integer labels [batch].
            teacher_outputs, student_outputs: logits [batch, classes], or
                dicts `{"logits": ..., layer_name: features}` when there are
                feature terms.
            sample_weight: [batch] or None.

        `tf.nn.compute_average_loss` divides by the global batch size, so the
        summed gradients across replicas of a distribution strategy equal
        the single-device gradient.
        """
        teacher_logits, student_logits = _logits(teacher_outputs), _logits(student_outputs)
        _check_same_shape(teacher_logits, student_logits)
        y = _checked_labels(y, student_logits)
        values = {
            "student_loss": self.student_loss_fn(y, student_logits),
            "distillation_loss": self.distillation_loss_fn(teacher_logits, student_logits, self._temperature),
        }
        total = losses.blend(values["student_loss"], values["distillation_loss"], self._alpha)
        if self.features:
            values["feature_loss"] = self._feature_loss(teacher_outputs, student_outputs)
            total += values["feature_loss"]
        if "entropy" in self.loss_trackers:
            values["entropy"] = losses.entropy(student_logits)
            total -= self._entropy_weight * values["entropy"]
        values["loss"] = total
        return {name: _average(value, sample_weight) for name, value in values.items()}

    def _feature_loss(self, teacher_outputs, student_outputs):
        """Sum over feature terms of weight * loss(teacher features, projected student features), per example."""
        if not isinstance(teacher_outputs, dict):
            raise ValueError("feature distillation needs the teacher's features: a teacher model with the named "
                             "layers, or cached outputs {'logits': ..., <teacher_layer>: features}; received only "
                             "teacher logits")
        terms = []
        for feature, projection in zip(self.features, self.projections):
            if feature.teacher_layer not in teacher_outputs:
                raise ValueError(f"teacher features {feature.teacher_layer!r} are missing; the teacher gave "
                                 f"{sorted(teacher_outputs)}")
            projected = projection(pool_features(student_outputs[feature.student_layer]))
            terms.append(feature.weight * feature(teacher_outputs[feature.teacher_layer], projected))
        return tf.add_n(terms)

    def _student_outputs(self, x, training):
        """Student logits, or {"logits": ..., layer: features} when there are feature terms."""
        if not self.features:
            return self(x, training=training)
        outputs = self._student_features.value(_student_inputs(x), training=training)
        return dict(zip(["logits"] + [feature.student_layer for feature in self.features], outputs))

    def get_config(self):
        return {
            "student": keras.saving.serialize_keras_object(self.student),
            "alpha": self.alpha,
            "temperature": self.temperature,
            "distillation_loss": self.distillation_loss if self.distillation_loss != "custom" else "kl",
            "features": [feature.get_config() for feature in self.features],
            "entropy_weight": self.entropy_weight if "entropy" in self.loss_trackers else None,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the Distiller without a teacher (it is never serialized); set `.teacher` after."""
        config = dict(config)
        student = keras.saving.deserialize_keras_object(config.pop("student"), custom_objects=custom_objects)
        features = [FeatureDistillation.from_config(feature) for feature in config.pop("features", [])]
        return cls(student=student, teacher=None, features=features, **config)

    def _unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("Distiller data must be (x, y), (x, y, teacher_logits) or with sample weights; "
                             f"received a {type(data).__name__}")
        x, y, rest = data[0], data[1], list(data[2:])
        if self.teacher is None:
            if not rest:
                raise ValueError("This Distiller has no teacher, so each batch must carry cached teacher "
                                 "logits: (x, y, teacher_logits). Pass `teacher=` or use tfkd.distill.cache_teacher_logits.")
            teacher_outputs = rest.pop(0)
        else:
            teacher_outputs = tf.nest.map_structure(
                tf.stop_gradient, self._teacher_model.value(_teacher_inputs(x), training=False))
        return x, y, teacher_outputs, rest[0] if rest else None

    def _update_metrics(self, loss_values, y, student_logits, sample_weight):
        for name, value in loss_values.items():
            self.loss_trackers[name].update_state(value)
        self.compiled_metrics.update_state(y, student_logits, sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}


class StopOnNaNLoss(keras.callbacks.Callback):
    """Stops training when a loss is NaN or infinite, naming which one."""

    def on_train_batch_end(self, batch, logs=None):
        for name in ("student_loss", "distillation_loss", "feature_loss", "entropy", "loss"):
            value = (logs or {}).get(name)
            if value is not None and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise FloatingPointError(
                    f"{name} became {value} at batch {batch}: training stopped. "
                    + _NAN_HINTS.get(name, "Lower the learning rate or check the inputs."))


_NAN_HINTS = {
    "student_loss": "Check the labels and the student's outputs (are they logits?), or lower the learning rate.",
    "distillation_loss": "Check the teacher's logits for NaN/inf (cached logits too) and the temperature.",
    "feature_loss": "Check the teacher's features for NaN/inf, or use loss='cosine', which ignores their scale.",
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


def _logits(outputs):
    return outputs["logits"] if isinstance(outputs, dict) else outputs


def _checked_features(features):
    features = list(features or [])
    for feature in features:
        if not isinstance(feature, FeatureDistillation):
            raise TypeError(f"`features` must hold FeatureDistillation objects; received {feature!r}")
    return features


def _student_feature_model(student, features):
    """A model sharing the student's layers that returns [logits, *feature layer outputs]."""
    if not features:
        return None
    if not getattr(student, "_is_graph_network", False):
        raise ValueError(f"feature distillation needs a functional student to read layer outputs from; "
                         f"{student.name!r} is a {type(student).__name__}. Build it with tfkd.students or the "
                         "Keras functional API.")
    outputs = [student.outputs[0]] + [_layer(student, feature.student_layer, "student").output
                                      for feature in features]
    return keras.Model(student.inputs, outputs, name=f"{student.name}_features")


def _teacher_feature_model(teacher, features):
    """The teacher as a callable returning {"logits": ..., teacher_layer: features}, or itself without features."""
    if not features or teacher is None or not hasattr(teacher, "get_layer") or not hasattr(teacher, "inputs"):
        return teacher
    outputs = {"logits": teacher.outputs[0]}
    for feature in features:
        outputs[feature.teacher_layer] = _layer(teacher, feature.teacher_layer, "teacher").output
        feature.teacher_dim = feature.teacher_dim or int(outputs[feature.teacher_layer].shape[-1])
    # A Keras 3 (keras-hub) teacher needs a Keras 3 functional model over its own tensors.
    model_class = keras.Model if isinstance(teacher, keras.Model) else keras3().Model
    return model_class(teacher.input, outputs)


def _layer(model, name, role):
    """`model`'s layer called `name`, searched in nested models too (keras-hub backbones)."""
    found = _find_layer(model, name)
    if found is None:
        raise ValueError(f"the {role} {model.name!r} has no layer named {name!r}; its layers are "
                         f"{[layer.name for layer in model.layers]}")
    return found


def _find_layer(model, name):
    for layer in getattr(model, "layers", []):
        if layer.name == name:
            return layer
        nested = _find_layer(layer, name) if hasattr(layer, "layers") else None
        if nested is not None:
            return nested
    return None


def _built_projection(feature, student_layer):
    if feature.teacher_dim is None:
        raise ValueError(f"FeatureDistillation({feature.student_layer!r}) needs `teacher_dim` when the teacher's "
                         f"layer {feature.teacher_layer!r} cannot be read (cached features or a plain callable)")
    projection = feature.projection(feature.teacher_dim)
    projection.build((None, int(student_layer.output.shape[-1])))
    return projection


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
