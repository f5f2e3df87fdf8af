"""tfkd.distill.keras3_distiller: Keras 3 students with the same API, teachers of each kind, int8 deployment."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3, tf
from tfkd.convert.converter import float_tensors
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE


@pytest.fixture
def k3_student():
    keras3().utils.set_random_seed(0)
    return tfkd.students.build("cnn", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, keras_version=3)


def _tf_keras_teacher():
    keras.utils.set_random_seed(1)
    return tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, name="teacher")


def _keras3_teacher():
    keras3().utils.set_random_seed(1)
    return tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, name="teacher",
                               keras_version=3)


def _weights(model):
    return [np.array(weight) for weight in model.weights]


def test_a_keras3_student_gets_the_keras3_distiller(k3_student):
    distiller = tfkd.Distiller(k3_student)
    assert isinstance(distiller, tfkd.distill.Keras3Distiller) and isinstance(distiller, keras3().Model)
    assert not isinstance(tfkd.Distiller(_tf_keras_teacher()), keras3().Model)


def test_cached_logits_learn_the_task(k3_student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(k3_student, alpha=0.1, temperature=2.0)
    distiller.compile(optimizer=keras3().optimizers.Adam(1e-2), metrics=["accuracy"])
    history = distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32, shuffle=True, seed=0), epochs=8, verbose=0,
                            validation_data=tfkd.logits_dataset(ids, labels, logits, 32))
    assert {"loss", "student_loss", "distillation_loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    logs = {name: values[-1] for name, values in history.history.items()}
    assert logs["loss"] == pytest.approx(0.1 * logs["student_loss"] + 0.9 * logs["distillation_loss"], rel=1e-4)
    assert (distiller.predict(ids, verbose=0).argmax(-1) == labels).mean() > 0.9


@pytest.mark.parametrize("make_teacher", [_tf_keras_teacher, _keras3_teacher], ids=["tf_keras teacher",
                                                                                   "Keras 3 teacher"])
def test_a_live_teacher_stays_frozen_while_the_student_moves(k3_student, token_data, make_teacher):
    ids, labels, _ = token_data
    teacher = make_teacher()
    teacher_before, student_before = _weights(teacher), _weights(k3_student)
    distiller = tfkd.Distiller(k3_student, teacher, alpha=0.5, temperature=2.0)
    distiller.compile(optimizer="adam")
    distiller.fit(ids[:64], labels[:64], batch_size=32, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(teacher_before, _weights(teacher)))
    assert any(not np.array_equal(a, b) for a, b in zip(student_before, _weights(k3_student)))
    assert len(distiller.trainable_variables) == len(k3_student.trainable_variables)


def test_different_inputs_for_teacher_and_student(k3_student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(k3_student, teacher=lambda x, training=False: x)
    distiller.compile(optimizer="adam")
    data = tf.data.Dataset.from_tensor_slices(({"student": ids, "teacher": logits}, labels)).batch(32)
    assert np.isfinite(distiller.fit(data, epochs=1, verbose=0).history["distillation_loss"][-1])
    predictions = distiller.predict({"student": ids, "teacher": logits}, verbose=0)
    np.testing.assert_allclose(predictions, k3_student.predict(ids, verbose=0), atol=1e-6)


def test_the_same_terms_feature_and_entropy(k3_student, token_data):
    ids, labels, _ = token_data
    feature = tfkd.FeatureDistillation("features", teacher_layer="hidden", loss="cosine")
    distiller = tfkd.Distiller(k3_student, _tf_keras_teacher(), alpha=0.5, distillation_losses=[
        tfkd.LogitsDistillation(2.0), feature, tfkd.EntropyRegularization(0.1)])
    distiller.compile(optimizer=keras3().optimizers.Adam(1e-2))
    history = distiller.fit(ids, labels, batch_size=32, epochs=3, verbose=0)
    assert feature.teacher_dim == 64 and isinstance(distiller.projections[0], keras3().layers.Dense)
    assert history.history["feature_loss"][-1] < history.history["feature_loss"][0]
    assert "entropy" in history.history
    assert len(distiller.trainable_variables) == len(k3_student.trainable_variables) + 2


def test_a_multi_teacher_mixes_at_the_distillers_temperature(k3_student, token_data):
    ids, labels, _ = token_data
    ensemble = tfkd.MultiTeacher([_tf_keras_teacher(), _keras3_teacher()])
    distiller = tfkd.Distiller(k3_student, ensemble, temperature=4.0)
    assert ensemble.temperature == 4.0
    distiller.compile(optimizer="adam")
    assert np.isfinite(distiller.fit(ids[:64], labels[:64], epochs=1, verbose=0).history["loss"][-1])


def test_keras_file_reloads_as_a_keras3_distiller_with_the_same_predictions(k3_student, token_data, tmp_path):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(k3_student, alpha=0.4, distillation_losses=[tfkd.LogitsDistillation(5.0, "mse")])
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, verbose=0)
    distiller.save(tmp_path / "distiller.keras")
    reloaded = keras3().models.load_model(tmp_path / "distiller.keras")
    assert isinstance(reloaded, tfkd.distill.Keras3Distiller)
    assert (reloaded.alpha, reloaded.temperature, reloaded.distillation_losses[0].loss) == (0.4, 5.0, "mse")
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), distiller.predict(ids, verbose=0), atol=1e-6)
    assert int(reloaded.optimizer.iterations) == int(distiller.optimizer.iterations) == 8  # compiled, with its state


def test_the_distilled_keras3_student_converts_to_full_int8(k3_student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(k3_student)
    distiller.compile(optimizer=keras3().optimizers.Adam(1e-2))
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32, shuffle=True, seed=0), epochs=4, verbose=0)
    flatbuffer = tfkd.convert(k3_student, "int8", representative_data=ids[:100])
    assert float_tensors(flatbuffer) == []  # every tensor but the int32 ids is int8
    int8 = tfkd.TFLiteModel(flatbuffer).predict(ids).argmax(-1)
    assert (int8 == k3_student.predict(ids, verbose=0).argmax(-1)).mean() >= 0.97


def test_a_tf_keras_schedule_callback_drives_a_keras3_distiller(k3_student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(k3_student, alpha=0.0, temperature=4.0)
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 64), epochs=2, verbose=0,
                  callbacks=[tfkd.DistillationSchedule(alpha=(0.0, 0.5), temperature=(4.0, 1.0))])
    assert (distiller.alpha, distiller.temperature) == (0.5, 1.0)


def test_the_keras3_class_refuses_a_tf_keras_student_naming_what_to_use(student):
    with pytest.raises(ValueError, match="this Distiller trains Keras 3 students; received a tf_keras model: use "
                                         "tfkd.Distiller, which picks the right one"):
        tfkd.distill.Keras3Distiller(student)


def test_a_tf_keras_optimizer_is_refused_naming_the_keras3_one(k3_student):
    with pytest.raises(ValueError, match=r"a Keras 3 student trains with a Keras 3 optimizer \(keras.optimizers.SGD\); "
                                         r"received the tf_keras optimizer"):
        tfkd.Distiller(k3_student).compile(optimizer=keras.optimizers.SGD())
