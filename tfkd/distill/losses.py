"""Pure distillation loss functions and the loss objects built on them.

Every function returns a per-example loss of shape [batch]; reduction
(mean, or `tf.nn.compute_average_loss` under a distribution strategy) is
the caller's. Softmax is always over the last axis.
"""

from tfkd._keras import keras, register, tf

DISTILLATION_LOSSES = ("kl", "mse")


def check_alpha(alpha):
    """Returns `alpha` as float or raises if it is not in [0, 1]."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]; received alpha={alpha!r}")
    return float(alpha)


def check_temperature(temperature):
    """Returns `temperature` as float or raises if it is not > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not float(temperature) > 0.0:
        raise ValueError(f"`temperature` must be > 0; received temperature={temperature!r}")
    return float(temperature)


def soft_targets(teacher_logits, temperature=1.0):
    """softmax(teacher_logits / temperature) over the last axis."""
    return tf.nn.softmax(tf.cast(teacher_logits, tf.float32) / temperature, axis=-1)


def kl_divergence(teacher_logits, student_logits, temperature=1.0):
    """KL(softmax(t/T) || softmax(s/T)) * T^2 per example (Hinton et al. 2015).

    The gradient of the softened loss shrinks as 1/T^2; multiplying by T^2
    keeps the soft loss's gradients on the same scale as the hard loss, so
    `alpha` means the same thing at any temperature.
    """
    teacher_log_probs = tf.nn.log_softmax(tf.cast(teacher_logits, tf.float32) / temperature, axis=-1)
    student_log_probs = tf.nn.log_softmax(tf.cast(student_logits, tf.float32) / temperature, axis=-1)
    per_example = tf.reduce_sum(tf.exp(teacher_log_probs) * (teacher_log_probs - student_log_probs), axis=-1)
    return per_example * temperature**2


def logits_mse(teacher_logits, student_logits, temperature=1.0):
    """Mean squared error between logits per example (Ba & Caruana 2014; Tang et al. 2019).

    `temperature` is accepted for a common signature and ignored: matching
    logits directly is the T -> infinity limit of the KL loss.
    """
    del temperature
    return feature_mse(teacher_logits, student_logits)


def feature_mse(teacher_features, student_features):
    """Mean squared error between feature vectors per example (last axis)."""
    difference = tf.cast(student_features, tf.float32) - tf.cast(teacher_features, tf.float32)
    return tf.reduce_mean(tf.square(difference), axis=-1)


def cosine_distance(teacher_features, student_features):
    """1 - cosine similarity of feature vectors per example (last axis)."""
    teacher = tf.math.l2_normalize(tf.cast(teacher_features, tf.float32), axis=-1)
    student = tf.math.l2_normalize(tf.cast(student_features, tf.float32), axis=-1)
    return 1.0 - tf.reduce_sum(teacher * student, axis=-1)


def entropy(logits):
    """Entropy of softmax(logits) per example, in nats."""
    log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
    return -tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)


def hard_cross_entropy(labels, student_logits):
    """Sparse categorical cross-entropy of integer labels against logits, per example."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32), logits=tf.cast(student_logits, tf.float32))


def blend(hard_loss, soft_loss, alpha):
    """alpha * hard + (1 - alpha) * soft: alpha=1 ignores the teacher, alpha=0 the labels."""
    return alpha * hard_loss + (1.0 - alpha) * soft_loss


def check_entropy_weight(entropy_weight):
    """Returns `entropy_weight` as float or raises if it is not a finite number."""
    if (isinstance(entropy_weight, bool) or not isinstance(entropy_weight, (int, float))
            or not abs(float(entropy_weight)) < float("inf")):
        raise ValueError(f"`entropy_weight` must be a finite number; received entropy_weight={entropy_weight!r}")
    return float(entropy_weight)


_FUNCTIONS = {"kl": kl_divergence, "mse": logits_mse}


def distillation_function(name):
    """The per-example function for a distillation loss name ("kl" or "mse")."""
    if name not in _FUNCTIONS:
        raise ValueError(f"`distillation_loss` must be one of {list(DISTILLATION_LOSSES)}; received {name!r}")
    return _FUNCTIONS[name]


@register
class DistillationLoss(keras.losses.Loss):
    """Soft-target loss as a Keras loss: `y_true` is the teacher's logits.

    Args:
        kind: str, `"kl"` (default; KL at `temperature`, times T^2) or `"mse"` on logits.
        temperature: float > 0, default 3.0.

    Example:
        >>> loss = DistillationLoss(temperature=2.0)
        >>> float(loss(np.random.randn(4, 3), np.random.randn(4, 3))) >= 0
        True
    """

    def __init__(self, kind="kl", temperature=3.0, name="distillation_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.function = distillation_function(kind)
        self.kind = kind
        self.temperature = check_temperature(temperature)

    def call(self, y_true, y_pred):
        return self.function(y_true, y_pred, self.temperature)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "temperature": self.temperature}
