"""Keras 3.15's own distillation tests (keras/src/distillation/*_test.py), ported to tfkd.Distiller.

Each test keeps the behaviour its Keras original checks, for tf_keras and
Keras 3 students alike. Where tfkd differs by design it says so: the
total is reported as `loss` (Keras: `total_loss`), students return logits
so the student loss is `from_logits=True`, and the teacher is not part of
the config (it is set again after loading).
"""

import json

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3


@pytest.fixture(params=[2, 3], ids=["tf_keras", "Keras 3"])
def module(request):
    return keras if request.param == 2 else keras3()


def _subclassed(module, hidden_dim, vocab_size=10):
    class Simple(module.Model):
        def __init__(self):
            super().__init__()
            self.dense1 = module.layers.Dense(hidden_dim, activation="relu")
            self.dense2 = module.layers.Dense(vocab_size)

        def call(self, inputs, training=None):
            return self.dense2(self.dense1(inputs))

    model = Simple()
    model(np.zeros((2, 5), "float32"))
    return model


@pytest.fixture
def models(module):
    module.utils.set_random_seed(0)
    return _subclassed(module, 32), _subclassed(module, 16)


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    return rng.random((20, 5)).astype("float32"), rng.integers(0, 10, 20).astype("int32")


def _compiled(module, distiller):
    distiller.compile(optimizer="adam", loss=module.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    return distiller


def test_initialisation(module, models):
    teacher, student = models
    distiller = _compiled(module, tfkd.Distiller(teacher=teacher, student=student,
                                                 distillation_losses=tfkd.LogitsDistillation(temperature=2.0),
                                                 student_loss_weight=0.5))
    assert not teacher.trainable and student.trainable
    assert distiller.student_loss_weight == 0.5 == distiller.alpha
    assert isinstance(distiller.distillation_losses, list) and len(distiller.distillation_losses) == 1
    assert isinstance(distiller.distillation_losses[0], tfkd.LogitsDistillation)
    assert distiller.distillation_losses[0].temperature == 2.0
    assert distiller.optimizer is not None


def test_call_returns_the_students_outputs(models, data):
    teacher, student = models
    distiller = tfkd.Distiller(student=student, teacher=teacher)
    outputs = distiller(data[0])
    assert tuple(outputs.shape) == (20, 10)
    np.testing.assert_allclose(np.asarray(outputs), np.asarray(student(data[0])), atol=1e-6)


def test_the_teacher_is_frozen_and_stays_unchanged(module, models, data):
    teacher, student = models
    fresh = _subclassed(module, 32)
    assert fresh.trainable
    distiller = _compiled(module, tfkd.Distiller(teacher=fresh, student=student, student_loss_weight=0.5))
    assert not fresh.trainable
    before = [np.array(w) for w in fresh.weights]
    student_before = [np.array(w) for w in student.weights]
    distiller.fit(*data, epochs=1, verbose=0)
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(before, fresh.weights))
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(student_before, student.weights))


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_objects_that_are_not_models_are_refused_by_name(models, role):
    teacher, student = models
    arguments = {"teacher": teacher, "student": student, role: "not_a_model"}
    with pytest.raises(ValueError, match=rf"`{role}` must be a Keras model .*received str 'not_a_model'"):
        tfkd.Distiller(**arguments)


def test_several_terms_with_weights_train_and_report(module, models, data):
    teacher, student = models
    terms = [tfkd.LogitsDistillation(temperature=3.0), tfkd.LogitsDistillation(temperature=2.0)]
    distiller = _compiled(module, tfkd.Distiller(teacher=teacher, student=student, distillation_losses=terms,
                                                 distillation_loss_weights=[0.7, 0.3], student_loss_weight=0.5))
    assert len(distiller.distillation_losses) == 2 and distiller.distillation_loss_weights == [0.7, 0.3]
    history = distiller.fit(*data, epochs=1, verbose=0)
    assert {"loss", "student_loss", "distillation_loss"} <= set(history.history)
    # the weighted sum of the two terms, each at its own temperature
    results = distiller.evaluate(*data, verbose=0, return_dict=True, batch_size=20)
    teacher_logits, student_logits = np.asarray(teacher(data[0])), np.asarray(student(data[0]))
    expected = sum(weight * float(np.mean(tfkd.losses.kl_divergence(teacher_logits, student_logits, t)))
                   for weight, t in ((0.7, 3.0), (0.3, 2.0)))
    assert results["distillation_loss"] == pytest.approx(expected, rel=1e-4)


