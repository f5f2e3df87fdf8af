"""What the tf_keras `Distiller` and the Keras 3 `Keras3Distiller` share: terms, loss arithmetic, data, config.

The total loss, per example and then averaged over the global batch:

    alpha * student_loss + (1 - alpha) * sum_i w_i * term_i + sum_j w_j * extra_j

The terms `term_i` are the `distillation_losses` (Keras 3's formula, with
`alpha` as its `student_loss_weight`); the extra terms `extra_j` are tfkd's
shorthands `features=[...]` and `entropy_weight=`, added outside the blend
as they always were, so their numbers did not change.
"""

import copy
import math

import numpy as np

from tfkd._keras import is_keras3, keras, keras3, tf
from tfkd.distill import losses
from tfkd.distill.entropy_regularization import EntropyRegularization
from tfkd.distill.feature_distillation import FeatureDistillation, pool_features
from tfkd.distill.logits_distillation import LogitsDistillation, per_example
from tfkd.distill.multi_teacher import MultiTeacher

STUDENT_KEY, TEACHER_KEY = "student", "teacher"
TERMS = (LogitsDistillation, FeatureDistillation, EntropyRegularization)
DEFAULT_ALPHA, DEFAULT_TEMPERATURE = 0.1, 3.0


def _check_labels(data, y=None):
    """Refuses labels the hard loss would misread (strings, one-hot rows) before Keras traces a step.

    `data`: what `fit` got as `x` or `validation_data` (a dataset of tuples,
    or a tuple); `y`: its labels when given apart. Anything else is left to Keras.
    """
    if isinstance(data, tf.data.Dataset):
        spec = data.element_spec
        y = spec[1] if isinstance(spec, tuple) and len(spec) > 1 else None
    elif y is None and isinstance(data, tuple) and len(data) > 1:
        y = data[1]
    if y is None or isinstance(y, dict) or not hasattr(y, "dtype") and not isinstance(y, (list, tuple)):
        return
    if not hasattr(y, "dtype"):
        y = np.asarray(y)
    dtype = tf.string if getattr(y.dtype, "kind", "") in ("U", "S", "O") else tf.as_dtype(y.dtype)
    if dtype == tf.string:
        raise ValueError("labels `y` must be integer class ids; received string labels: map each class name to "
                         "its id first (tfkd.data.load returns ids and the names in `class_names`)")
    shape = tf.TensorShape(y.shape)
    if not (dtype.is_integer or dtype.is_floating or dtype.is_bool):
        raise ValueError(f"labels `y` must be integer class ids; received labels of dtype {dtype.name}")
    if shape.rank is not None and shape.rank >= 2 and (shape[-1] is None or shape[-1] > 1):
        raise ValueError(f"labels `y` must be integer class ids of shape [batch]; received labels of shape "
                         f"{shape.as_list()} (one-hot or probabilities?): pass y.argmax(-1), and soft targets as "
                         "teacher logits")


