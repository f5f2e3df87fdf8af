"""One meaning for every spelling of the soft loss, and the keras.io example's numbers through tfkd.Distiller."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3, tf

TEMPERATURES = (1.0, 3.0, 10.0)
RNG = np.random.default_rng(0)
STUDENT_LOGITS = RNG.normal(scale=2.0, size=(64, 3)).astype("float32")
TEACHER_LOGITS = RNG.normal(scale=3.0, size=(64, 3)).astype("float32")
LABELS = RNG.integers(0, 3, 64).astype("int32")


def reference_kl(teacher_logits, student_logits, temperature):
    """KL(softmax(t/T) || softmax(s/T)) * T^2, mean over the batch, in float64 (Hinton et al. 2015)."""
    def log_softmax(logits):
        z = logits.astype("float64") / temperature
        z = z - z.max(-1, keepdims=True)
        return z - np.log(np.exp(z).sum(-1, keepdims=True))
    teacher, student = log_softmax(teacher_logits), log_softmax(student_logits)
    return float(np.mean(np.sum(np.exp(teacher) * (teacher - student), -1)) * temperature**2)


def plain_kl(teacher_probabilities, student_probabilities):
    """A user's own function on softened probabilities (the keras.io convention)."""
    return tf.reduce_sum(teacher_probabilities * tf.math.log(teacher_probabilities / student_probabilities), -1)


def identity_student(version):
    """A student whose logits are its input, so the data fixes the student's logits exactly."""
    module = keras3() if version == 3 else keras
    inputs = module.Input((3,), name="logits_in")
    return module.Model(inputs, module.layers.Activation("linear")(inputs))


# Each spelling: (constructor arguments, compile arguments) at temperature T.
SPELLINGS = {
    "default kl": lambda t: ({"temperature": t}, {}),
    "compile 'kl'": lambda t: ({}, {"distillation_loss_fn": "kl", "temperature": t}),
    "DistillationLoss": lambda t: ({}, {"distillation_loss_fn": tfkd.DistillationLoss("kl", t)}),
    "tf_keras KLDivergence": lambda t: ({}, {"distillation_loss_fn": keras.losses.KLDivergence(), "temperature": t}),
    "Keras 3 KLDivergence": lambda t: ({}, {"distillation_loss_fn": keras3().losses.KLDivergence(),
                                            "temperature": t}),
    "plain function": lambda t: ({}, {"distillation_loss_fn": plain_kl, "temperature": t}),
    "Keras loss name": lambda t: ({"distillation_losses": [tfkd.LogitsDistillation(t, "kl_divergence")]}, {}),
    "LogitsDistillation": lambda t: ({"distillation_losses": tfkd.LogitsDistillation(temperature=t)}, {}),
    "LogitsDistillation with a Keras 3 loss": lambda t: (
        {"distillation_losses": [tfkd.LogitsDistillation(t, keras3().losses.KLDivergence())]}, {}),
}


@pytest.mark.parametrize("version", [2, 3], ids=["tf_keras student", "Keras 3 student"])
@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("temperature", TEMPERATURES, ids=[f"T={t:g}" for t in TEMPERATURES])
def test_every_spelling_gives_the_reference_kl_times_t_squared(spelling, temperature, version):
    constructor, compile_arguments = SPELLINGS[spelling](temperature)
    distiller = tfkd.Distiller(identity_student(version), teacher=None, alpha=0.0, **constructor)
    distiller.compile(optimizer="sgd", **compile_arguments)
    data = tf.data.Dataset.from_tensor_slices((STUDENT_LOGITS, LABELS, TEACHER_LOGITS)).batch(64)
    results = distiller.evaluate(data, verbose=0, return_dict=True)
    expected = reference_kl(TEACHER_LOGITS, STUDENT_LOGITS, temperature)
    # Keras's KLDivergence clips probabilities at 1e-7; at these logits that moves the value by < 1e-5.
    assert results["distillation_loss"] == pytest.approx(expected, rel=1e-4)
    assert results["loss"] == pytest.approx(expected, rel=1e-4)  # alpha = 0: the soft loss alone
    assert distiller.temperature == temperature