def test_weights_of_the_wrong_length_are_refused(models):
    teacher, student = models
    terms = [tfkd.LogitsDistillation(temperature=3.0), tfkd.LogitsDistillation(temperature=2.0)]
    assert len(tfkd.Distiller(teacher=teacher, student=student, distillation_losses=terms).distillation_losses) == 2
    with pytest.raises(ValueError, match=r"one weight per term \(2\); received distillation_loss_weights=\[1.0\]"):
        tfkd.Distiller(teacher=teacher, student=student, distillation_losses=terms, distillation_loss_weights=[1.0])


@pytest.mark.parametrize("weight", [0.0, 1.0], ids=["teacher only", "labels only"])
def test_student_loss_weight_at_either_end(module, models, data, weight):
    teacher, student = models
    distiller = _compiled(module, tfkd.Distiller(teacher=teacher, student=student, student_loss_weight=weight))
    history = distiller.fit(data[0][:5], data[1][:5], epochs=1, verbose=0)
    logs = {name: values[-1] for name, values in history.history.items()}
    chosen = logs["student_loss"] if weight == 1.0 else logs["distillation_loss"]
    assert logs["loss"] == pytest.approx(chosen, rel=1e-5)


@pytest.mark.parametrize("weight", [-0.01, 1.01])
def test_student_loss_weight_outside_zero_one_is_refused(models, weight):
    teacher, student = models
    with pytest.raises(ValueError, match=rf"`student_loss_weight` must be in \[0, 1\]; received "
                                         rf"student_loss_weight={weight}"):
        tfkd.Distiller(teacher=teacher, student=student, student_loss_weight=weight)


def test_fit_with_validation_then_predict_and_evaluate(module, models):
    teacher, student = models
    rng = np.random.default_rng(42)
    x, y = rng.random((100, 5)).astype("float32"), rng.integers(0, 10, 100).astype("int32")
    distiller = _compiled(module, tfkd.Distiller(teacher=teacher, student=student, student_loss_weight=0.5))
    history = distiller.fit(x[:80], y[:80], validation_data=(x[80:], y[80:]), epochs=3, batch_size=16, verbose=0)
    for name in ("loss", "val_loss", "student_loss", "distillation_loss"):
        assert len(history.history[name]) == 3 and np.all(np.isfinite(history.history[name]))
    assert distiller.predict(x[:5], verbose=0).shape == (5, 10)
    results = distiller.evaluate(x, y, verbose=0)
    assert isinstance(results, list) and results and np.all(np.isfinite(results))


def test_predict_without_compile(models, data):
    teacher, student = models
    predictions = tfkd.Distiller(teacher=teacher, student=student).predict(data[0], verbose=0)
    assert predictions.shape == (20, 10) and np.all(np.isfinite(predictions))


def test_config_is_json_and_rebuilds_the_same_terms(module):
    module.utils.set_random_seed(0)
    student = module.Sequential([module.Input((20,)), module.layers.Dense(16, activation="relu"),
                                 module.layers.Dense(10, name="student_output")])
    term = tfkd.LogitsDistillation(temperature=3.0, loss="kl_divergence")
    distiller = tfkd.Distiller(student=student, teacher=None, distillation_losses=term, student_loss_weight=0.7)
    config = distiller.get_config()
    assert {"student", "distillation_losses", "distillation_loss_weights", "alpha", "name", "trainable"} <= set(config)
    rebuilt = type(distiller).from_config(json.loads(json.dumps(config)))
    assert rebuilt.student_loss_weight == 0.7
    assert isinstance(rebuilt.distillation_losses[0], tfkd.LogitsDistillation)
    assert rebuilt.distillation_losses[0].temperature == 3.0
    assert json.loads(json.dumps(rebuilt.get_config())) == json.loads(json.dumps(config))  # tuples become lists
    x = np.random.default_rng(0).random((2, 20)).astype("float32")
    assert rebuilt.predict(x, verbose=0).shape == (2, 10)


def test_features_only_distillation(module, data):
    """Keras's FeatureDistillation end to end: only intermediate layers, no logits term."""
    module.utils.set_random_seed(0)
    def functional(hidden, name):
        inputs = module.Input((5,))
        features = module.layers.Dense(hidden, activation="relu", name=f"{name}_features")(inputs)
        return module.Model(inputs, module.layers.Dense(10, name=f"{name}_logits")(features), name=name)
    teacher, student = functional(32, "teacher"), functional(16, "student")
    term = tfkd.FeatureDistillation("student_features", teacher_layer="teacher_features")
    distiller = _compiled(module, tfkd.Distiller(student, teacher, distillation_losses=[term],
                                                 student_loss_weight=0.0))
    assert distiller.temperature is None and distiller.features == [term]
    history = distiller.fit(*data, epochs=5, verbose=0, batch_size=10)
    assert history.history["feature_loss"][-1] < history.history["feature_loss"][0]
    assert history.history["loss"][-1] == pytest.approx(history.history["feature_loss"][-1], rel=1e-5)