class _Untracked:
    """Holds a value Keras must not track: the teacher (its weights stay out of the
    Distiller's variables, checkpoints and saved files) and the term slots."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Slot:
    """One term of the loss with its weight (a variable, so schedules need no retrace)."""

    def __init__(self, term, weight, blended):
        self.term, self.blended, self.weight_value = term, blended, float(weight)
        self.weight = tf.Variable(self.weight_value, trainable=False, name="term_weight")
        self.temperature = (tf.Variable(term.temperature, trainable=False, name="temperature")
                            if isinstance(term, LogitsDistillation) else None)
        self.projection = None

    def set_weight(self, value):
        self.weight_value = float(value)
        self.weight.assign(self.weight_value)


class Distillation:
    """The mixin behind both Distillers; the Keras-version classes add the training step and saving.

    A subclass sets `_keras_module` (tf_keras or Keras 3): its Model, layers,
    metrics and losses build what the Distiller owns.
    """

    _keras_module = keras
    _stop_on_nan_class = None  # the Keras version's Callback subclass of StopOnNaNLoss

    def __init__(self, student, teacher=None, alpha=None, temperature=None, distillation_loss=None, features=None,
                 entropy_weight=None, distillation_losses=None, distillation_loss_weights=None,
                 student_loss_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.student = _checked_student(student, isinstance(student, self._keras_module.Model))
        self.student_loss_fn = losses.hard_cross_entropy
        self._alpha = tf.Variable(DEFAULT_ALPHA, trainable=False, name="alpha")
        self.alpha = _alpha_value(alpha, student_loss_weight)
        slots = _slots(distillation_losses, distillation_loss_weights, temperature, distillation_loss)
        slots += [_Slot(feature, feature.weight, blended=False) for feature in _checked_features(features)]
        if entropy_weight is not None:
            slots.append(_Slot(EntropyRegularization(entropy_weight), entropy_weight, blended=False))
        self._slots = _Untracked(slots)
        self._student_features = _Untracked(self._student_feature_model())
        self._teacher = _Untracked(None)
        self._teacher_model = _Untracked(None)
        self.teacher = teacher
        self.projections = [self._projection(slot) for slot in slots if isinstance(slot.term, FeatureDistillation)]
        names = ["loss", "student_loss", "distillation_loss"] + ["feature_loss"] * bool(self.features) + [
            "entropy"] * any(isinstance(slot.term, EntropyRegularization) for slot in slots)
        self.loss_trackers = {name: self._keras_module.metrics.Mean(name=name) for name in names}
        self.built = True  # the student is built; nothing to infer from a first batch

    # -- hyperparameters -------------------------------------------------------------------------------------

    @property
    def alpha(self):
        """float in [0, 1], weight of the student (label) loss: Keras 3's `student_loss_weight`."""
        return self._alpha_value

    @alpha.setter
    def alpha(self, value):
        self._alpha_value = losses.check_alpha(value)
        self._alpha.assign(self._alpha_value)

    @property
    def student_loss_weight(self):
        """Keras 3's name for `alpha`."""
        return self.alpha

    @student_loss_weight.setter
    def student_loss_weight(self, value):
        self.alpha = value

    @property
    def temperature(self):
        """The temperature of the (first) logits term; None without one. Setting it sets every logits term's."""
        slots = self._logits_slots()
        return slots[0].term.temperature if slots else None

    @temperature.setter
    def temperature(self, value):
        value = losses.check_temperature(value)
        slots = self._logits_slots()
        if not slots:
            raise ValueError(f"this Distiller has no LogitsDistillation term, so it has no temperature; "
                             f"received temperature={value!r}")
        for slot in slots:
            slot.term.temperature = value
            slot.temperature.assign(value)

    @property
    def entropy_weight(self):
        """float, weight of the `EntropyRegularization` term (0.0 when there is none)."""
        slots = self._slots_of(EntropyRegularization)
        return slots[0].weight_value if slots else 0.0

    @entropy_weight.setter
    def entropy_weight(self, value):
        value = losses.check_entropy_weight(value)
        slots = self._slots_of(EntropyRegularization)
        if not slots and value != 0.0:
            raise ValueError(f"this Distiller has no entropy term; received entropy_weight={value!r}. Construct "
                             "it with `entropy_weight=` or an EntropyRegularization term")
        for slot in slots:
            slot.term.weight = value
            slot.set_weight(value)

    @property
    def distillation_losses(self):
        """Every term of the loss (the blended ones first), e.g. `[LogitsDistillation(...)]`."""
        return [slot.term for slot in self._slots.value]

    @property
    def distillation_loss_weights(self):
        """The weight of each of `distillation_losses`, in the same order."""
        return [slot.weight_value for slot in self._slots.value]

    @property
    def features(self):
        """The `FeatureDistillation` terms (a list; empty when none)."""
        return [slot.term for slot in self._slots_of(FeatureDistillation)]

    @property
    def teacher(self):
        return self._teacher.value

    @teacher.setter
    def teacher(self, teacher):
        teacher = _checked_teacher(teacher)
        if isinstance(teacher, MultiTeacher):
            teacher.bind_temperature(self._logits_slots()[0].temperature if self._logits_slots() else None,
                                     self.temperature)
        elif teacher is not None and hasattr(teacher, "trainable"):
            teacher.trainable = False
        self._teacher.value = teacher
        self._teacher_model.value = _teacher_feature_model(teacher, self.features)

    def _logits_slots(self):
        return self._slots_of(LogitsDistillation)

    def _slots_of(self, term_class):
        return [slot for slot in self._slots.value if isinstance(slot.term, term_class)]

    # -- compile ---------------------------------------------------------------------------------------------

    def _compile_arguments(self, metrics, student_loss_fn, distillation_loss_fn, alpha, temperature, loss):
        """Applies the keras.io and Keras arguments of `compile`; what the Keras base class does not take."""
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(f"`metrics` must be a list, tuple or dict; received metrics={metrics!r}. The student "
                             "loss goes in `loss=` or `student_loss_fn=`")
        if loss is not None and student_loss_fn is not None:
            raise ValueError(f"give the student loss once: `loss` ({loss!r}) or `student_loss_fn` "
                             f"({student_loss_fn!r}), not both")
        student_loss_fn = student_loss_fn if loss is None else loss
        if alpha is not None:
            self.alpha = alpha
        if student_loss_fn is not None:
            self.student_loss_fn = self._keras_module.losses.get(student_loss_fn) if isinstance(
                student_loss_fn, str) else student_loss_fn
        if distillation_loss_fn is not None:
            self._replace_logits_loss(distillation_loss_fn, temperature)
        if temperature is not None:
            self.temperature = temperature

    def _replace_logits_loss(self, distillation_loss_fn, temperature):
        slots = self._logits_slots()
        if len(slots) != 1:
            raise ValueError(f"`distillation_loss_fn` replaces the loss of the one LogitsDistillation term; this "
                             f"Distiller has {len(slots)}. Give each loss inside its LogitsDistillation instead")
        if isinstance(distillation_loss_fn, losses.DistillationLoss):
            term = LogitsDistillation(temperature, distillation_loss_fn)
        else:
            term = LogitsDistillation(slots[0].term.temperature, distillation_loss_fn)
        slots[0].term = term
        slots[0].temperature.assign(term.temperature)

    def compile_from_config(self, config):
        """Compiles a reloaded Distiller as it was saved: optimizer (and its state), metrics.

        A custom `student_loss_fn` is not saved; the terms are, in `get_config`.
        """
        self.compile(**self._keras_module.saving.deserialize_keras_object(config))
        if getattr(self.optimizer, "build", None) is not None:  # so the saved optimizer state can load into it
            self.optimizer.build(self.trainable_variables)

    # -- the loss --------------------------------------------------------------------------------------------

    def compute_losses(self, y, teacher_outputs, student_outputs, sample_weight=None):
        """Every loss term and the total, averaged over the global batch.

        Args:
            y: labels (integer [batch] for the default student loss).
            teacher_outputs, student_outputs: logits [batch, classes], or
                dicts `{"logits": ..., layer_name: features}` when there are
                feature terms.
            sample_weight: [batch] or None.

        Returns:
            dict of scalars: "loss", "student_loss", "distillation_loss" and,
            with such terms, "feature_loss" and "entropy".

        `tf.nn.compute_average_loss` divides by the global batch size, so the
        summed gradients across replicas of a distribution strategy equal
        the single-device gradient.
        """
        teacher_logits = _logits(teacher_outputs, "teacher")
        student_logits = _logits(student_outputs, "student")
        _check_same_shape(teacher_logits, student_logits)
        if self.student_loss_fn is losses.hard_cross_entropy:
            y = _checked_labels(y, student_logits)
        values = {"student_loss": per_example(self.student_loss_fn, y, student_logits)}
        blended, extra, feature_loss = [], [], []
        for slot in self._slots.value:
            weighted = slot.weight * self._term_value(slot, teacher_outputs, student_outputs, teacher_logits,
                                                      student_logits)
            (blended if slot.blended else extra).append(weighted)
            if isinstance(slot.term, FeatureDistillation):
                feature_loss.append(weighted)
            elif isinstance(slot.term, EntropyRegularization):
                values["entropy"] = losses.entropy(student_logits)
        zeros = tf.zeros_like(values["student_loss"])
        values["distillation_loss"] = tf.add_n(blended) if blended else zeros
        total = losses.blend(values["student_loss"], values["distillation_loss"], self._alpha)
        values["loss"] = total + tf.add_n(extra) if extra else total
        if feature_loss:
            values["feature_loss"] = tf.add_n(feature_loss)
        return {name: _average(value, sample_weight) for name, value in values.items()}

    def _term_value(self, slot, teacher_outputs, student_outputs, teacher_logits, student_logits):
        term = slot.term
        if isinstance(term, LogitsDistillation):
            return term(teacher_logits, student_logits, slot.temperature)
        if isinstance(term, EntropyRegularization):
            return term(None, student_logits)
        if not isinstance(teacher_outputs, dict):
            raise ValueError("feature distillation needs the teacher's features: a teacher model with the named "
                             "layers, or cached outputs {'logits': ..., <teacher_layer>: features}; received only "
                             "teacher logits")
        if term.teacher_layer not in teacher_outputs:
            raise ValueError(f"teacher features {term.teacher_layer!r} are missing; the teacher gave "
                             f"{sorted(teacher_outputs)}")
        projected = slot.projection(pool_features(student_outputs[term.student_layer]))
        return term(teacher_outputs[term.teacher_layer], projected)

    # -- training ----------------------------------------------------------------------------------------------

    def fit(self, *args, callbacks=None, **kwargs):
        """Keras's `fit`, stopping with a message naming the loss that became NaN or infinite."""
        callbacks = list(callbacks or [])
        if isinstance(args[0] if args else kwargs.get("x"), tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset brings its own order; Keras 3 warns otherwise
        if not any(isinstance(callback, StopOnNaNLoss) for callback in callbacks):
            callbacks.append(self._stop_on_nan_class())
        _check_labels(args[0] if args else kwargs.get("x"), args[1] if len(args) > 1 else kwargs.get("y"))
        _check_labels(kwargs.get("validation_data"))
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def train_step(self, data):
        x, y, teacher_outputs, sample_weight = self._unpack(data)
        with tf.GradientTape() as tape:
            student_outputs = self._student_outputs(x, training=True)
            loss_values = self.compute_losses(y, teacher_outputs, student_outputs, sample_weight)
        # The student's variables and the feature projections; the teacher is not tracked.
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss_values["loss"], variables), variables))
        return self._update_metrics(loss_values, y, _logits(student_outputs, "student"), sample_weight)

    def test_step(self, data):
        x, y, teacher_outputs, sample_weight = self._unpack(data)
        student_outputs = self._student_outputs(x, training=False)
        loss_values = self.compute_losses(y, teacher_outputs, student_outputs, sample_weight)
        return self._update_metrics(loss_values, y, _logits(student_outputs, "student"), sample_weight)

    def _update_metrics(self, loss_values, y, student_logits, sample_weight):
        for name, value in loss_values.items():
            self.loss_trackers[name].update_state(value)
        return self._compiled_metric_results(y, student_logits, sample_weight)

    # -- data and outputs ------------------------------------------------------------------------------------

    def call(self, inputs, training=False):
        return self.student(_student_inputs(inputs), training=training)

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

    def _student_outputs(self, x, training):
        """Student logits, or {"logits": ..., layer: features} when there are feature terms."""
        if not self.features:
            return self(x, training=training)
        outputs = self._student_features.value(_student_inputs(x), training=training)
        return dict(zip(["logits"] + [feature.student_layer for feature in self.features], outputs))

    def _student_feature_model(self):
        """A model sharing the student's layers that returns [logits, *feature layer outputs]."""
        features = self.features
        if not features:
            return None
        student = self.student
        if not getattr(student, "inputs", None) or not getattr(student, "outputs", None) or not (
                getattr(student, "_is_graph_network", True)):
            raise ValueError(f"feature distillation needs a functional student to read layer outputs from; "
                             f"{student.name!r} is a {type(student).__name__}. Build it with tfkd.students or the "
                             "Keras functional API.")
        outputs = [student.outputs[0]] + [_layer(student, feature.student_layer, "student").output
                                          for feature in features]
        return self._keras_module.Model(student.inputs, outputs, name=f"{student.name}_features")

    def _projection(self, slot):
        feature = slot.term
        if feature.teacher_dim is None:
            raise ValueError(f"FeatureDistillation({feature.student_layer!r}) needs `teacher_dim` when the teacher's "
                             f"layer {feature.teacher_layer!r} cannot be read (cached features or a plain callable)")
        student_layer = _layer(self.student, feature.student_layer, "student")
        slot.projection = feature.projection(feature.teacher_dim, layers=self._keras_module.layers)
        slot.projection.build((None, int(student_layer.output.shape[-1])))
        return slot.projection

    # -- config ----------------------------------------------------------------------------------------------

    def _term_configs(self):
        blended = [slot for slot in self._slots.value if slot.blended]
        extra = [slot for slot in self._slots.value if not slot.blended]
        entropy = [slot for slot in extra if isinstance(slot.term, EntropyRegularization)]
        return {
            "alpha": self.alpha,
            "distillation_losses": [{"class_name": type(slot.term).__name__, "config": slot.term.get_config()}
                                    for slot in blended],
            "distillation_loss_weights": [slot.weight_value for slot in blended],
            "features": [slot.term.get_config() for slot in extra if isinstance(slot.term, FeatureDistillation)],
            "entropy_weight": entropy[0].weight_value if entropy else None,
        }

    @staticmethod
    def _terms_from_config(config):
        config = copy.deepcopy(config)  # Keras 3's deserializer empties the nested dicts it reads
        classes = {cls.__name__: cls for cls in TERMS}
        config["distillation_losses"] = [classes[term["class_name"]].from_config(term["config"])
                                         for term in config.get("distillation_losses", [])] or None
        config["features"] = [FeatureDistillation.from_config(feature) for feature in config.pop("features", [])]
        return config