def test_a_distillation_loss_with_its_own_temperature_refuses_another():
    distiller = tfkd.Distiller(identity_student(2))
    with pytest.raises(ValueError, match=r"`temperature` \(5\) differs from the DistillationLoss's own temperature "
                                         r"\(2.0\)"):
        distiller.compile(distillation_loss_fn=tfkd.DistillationLoss("kl", 2.0), temperature=5)


# The keras.io example "Knowledge Distillation" (Kenneth Borup), its Distiller as published for Keras 3.
class KerasIODistiller(keras3().Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        ops = keras3().ops
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


# The same example's Distiller as published for tf.keras (TF 2), with its own train_step.
class KerasIODistillerTF2(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def train_step(self, data):
        x, y = data
        teacher_predictions = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            student_predictions = self.student(x, training=True)
            student_loss = self.student_loss_fn(y, student_predictions)
            distillation_loss = self.distillation_loss_fn(
                tf.nn.softmax(teacher_predictions / self.temperature, axis=1),
                tf.nn.softmax(student_predictions / self.temperature, axis=1),
            ) * self.temperature**2
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        gradients = tape.gradient(loss, self.student.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.student.trainable_variables))
        self.compiled_metrics.update_state(y, student_predictions)
        return {"loss": loss, "student_loss": student_loss, "distillation_loss": distillation_loss}

    def call(self, x):
        return self.student(x)


def _mlp(module, units, seed, name):
    """The example's models in miniature: dense, no dropout, so two copies train identically."""
    module.utils.set_random_seed(seed)
    inputs = module.Input((12,))
    hidden = module.layers.Dense(units, activation="relu")(inputs)
    return module.Model(inputs, module.layers.Dense(4)(hidden), name=name)


def _frozen(teacher):
    """The example's Keras 3 Distiller tracks the teacher and so trains it too, unless it is frozen
    (tfkd freezes it); frozen here, the two Distillers see the same teacher throughout."""
    teacher.trainable = False
    return teacher


def _example_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 12)).astype("float32")
    return x, (x[:, :4].argmax(-1)).astype("int32")


@pytest.mark.parametrize("temperature", [3.0, 10.0])
def test_the_keras_io_example_gives_the_same_losses_and_weights_through_tfkd(temperature):
    k3 = keras3()
    x, y = _example_data()
    runs = {}
    for name, distiller_class in (("example", KerasIODistiller), ("tfkd", tfkd.Distiller)):
        teacher, student = _frozen(_mlp(k3, 32, 1, "teacher")), _mlp(k3, 8, 2, "student")  # the same for both
        distiller = distiller_class(student=student, teacher=teacher)
        distiller.compile(optimizer=k3.optimizers.SGD(0.1), metrics=[k3.metrics.SparseCategoricalAccuracy()],
                          student_loss_fn=k3.losses.SparseCategoricalCrossentropy(from_logits=True),
                          distillation_loss_fn=k3.losses.KLDivergence(), alpha=0.1, temperature=temperature)
        history = distiller.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        runs[name] = (history.history, student.get_weights())
    (example_history, example_weights), (tfkd_history, tfkd_weights) = runs["example"], runs["tfkd"]
    np.testing.assert_allclose(tfkd_history["loss"], example_history["loss"], rtol=1e-5)
    np.testing.assert_allclose(tfkd_history["sparse_categorical_accuracy"],
                               example_history["sparse_categorical_accuracy"])
    for tfkd_weight, example_weight in zip(tfkd_weights, example_weights):
        np.testing.assert_allclose(tfkd_weight, example_weight, rtol=1e-5, atol=1e-6)


def test_the_tf2_keras_io_example_trains_the_same_weights_through_tfkd():
    x, y = _example_data()
    weights = {}
    for name, distiller_class in (("example", KerasIODistillerTF2), ("tfkd", tfkd.Distiller)):
        teacher, student = _frozen(_mlp(keras, 32, 1, "teacher")), _mlp(keras, 8, 2, "student")
        distiller = distiller_class(student=student, teacher=teacher)
        distiller.compile(optimizer=keras.optimizers.SGD(0.1), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                          student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)
        distiller.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        weights[name] = student.get_weights()
    for tfkd_weight, example_weight in zip(weights["tfkd"], weights["example"]):
        np.testing.assert_allclose(tfkd_weight, example_weight, rtol=1e-5, atol=1e-6)
