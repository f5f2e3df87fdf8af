"""`FeatureDistillation`: match a student layer to a teacher layer through a learned projection."""

from tfkd._keras import keras, register, tf
from tfkd.distill import losses

FEATURE_LOSSES = ("mse", "cosine")


@register
class FeatureDistillation:
    """One feature-matching term of a `Distiller`'s loss (FitNets, Romero et al. 2015).

    The student layer's output is mean-pooled over any axes between batch
    and features ([batch, steps, dim] -> [batch, dim]), projected by a
    learned Dense layer to the teacher's width, and compared with the
    teacher's features (pooled the same way) by MSE or cosine distance.
    The projection trains with the student but is not part of it: the saved
    student carries no extra weights. This is the equivalent of Keras 3's
    `keras.distillation.FeatureDistillation`, with the projection that lets
    layers of different widths be matched.

    Args:
        student_layer: str, name of a layer of the (functional) student.
        teacher_layer: str or None. The teacher's layer of that name, or the
            key of the teacher's features: a teacher (or cached data) may give
            a dict `{"logits": ..., teacher_layer: features}`. Default: the
            same name as `student_layer`.
        loss: str, `"mse"` (default) or `"cosine"`.
        weight: float >= 0, weight of this term in the total loss (the default of
            its entry in `distillation_loss_weights`). Default 1.0.
        teacher_dim: int or None, the teacher features' width; needed only
            when the teacher is not a model whose layer shapes can be read
            (cached features, a plain callable).

    Example:
        >>> features = FeatureDistillation("features", teacher_layer="pooled", loss="cosine", teacher_dim=384)
        >>> distiller = tfkd.Distiller(student, teacher=None, distillation_losses=[tfkd.LogitsDistillation(), features])
    """

    def __init__(self, student_layer, teacher_layer=None, loss="mse", weight=1.0, teacher_dim=None):
        if not isinstance(student_layer, str) or not student_layer:
            raise ValueError(f"`student_layer` must be a layer name; received student_layer={student_layer!r}")
        if loss not in FEATURE_LOSSES:
            raise ValueError(f"`loss` must be one of {list(FEATURE_LOSSES)}; received loss={loss!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f"`weight` must be a number >= 0; received weight={weight!r}")
        if teacher_dim is not None and (isinstance(teacher_dim, bool) or not isinstance(teacher_dim, int)
                                        or teacher_dim < 1):
            raise ValueError(f"`teacher_dim` must be a positive int or None; received teacher_dim={teacher_dim!r}")
        self.student_layer = student_layer
        self.teacher_layer = teacher_layer or student_layer
        self.loss = loss
        self.weight = float(weight)
        self.teacher_dim = teacher_dim

    def projection(self, teacher_dim, layers=None):
        """The learned Dense projection from the student's width to `teacher_dim`.

        `layers` is the Keras layers module to build it with (default
        tf_keras; a Keras 3 student's Distiller passes Keras 3's).
        """
        layers = keras.layers if layers is None else layers
        return layers.Dense(teacher_dim, use_bias=True, name=f"projection_{self.student_layer}")

    def __call__(self, teacher_features, projected_student_features):
        """Per-example loss [batch] between pooled teacher features and projected student features."""
        teacher_features = pool_features(teacher_features)
        teacher_width, student_width = teacher_features.shape[-1], projected_student_features.shape[-1]
        if teacher_width is not None and student_width is not None and teacher_width != student_width:
            raise ValueError(f"FeatureDistillation({self.student_layer!r}): the teacher's features "
                             f"{self.teacher_layer!r} have width {teacher_width} but the projection gives "
                             f"{student_width}; set teacher_dim={teacher_width}")
        if self.loss == "cosine":
            return losses.cosine_distance(teacher_features, projected_student_features)
        return losses.feature_mse(teacher_features, projected_student_features)

    def get_config(self):
        return {"student_layer": self.student_layer, "teacher_layer": self.teacher_layer, "loss": self.loss,
                "weight": self.weight, "teacher_dim": self.teacher_dim}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def pool_features(features):
    """[batch, ..., dim] -> [batch, dim], the mean over every axis in between."""
    features = tf.cast(features, tf.float32)
    rank = features.shape.rank
    return tf.reduce_mean(features, axis=list(range(1, rank - 1))) if rank and rank > 2 else features
