"""`Keras3Distiller`: the `Distiller` for Keras 3 (`keras.Model`) students, on the TensorFlow backend.

`tfkd.Distiller(keras3_student, ...)` returns one; it takes the same
arguments, terms, teachers (tf_keras, Keras 3, callables, cached logits)
and data as the tf_keras `Distiller`, and shares its loss arithmetic.
"""

from tfkd._keras import keras as tf_keras, keras3
from tfkd.distill.distillation import Distillation, StopOnNaNLoss

keras = keras3()
if keras.backend.backend() != "tensorflow":
    raise ImportError(f"tfkd distills Keras 3 students on the TensorFlow backend; KERAS_BACKEND is "
                      f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before importing keras")


class _StopOnNaN(StopOnNaNLoss, keras.callbacks.Callback):
    pass


@keras.saving.register_keras_serializable(package="tfkd")
class Keras3Distiller(Distillation, keras.Model):
    """Knowledge distillation of a Keras 3 student (see `tfkd.Distiller` for every argument).

    Compression with TF-MOT (`tfkd.prune`, `tfkd.quantize_aware`) needs a
    tf_keras student; a Keras 3 student is deployed with post-training
    quantization: `tfkd.convert(distiller.student, "int8", representative_data=...)`.

    Example:
        >>> import keras
        >>> inputs = keras.Input((16,), dtype="int32")
        >>> hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 8)(inputs))
        >>> student = keras.Model(inputs, keras.layers.Dense(2)(hidden))
        >>> distiller = tfkd.Distiller(student, teacher=None)  # a Keras3Distiller
        >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
        >>> x = np.random.randint(0, 50, (32, 16)); y = np.random.randint(0, 2, 32)
        >>> history = distiller.fit(tfkd.logits_dataset(x, y, np.random.randn(32, 2)), epochs=1, verbose=0)
    """

    _keras_module = keras
    _stop_on_nan_class = _StopOnNaN

    def compile(self, optimizer="adam", metrics=None, student_loss_fn=None, distillation_loss_fn=None,
                alpha=None, temperature=None, loss=None, **kwargs):
        """As `tfkd.Distiller.compile`; XLA is off, since a tf_keras teacher may run inside the step."""
        kwargs.setdefault("jit_compile", False)
        if isinstance(optimizer, tf_keras.optimizers.Optimizer):
            raise ValueError(f"a Keras 3 student trains with a Keras 3 optimizer (keras.optimizers."
                             f"{type(optimizer).__name__}); received the tf_keras optimizer {optimizer!r}")
        self._compile_arguments(metrics, student_loss_fn, distillation_loss_fn, alpha, temperature, loss)
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)

    @property
    def metrics(self):
        compiled = [self._compile_metrics] if getattr(self, "_compile_metrics", None) is not None else []
        return list(self.loss_trackers.values()) + compiled

    def _symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3 builds compiled metrics from a symbolic batch read as (x, y, sample_weight);
        # cached teacher logits in the third place would be taken for sample weights.
        if self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)

    def _compiled_metric_results(self, y, student_logits, sample_weight):
        if getattr(self, "_compile_metrics", None) is not None:
            self._compile_metrics.update_state(y, student_logits, sample_weight)
        return self.get_metrics_result()  # flattens the compiled metrics' dict of results

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        return {**config, "student": keras.saving.serialize_keras_object(self.student), **self._term_configs()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the Distiller without a teacher (it is never serialized); set `.teacher` after."""
        config = cls._terms_from_config(config)
        student = keras.saving.deserialize_keras_object(config.pop("student"), custom_objects=custom_objects)
        return cls(student=student, teacher=None, **config)
