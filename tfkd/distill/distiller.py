"""`Distiller`: a Keras model that trains a student on labels and a teacher's logits."""

import json

from tfkd._keras import is_keras3, keras, register, tf
from tfkd.distill.distillation import Distillation, StopOnNaNLoss


class _StopOnNaN(StopOnNaNLoss, keras.callbacks.Callback):
    pass


@register
class Distiller(Distillation, keras.Model):
    """Knowledge distillation (Hinton et al. 2015) as a `tf_keras.Model`; Keras 3 students too.

    `train_step` minimises, per example and averaged over the batch,

        alpha * student_loss + (1 - alpha) * sum_i w_i * term_i

    where `student_loss` is the cross-entropy of the student's logits with
    the labels and the terms are `distillation_losses` with weights
    `distillation_loss_weights` (Keras 3's `keras.distillation` formula, with
    `alpha` as its `student_loss_weight`). `call` returns the student's
    logits, so `predict` and `evaluate` behave as for the student.

    Terms: `LogitsDistillation(temperature, loss)` (soft targets; `"kl"`
    times T^2 by default, or any Keras loss), `FeatureDistillation` (a
    student layer against a teacher layer through a learned projection) and
    `EntropyRegularization`. Without `distillation_losses`, the shorthand
    `distillation_loss` and `temperature` build one `LogitsDistillation`;
    `features=[...]` and `entropy_weight=` add their terms outside the blend
    (`+ weight * term`), as in earlier tfkd.

    The teacher is frozen and runs outside the gradient tape. It may be a
    tf_keras model, a Keras 3 / keras-hub model, a `MultiTeacher` or any
    callable returning logits; or None, when the data carries cached
    teacher logits as a third element: `(x, y, teacher_logits)`. When
    teacher and student take different inputs, `x` is a dict
    `{"student": ..., "teacher": ...}`.

    Given a Keras 3 (`keras.Model`) student, `Distiller(...)` returns a
    `tfkd.distill.Keras3Distiller`: the same arguments, terms and data, as a
    Keras 3 model.

    Both the constructor style and the keras.io `compile` style work:
    `Distiller(student, teacher, alpha=0.1, temperature=3)` or
    `Distiller(student, teacher).compile(optimizer, metrics,
    student_loss_fn=..., distillation_loss_fn=..., alpha=..., temperature=...)`;
    Keras's `compile(loss=...)` sets the student loss.

    Args:
        student: Keras model (tf_keras or Keras 3) returning logits [batch, classes].
        teacher: model, callable or None (default; cached logits in the data).
        alpha: float in [0, 1] or None (default: 0.1), weight of the student (label) loss.
        temperature: float > 0 or None (default: 3.0), the shorthand logits term's temperature.
        distillation_loss: `"kl"`, `"mse"` or None (default: `"kl"`), the shorthand logits term's loss.
        features: list of `FeatureDistillation` or None (default), each added
            as `+ weight * feature_loss` outside the blend.
        entropy_weight: float or None (default: no entropy term); adds
            `EntropyRegularization(entropy_weight)` outside the blend.
            Reported as the metric `entropy`.
        distillation_losses: a term or list of terms, or None (default: the
            shorthand's one `LogitsDistillation`). Features-only is allowed.
        distillation_loss_weights: list of float, one per term, or None
            (default: each term's own `weight`, else 1.0).
        student_loss_weight: float in [0, 1] or None: Keras 3's name for `alpha`.

    `alpha`, each term's weight and each logits term's temperature live in
    non-trainable variables, so callbacks such as `DistillationSchedule` can
    change them between epochs without retracing the training step.

    Raises:
        ValueError: a student that is not a Keras model or has several
            outputs, a teacher that is not callable, alpha outside [0, 1],
            temperature <= 0, an unknown loss, a term that is none of the
            three classes, weights that do not match the terms, a shorthand
            given beside `distillation_losses`, teacher and student logits of
            different shapes or structures, or a feature layer that cannot
            be found.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> distiller = tfkd.Distiller(student, teacher=None, alpha=0.5,
        ...                            distillation_losses=[tfkd.LogitsDistillation(temperature=2.0)])
        >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
        >>> x = np.random.randint(0, 50, (32, 16)); y = np.random.randint(0, 2, 32)
        >>> data = tf.data.Dataset.from_tensor_slices((x, y, np.random.randn(32, 2))).batch(8)
        >>> history = distiller.fit(data, epochs=1, verbose=0)
    """

    _stop_on_nan_class = _StopOnNaN

    def __new__(cls, *args, **kwargs):
        student = kwargs.get("student", args[0] if args else None)
        if cls is Distiller and is_keras3(student):
            from tfkd.distill.keras3_distiller import Keras3Distiller
            return Keras3Distiller(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def compile(self, optimizer="adam", metrics=None, student_loss_fn=None, distillation_loss_fn=None,
                alpha=None, temperature=None, loss=None, **kwargs):
        """Configures training; the keras.io example's and Keras's own arguments are accepted.

        Args:
            optimizer: optimizer or its name. Default "adam".
            metrics: list of metrics of the student's predictions against the labels.
            student_loss_fn: None (default: sparse cross-entropy from logits), a
                Keras loss, a Keras loss name or a callable `(labels, student_logits) -> loss`.
            distillation_loss_fn: None (keep the logits term's loss), or a new loss
                for it: `"kl"`, `"mse"`, a `DistillationLoss` (these receive
                logits) or any Keras loss or function (these receive softened
                probabilities, and the Distiller multiplies by T^2, as in the
                keras.io example). See `tfkd.distill.logits_distillation`.
            alpha: float in [0, 1] or None (keep the constructor's).
            temperature: float > 0 or None (keep the logits term's).
            loss: the student loss in Keras's own spelling: the same as
                `student_loss_fn` (give one of them).

        Raises:
            ValueError: `loss` and `student_loss_fn` both given, `metrics` not a
                list, a bad alpha or temperature, a `DistillationLoss` whose
                temperature differs from `temperature`, or a
                `distillation_loss_fn` on a Distiller with other than one logits term.
        """
        # The third element of cached-logits batches reaches `evaluate` where Keras expects
        # sample weights; an explicit (empty) weighted_metrics silences its warning.
        kwargs.setdefault("weighted_metrics", [])
        self._compile_arguments(metrics, student_loss_fn, distillation_loss_fn, alpha, temperature, loss)
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)

    @property
    def metrics(self):
        compiled = self.compiled_metrics.metrics if self.compiled_metrics is not None else []
        return list(self.loss_trackers.values()) + compiled

    def _compiled_metric_results(self, y, student_logits, sample_weight):
        self.compiled_metrics.update_state(y, student_logits, sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}

    def save(self, filepath, *args, **kwargs):
        """`keras.Model.save`; an `.h5` file holds the Distiller's config and weights too (Keras refuses
        HDF5 for subclassed models), so `keras.models.load_model` gives a `Distiller` back."""
        if str(filepath).endswith((".h5", ".hdf5")) and kwargs.get("save_format") in (None, "h5"):
            return self._save_hdf5(str(filepath), kwargs.get("overwrite", True), kwargs.get("include_optimizer", True))
        if self._get_save_spec() is None and getattr(self.student, "inputs", None):
            # With feature terms training calls the student's feature model, never `self`, so the
            # SavedModel writer has no input signature yet: one forward pass on zeros gives it.
            self(tf.nest.map_structure(lambda tensor: tf.zeros([1] + list(tensor.shape[1:]), tensor.dtype),
                                       self.student.input))
        return super().save(filepath, *args, **kwargs)

    def _save_hdf5(self, filepath, overwrite, include_optimizer):
        import h5py
        from tf_keras.src.saving.legacy import hdf5_format

        hdf5_format.save_model_to_hdf5(self, filepath, overwrite, include_optimizer)
        with h5py.File(filepath, "r+") as file:
            # The loader finds the class by this name: the registered one, not the bare class name.
            file.attrs["model_config"] = json.dumps({"class_name": "tfkd>Distiller", "config": self.get_config()})

    def get_config(self):
        config = keras.layers.Layer.get_config(self)  # name, trainable, dtype
        return {**config, "student": keras.saving.serialize_keras_object(self.student), **self._term_configs()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the Distiller without a teacher (it is never serialized); set `.teacher` after."""
        config = cls._terms_from_config(config)
        # `layers.deserialize` knows Functional and Sequential in the legacy (SavedModel, HDF5) loaders too.
        student = keras.layers.deserialize(config.pop("student"), custom_objects=custom_objects)
        return cls(student=student, teacher=None, **config)
