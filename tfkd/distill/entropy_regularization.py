"""`EntropyRegularization`: a term on the entropy of the student's own predictions."""

from tfkd._keras import register
from tfkd.distill import losses


@register
class EntropyRegularization:
    """Adds `-weight * H(softmax(student_logits))` to a `Distiller`'s loss.

    A positive weight penalises over-confident students (confidence
    penalty, Pereyra et al. 2017); a negative one rewards confident
    predictions (entropy minimisation, Grandvalet & Bengio 2005, for
    unlabeled transfer sets). It reads no teacher output. The Distiller
    reports the entropy itself as the metric `entropy`. The shorthand
    `Distiller(entropy_weight=w)` builds `EntropyRegularization(w)`.

    Args:
        weight: float, finite. Default 0.1.

    Raises:
        ValueError: a weight that is not a finite number.

    Example:
        >>> term = EntropyRegularization(0.1)
        >>> term(None, np.zeros((2, 3))).numpy()  # -H of uniform predictions: -log(3)
        array([-1.0986123, -1.0986123], dtype=float32)
    """

    def __init__(self, weight=0.1):
        self.weight = losses.check_entropy_weight(weight)

    def __call__(self, teacher_logits, student_logits):
        """Per-example `-H(softmax(student_logits))` [batch]; the teacher's logits are not used."""
        del teacher_logits
        return -losses.entropy(student_logits)

    def get_config(self):
        return {"weight": self.weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