class StopOnNaNLoss:
    """Stops training when a loss is NaN or infinite, naming which one (mixed into a Keras Callback)."""

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


def _alpha_value(alpha, student_loss_weight):
    if alpha is not None and student_loss_weight is not None and losses.check_alpha(alpha) != float(
            student_loss_weight):
        raise ValueError(f"`alpha` and `student_loss_weight` are the same weight; received alpha={alpha!r} and "
                         f"student_loss_weight={student_loss_weight!r}")
    if student_loss_weight is not None:
        try:
            return losses.check_alpha(student_loss_weight)
        except ValueError:
            raise ValueError(f"`student_loss_weight` must be in [0, 1]; received "
                             f"student_loss_weight={student_loss_weight!r}") from None
    return DEFAULT_ALPHA if alpha is None else alpha


def _slots(distillation_losses, weights, temperature, distillation_loss):
    """The blended slots: the given terms, or the shorthand's one LogitsDistillation."""
    if distillation_losses is None:
        if weights is not None:
            raise ValueError(f"`distillation_loss_weights` needs `distillation_losses`; received "
                             f"distillation_loss_weights={weights!r} alone")
        if distillation_loss is not None and not isinstance(distillation_loss, str):
            raise ValueError(f"`distillation_loss` must be one of {list(losses.DISTILLATION_LOSSES)}; received "
                             f"{distillation_loss!r}")
        name = distillation_loss or "kl"
        losses.distillation_function(name)  # names the value when it is not "kl" or "mse"
        return [_Slot(LogitsDistillation(DEFAULT_TEMPERATURE if temperature is None else temperature, name), 1.0,
                      blended=True)]
    for name, value in (("temperature", temperature), ("distillation_loss", distillation_loss)):
        if value is not None:
            raise ValueError(f"`{name}` is a shorthand for one LogitsDistillation term; with "
                             f"`distillation_losses` give it inside the term. Received {name}={value!r}")
    terms = list(distillation_losses) if isinstance(distillation_losses, (list, tuple)) else [distillation_losses]
    if not terms:
        raise ValueError("`distillation_losses` is empty; give at least one term, e.g. [tfkd.LogitsDistillation()]")
    for term in terms:
        if not isinstance(term, TERMS):
            raise ValueError(f"`distillation_losses` must hold {[cls.__name__ for cls in TERMS]} objects; "
                             f"received {term!r} ({type(term).__name__})")
    if weights is None:
        weights = [getattr(term, "weight", 1.0) for term in terms]
    elif not isinstance(weights, (list, tuple)) or len(weights) != len(terms):
        raise ValueError(f"`distillation_loss_weights` must give one weight per term ({len(terms)}); received "
                         f"distillation_loss_weights={weights!r}")
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise ValueError(f"`distillation_loss_weights` must be finite numbers; received {weights!r}")
    return [_Slot(term, weight, blended=True) for term, weight in zip(terms, weights)]


