"""`MultiTeacher`: several teachers (an ensemble, or one per modality) as one."""

from tfkd._keras import tf
from tfkd.distill import losses

WEIGHTINGS = ("fixed", "confidence", "entropy")


class MultiTeacher:
    """Combines teachers' soft targets into logits a `Distiller` can use.

    At temperature T the combined soft target is the weighted mixture
    p = sum_i w_i softmax(t_i / T); returning z = T * log(p) makes
    softmax(z / T) equal that mixture exactly, so the Distiller's KL at T
    distills the mixture.

    Args:
        teachers: list of callables returning logits [batch, classes].
        weights: list of float or None; fixed weights (normalised to sum 1).
            Default: equal.
        weighting: str, "fixed" (default), "confidence" (per example, each
            teacher weighted by its top probability) or "entropy" (per
            example, by exp(-entropy) of its prediction).
        temperature: float > 0 or None (default): the temperature of the
            mixture. A `Distiller` given this teacher sets it from its
            logits term (and refuses a different explicit value); alone,
            None means 1.0.
        input_keys: list of str or None; teacher i reads `x[input_keys[i]]`
            (one teacher per modality). Default: every teacher reads `x`.

    Example:
        >>> ensemble = MultiTeacher([teacher_a, teacher_b], weighting="entropy", temperature=2.0)
        >>> distiller = tfkd.Distiller(student, ensemble, temperature=2.0)  # the ensemble mixes at T=2 too
    """

    def __init__(self, teachers, weights=None, weighting="fixed", temperature=None, input_keys=None):
        self.teachers = list(teachers)
        if not self.teachers:
            raise ValueError("`teachers` is empty; give at least one teacher")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {list(WEIGHTINGS)}; received weighting={weighting!r}")
        weights = [1.0] * len(self.teachers) if weights is None else [float(w) for w in weights]
        if len(weights) != len(self.teachers) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"`weights` must be {len(self.teachers)} non-negative numbers with a positive sum; "
                             f"received weights={weights}")
        if input_keys is not None and len(input_keys) != len(self.teachers):
            raise ValueError(f"`input_keys` must name one input per teacher ({len(self.teachers)}); "
                             f"received input_keys={input_keys}")
        self.weights = [w / sum(weights) for w in weights]
        self.weighting = weighting
        self.temperature = None if temperature is None else losses.check_temperature(temperature)
        self._explicit_temperature, self._temperature_variable = self.temperature, None
        self.input_keys = input_keys
        self.trainable = False

    def bind_temperature(self, variable, temperature):
        """Mixes at a Distiller's logits temperature from now on (`variable` follows its schedule).

        Raises:
            ValueError: the Distiller has no logits term, or this teacher was
                given another temperature explicitly.
        """
        if variable is None:
            raise ValueError("a MultiTeacher mixes soft targets at the temperature of a LogitsDistillation term; "
                             "this Distiller has none")
        if self._explicit_temperature is not None and self._explicit_temperature != temperature:
            raise ValueError(f"the MultiTeacher's temperature ({self.temperature}) differs from the Distiller's "
                             f"logits term ({temperature}); leave MultiTeacher(temperature=None) to take it")
        self.temperature, self._temperature_variable = temperature, variable

    def __call__(self, inputs, training=False):
        temperature = self._temperature_variable if self._temperature_variable is not None else (
            self.temperature or 1.0)
        probabilities = []
        for index, teacher in enumerate(self.teachers):
            teacher_inputs = inputs[self.input_keys[index]] if self.input_keys else inputs
            logits = tf.stop_gradient(tf.cast(teacher(teacher_inputs, training=False), tf.float32))
            probabilities.append(losses.soft_targets(logits, temperature))
        stacked = tf.stack(probabilities, axis=0)  # [teachers, batch, classes]
        weights = self._example_weights(stacked)  # [teachers, batch, 1]
        mixture = tf.reduce_sum(weights * stacked, axis=0)
        return temperature * tf.math.log(mixture + 1e-12)

    def _example_weights(self, stacked):
        fixed = tf.reshape(tf.constant(self.weights, tf.float32), [-1, 1, 1])
        if self.weighting == "fixed":
            return fixed
        if self.weighting == "confidence":
            scores = tf.reduce_max(stacked, axis=-1, keepdims=True)
        else:
            entropy = -tf.reduce_sum(stacked * tf.math.log(stacked + 1e-12), axis=-1, keepdims=True)
            scores = tf.exp(-entropy)
        scores = fixed * scores
        return scores / tf.reduce_sum(scores, axis=0, keepdims=True)
