"""tfkd.distill.distiller: wiring, both Keras styles, teachers of any kind, bad input."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, tf
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE, assert_config_round_trip


def _teacher():
    keras.utils.set_random_seed(1)
    return tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, name="teacher")


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_one_step_moves_the_student_and_not_the_teacher(student, token_data):
    ids, labels, _ = token_data
    teacher = _teacher()
    teacher_before, student_before = _weights(teacher), _weights(student)
    distiller = tfkd.Distiller(student, teacher, alpha=0.5, temperature=2.0)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    distiller.fit(ids[:32], labels[:32], batch_size=32, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(teacher_before, teacher.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(student_before, student.get_weights()))
    assert not teacher.trainable
    assert len(distiller.trainable_variables) == len(student.trainable_variables)


def test_metrics_report_each_loss_and_the_compiled_metrics(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, alpha=0.3)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    history = distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, verbose=0,
                            validation_data=tfkd.logits_dataset(ids, labels, logits, 32))
    assert set(history.history) == {"loss", "student_loss", "distillation_loss", "accuracy", "val_loss",
                                    "val_student_loss", "val_distillation_loss", "val_accuracy"}
    logs = {name: values[-1] for name, values in history.history.items()}
    # total = alpha * hard + (1 - alpha) * soft holds for the epoch means too (all are batch means).
    assert logs["loss"] == pytest.approx(0.3 * logs["student_loss"] + 0.7 * logs["distillation_loss"], rel=1e-4)


def test_cached_logits_learn_the_task(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, alpha=0.1, temperature=2.0)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32, shuffle=True, seed=0), epochs=8, verbose=0)
    accuracy = (distiller.predict(ids, verbose=0).argmax(-1) == labels).mean()
    assert accuracy > 0.9


def test_keras_io_compile_style_is_accepted(student, token_data):
    ids, labels, _ = token_data
    distiller = tfkd.Distiller(student=student, teacher=_teacher())
    distiller.compile(optimizer=keras.optimizers.Adam(), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                                 reduction="none"),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)
    assert (distiller.alpha, distiller.temperature) == (0.1, 10.0)
    history = distiller.fit(ids[:64], labels[:64], epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert "sparse_categorical_accuracy" in history.history
    results = distiller.evaluate(ids[:64], labels[:64], verbose=0, return_dict=True)
    assert set(results) >= {"loss", "student_loss", "distillation_loss", "sparse_categorical_accuracy"}


def test_any_callable_teacher_and_separate_inputs(student, token_data):
    ids, labels, logits = token_data
    teacher_features = logits * 2.0  # the "teacher" reads its own input: logits straight through

    distiller = tfkd.Distiller(student, teacher=lambda x, training=False: x)
    distiller.compile(optimizer="adam")
    data = tf.data.Dataset.from_tensor_slices(({"student": ids, "teacher": teacher_features}, labels)).batch(32)
    history = distiller.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["distillation_loss"][-1])
    predictions = distiller.predict({"student": ids, "teacher": teacher_features}, verbose=0)
    np.testing.assert_allclose(predictions, student.predict(ids, verbose=0), atol=1e-6)


def test_early_stopping_on_the_students_validation_metric(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student)
    distiller.compile(optimizer=keras.optimizers.Adam(0.0), metrics=["accuracy"])  # lr 0: never improves
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=1, mode="max")
    data = tfkd.logits_dataset(ids, labels, logits, 64)
    history = distiller.fit(data, validation_data=data, epochs=10, callbacks=[stop], verbose=0)
    assert len(history.history["loss"]) == 2


def test_student_saves_alone_and_reloads_with_the_same_predictions(student, token_data, tmp_path):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, teacher=_teacher())
    distiller.compile(optimizer="adam")
    distiller.fit(ids[:32], labels[:32], epochs=1, verbose=0)
    distiller.student.save(tmp_path / "student.keras")
    reloaded = keras.models.load_model(tmp_path / "student.keras")
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), student.predict(ids, verbose=0), atol=1e-6)
    assert "teacher" not in {layer.name for layer in reloaded.layers}


def test_config_round_trips_without_the_teacher(student):
    distiller = tfkd.Distiller(student, teacher=_teacher(), alpha=0.4, temperature=5.0, distillation_loss="mse")
    assert_config_round_trip(distiller)
    rebuilt = tfkd.Distiller.from_config(distiller.get_config())
    assert rebuilt.teacher is None and (rebuilt.alpha, rebuilt.temperature) == (0.4, 5.0)


def test_mismatched_teacher_and_student_shapes_name_both(student, token_data):
    ids, labels, _ = token_data
    three_class = tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, 3)
    distiller = tfkd.Distiller(student, teacher=three_class)
    distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"teacher logits of shape \(.*3\) and student logits of shape \(.*2\)"):
        distiller.fit(ids[:32], labels[:32], epochs=1, verbose=0)


def test_cached_logits_with_the_wrong_class_count_or_length_are_refused(token_data):
    ids, labels, logits = token_data
    with pytest.raises(ValueError, match="teacher_logits have 2 classes; the data has num_classes=3"):
        tfkd.logits_dataset(ids, labels, logits, num_classes=3)
    with pytest.raises(ValueError, match="received 256, 256 and 255"):
        tfkd.logits_dataset(ids, labels, logits[:-1])


def test_missing_cached_logits_say_how_to_supply_them(student, token_data):
    ids, labels, _ = token_data
    distiller = tfkd.Distiller(student)
    distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"must carry cached teacher logits: \(x, y, teacher_logits\)"):
        distiller.fit(ids[:32], labels[:32], epochs=1, verbose=0)


@pytest.mark.parametrize("arguments, message", [
    ({"alpha": 1.5}, r"`alpha` must be in \[0, 1\]; received alpha=1.5"),
    ({"temperature": 0}, r"`temperature` must be > 0; received temperature=0"),
    ({"distillation_loss": "l2"}, r"must be one of \['kl', 'mse'\]; received 'l2'"),
], ids=["alpha", "temperature", "loss"])
def test_bad_hyperparameters_are_named(student, arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.Distiller(student, **arguments)
    with pytest.raises(ValueError, match=message):
        if "distillation_loss" in arguments:
            tfkd.Distiller(student).compile(distillation_loss_fn=arguments["distillation_loss"])
        else:
            tfkd.Distiller(student).compile(**arguments)


def test_keras_hub_teacher_runs_beside_a_tf_keras_student(student):
    from tfkd.teachers import TextClassifierTeacher

    teacher = TextClassifierTeacher.from_preset("minilm", num_classes=2, sequence_length=16)
    texts = ["a fine film", "a dull film", "not good", "truly great"] * 4
    inputs = {"student": np.random.default_rng(0).integers(0, VOCABULARY_SIZE, (16, SEQUENCE_LENGTH)).astype("int32"),
              "teacher": teacher.preprocess(texts)}
    teacher_before = [np.array(w) for w in teacher.model.weights[:3]]
    student_before = _weights(student)
    distiller = tfkd.Distiller(student, teacher.model, alpha=0.5, temperature=2.0)
    distiller.compile(optimizer="adam")
    history = distiller.fit(tf.data.Dataset.from_tensor_slices((inputs, np.arange(16) % 2)).batch(8),
                            epochs=1, verbose=0)
    assert np.isfinite(history.history["distillation_loss"][-1])
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(teacher_before, teacher.model.weights[:3]))
    assert any(not np.array_equal(a, b) for a, b in zip(student_before, student.get_weights()))


def test_labels_outside_the_class_range_are_refused(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student)
    distiller.compile(optimizer="adam")
    bad = labels.copy()
    bad[3] = 2
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be in \[0, num_classes\)"):
        distiller.fit(tfkd.logits_dataset(ids, bad, logits, 32), epochs=1, verbose=0)


def test_a_nan_loss_stops_training_naming_the_loss(student, token_data):
    ids, labels, logits = token_data
    poisoned = logits.copy()
    poisoned[0] = np.nan
    distiller = tfkd.Distiller(student)
    distiller.compile(optimizer="adam")
    with pytest.raises(FloatingPointError, match="distillation_loss became nan at batch 0: training stopped"):
        distiller.fit(tfkd.logits_dataset(ids, labels, poisoned, 32), epochs=2, verbose=0)


def test_checkpoint_backup_and_tensorboard_callbacks_work(student, token_data, tmp_path):
    ids, labels, logits = token_data
    data = tfkd.logits_dataset(ids, labels, logits, 64)
    distiller = tfkd.Distiller(student)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="val_accuracy", mode="max",
                                        save_best_only=True, save_weights_only=True),
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
        keras.callbacks.TensorBoard(str(tmp_path / "logs")),
    ]
    distiller.fit(data, validation_data=data, epochs=2, callbacks=callbacks, verbose=0)
    assert (tmp_path / "best.weights.h5").exists() and any((tmp_path / "logs").rglob("events.out.tfevents.*"))
    restored = tfkd.Distiller(tfkd.students.build("cnn", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2))
    restored.compile(optimizer="adam", metrics=["accuracy"])
    restored.fit(data.take(1), epochs=1, verbose=0)  # build the variables
    restored.load_weights(str(tmp_path / "best.weights.h5"))
    assert restored.evaluate(data, verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        max(distiller.history.history["val_accuracy"]))