def _checked_student(student, own_keras):
    if not own_keras:
        kind = "Keras 3" if is_keras3(student) else ("tf_keras" if isinstance(student, keras.Model) else None)
        if kind is None:
            raise ValueError(f"`student` must be a Keras model (tf_keras or Keras 3) returning logits; received "
                             f"{type(student).__name__} {_short(student)}")
        raise ValueError(f"this Distiller trains {'tf_keras' if kind == 'Keras 3' else 'Keras 3'} students; "
                         f"received a {kind} model: use tfkd.Distiller, which picks the right one")
    try:
        outputs = student.outputs or []
    except (AttributeError, ValueError):  # a subclassed model has no symbolic outputs
        outputs = []
    if len(outputs) > 1:
        raise ValueError(f"the student {student.name!r} has {len(outputs)} outputs "
                         f"{[getattr(o, 'name', '?') for o in outputs]}; a Distiller needs one logits output "
                         "[batch, classes]")
    return student


def _checked_teacher(teacher):
    if teacher is None or callable(teacher):
        return teacher
    raise ValueError(f"`teacher` must be a Keras model (tf_keras or Keras 3), a callable returning logits, or None "
                     f"(cached logits in the data); received {type(teacher).__name__} {_short(teacher)}")


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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


def _logits(outputs, role):
    """The logits of a model's outputs, or a ValueError naming the structure received."""
    if isinstance(outputs, dict):
        if "logits" in outputs:
            return outputs["logits"]
        raise ValueError(f"the {role} gave a dict with keys {sorted(outputs)}; a Distiller needs logits "
                         "[batch, classes], or a dict with a 'logits' key")
    if isinstance(outputs, (list, tuple)):
        raise ValueError(f"the {role} gave a {type(outputs).__name__} of {len(outputs)} outputs; a Distiller "
                         "needs one logits tensor [batch, classes]")
    return outputs


def _checked_features(features):
    features = list(features or [])
    for feature in features:
        if not isinstance(feature, FeatureDistillation):
            raise TypeError(f"`features` must hold FeatureDistillation objects; received {feature!r}")
    return features


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


def _average(per_example_loss, sample_weight):
    per_example_loss = tf.reshape(per_example_loss, [-1])
    if sample_weight is not None:
        sample_weight = tf.cast(tf.reshape(sample_weight, [-1]), per_example_loss.dtype)
    return tf.nn.compute_average_loss(per_example_loss, sample_weight=sample_weight)
