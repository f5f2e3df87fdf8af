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
    ({"distillation_loss": "l2"}, r"must be one of \['kl', 'mse'\].*received (loss=)?'l2'"),
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


def test_compile_loss_is_the_student_loss(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, alpha=0.5)
    distiller.compile(optimizer="adam", loss=lambda y, logits: tf.fill(tf.shape(logits)[:1], 1000.0))
    results = distiller.evaluate(tfkd.logits_dataset(ids, labels, logits, 64), verbose=0, return_dict=True)
    assert results["student_loss"] == pytest.approx(1000.0)
    assert results["loss"] == pytest.approx(500.0 + 0.5 * results["distillation_loss"], rel=1e-5)
    named = tfkd.Distiller(student)
    named.compile(loss="mean_squared_error")  # a Keras loss name is resolved by Keras
    assert named.student_loss_fn is keras.losses.mean_squared_error


def test_compile_refuses_the_student_loss_twice_and_metrics_in_the_loss_place(student):
    with pytest.raises(ValueError, match="give the student loss once: `loss` .* or `student_loss_fn`"):
        tfkd.Distiller(student).compile(loss="mse", student_loss_fn=tfkd.losses.hard_cross_entropy)
    with pytest.raises(ValueError, match=r"`metrics` must be a list, tuple or dict; received metrics='accuracy'"):
        tfkd.Distiller(student).compile("adam", "accuracy")


@pytest.mark.parametrize("outputs, message", [
    (lambda x: {"probabilities": x}, r"the teacher gave a dict with keys \['probabilities'\]; a Distiller needs "
                                     r"logits \[batch, classes\], or a dict with a 'logits' key"),
    (lambda x: [x, x], r"the teacher gave a list of 2 outputs; a Distiller needs one logits tensor"),
], ids=["dict without logits", "list"])
def test_teacher_outputs_of_another_structure_are_named(student, token_data, outputs, message):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, teacher=lambda x, training=False: outputs(x))  # x: the "teacher" input
    distiller.compile(optimizer="adam")
    data = tf.data.Dataset.from_tensor_slices(({"student": ids, "teacher": logits}, labels)).batch(32)
    with pytest.raises(ValueError, match=message):
        distiller.fit(data, epochs=1, verbose=0)


def test_a_student_with_several_outputs_is_refused_naming_them():
    inputs = keras.Input((4,))
    two = keras.Model(inputs, [keras.layers.Dense(2, name="a")(inputs), keras.layers.Dense(2, name="b")(inputs)])
    with pytest.raises(ValueError, match=r"has 2 outputs .*; a Distiller needs one logits output"):
        tfkd.Distiller(two)


@pytest.mark.parametrize("arguments, message", [
    ({"distillation_losses": [tfkd.LogitsDistillation()], "temperature": 2.0},
     r"`temperature` is a shorthand for one LogitsDistillation term; with `distillation_losses` give it inside "
     r"the term\. Received temperature=2.0"),
    ({"distillation_losses": [tfkd.LogitsDistillation()], "distillation_loss": "mse"},
     r"`distillation_loss` is a shorthand .* Received distillation_loss='mse'"),
    ({"distillation_losses": ["kl"]}, r"`distillation_losses` must hold \['LogitsDistillation', "
                                      r"'FeatureDistillation', 'EntropyRegularization'\] objects; received 'kl' \(str\)"),
    ({"distillation_losses": []}, r"`distillation_losses` is empty"),
    ({"distillation_loss_weights": [1.0]}, r"`distillation_loss_weights` needs `distillation_losses`"),
    ({"distillation_losses": [tfkd.LogitsDistillation()], "distillation_loss_weights": [float("nan")]},
     r"`distillation_loss_weights` must be finite numbers; received \[nan\]"),
    ({"alpha": 0.2, "student_loss_weight": 0.3}, r"`alpha` and `student_loss_weight` are the same weight; "
                                                  r"received alpha=0.2 and student_loss_weight=0.3"),
    ({"teacher": np.zeros((2, 2))}, r"`teacher` must be a Keras model \(tf_keras or Keras 3\), a callable returning "
                                    r"logits, or None .*; received ndarray"),
], ids=["temperature beside terms", "loss beside terms", "term of a wrong type", "no terms", "weights alone",
        "nan weight", "alpha and student_loss_weight", "array teacher"])
def test_bad_term_arguments_are_named(student, arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.Distiller(student, **arguments)


def test_distillation_loss_fn_needs_exactly_one_logits_term(student):
    distiller = tfkd.Distiller(student, distillation_losses=[tfkd.LogitsDistillation(2.0), tfkd.LogitsDistillation(4.0)])
    with pytest.raises(ValueError, match="replaces the loss of the one LogitsDistillation term; this Distiller has 2"):
        distiller.compile(distillation_loss_fn="kl")
    distiller.temperature = 5.0  # sets every logits term
    assert [term.temperature for term in distiller.distillation_losses] == [5.0, 5.0]


def test_entropy_weight_needs_an_entropy_term(student):
    distiller = tfkd.Distiller(student)
    distiller.entropy_weight = 0.0  # nothing to switch off: accepted
    with pytest.raises(ValueError, match=r"this Distiller has no entropy term; received entropy_weight=0.5"):
        distiller.entropy_weight = 0.5


def test_a_multi_teacher_takes_the_logits_terms_temperature_or_refuses_another(student, token_data):
    from tfkd.distill import MultiTeacher

    teacher = _teacher()
    ensemble = MultiTeacher([teacher, teacher])
    tfkd.Distiller(student, ensemble, temperature=4.0)
    assert ensemble.temperature == 4.0
    with pytest.raises(ValueError, match=r"the MultiTeacher's temperature \(2.0\) differs from the Distiller's "
                                         r"logits term \(4.0\)"):
        tfkd.Distiller(student, MultiTeacher([teacher], temperature=2.0), temperature=4.0)


@pytest.mark.parametrize("filename, save_arguments", [("distiller.keras", {}), ("distiller.h5", {}),
                                                      ("saved_model", {"save_format": "tf"})],
                         ids=["keras", "h5", "SavedModel"])
def test_every_save_format_reloads_as_a_distiller_with_the_same_predictions(student, token_data, tmp_path, filename,
                                                                           save_arguments):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, alpha=0.3, distillation_losses=[
        tfkd.LogitsDistillation(2.0, keras.losses.KLDivergence()), tfkd.FeatureDistillation("features", "f",
                                                                                            teacher_dim=4)],
        distillation_loss_weights=[1.0, 0.5], entropy_weight=0.05)
    distiller.compile(optimizer="adam")
    features = np.random.default_rng(0).normal(size=(len(ids), 4)).astype("float32")
    distiller.fit(tf.data.Dataset.from_tensor_slices((ids, labels, {"logits": logits, "f": features})).batch(64),
                  epochs=1, verbose=0)
    distiller.save(tmp_path / filename, **save_arguments)
    reloaded = keras.models.load_model(tmp_path / filename)
    assert type(reloaded) is tfkd.Distiller
    assert reloaded.get_config() == distiller.get_config()
    assert (reloaded.alpha, reloaded.temperature, reloaded.entropy_weight) == (0.3, 2.0, 0.05)
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), distiller.predict(ids, verbose=0), atol=1e-6)
    if filename.endswith(".keras"):  # compiled again, with the optimizer's state: training goes on
        assert int(reloaded.optimizer.iterations) == int(distiller.optimizer.iterations) == 4


@pytest.mark.parametrize("labels, message", [
    (np.array(["neg", "pos"] * 128), r"received string labels: map each class name to its id first"),
    (np.eye(2, dtype="float32")[np.arange(256) % 2], r"of shape \[batch\]; received labels of shape \[(None|256), 2\] "
                                                     r"\(one-hot or probabilities\?\): pass y.argmax\(-1\)"),
], ids=["class names", "one-hot rows"])
@pytest.mark.parametrize("as_dataset", [True, False], ids=["dataset", "arrays"])
def test_labels_the_hard_loss_would_misread_are_refused_before_training(student, token_data, labels, message,
                                                                       as_dataset):
    ids, _, logits = token_data
    if as_dataset:
        distiller = tfkd.Distiller(student, None)
        data = (tf.data.Dataset.from_tensor_slices((ids, labels, logits)).batch(32),)
    else:  # arrays need a teacher (the logits would ride in x)
        distiller = tfkd.Distiller(student, tfkd.students.build("cnn", 50, 16, 2))
        data = (ids, labels)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    before = [weight.copy() for weight in student.get_weights()]
    with pytest.raises(ValueError, match=rf"labels `y` must be integer class ids.*{message}"):
        distiller.fit(*data, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, student.get_weights()))


def test_bad_validation_labels_are_refused_too(student, token_data):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, None)
    distiller.compile(optimizer="adam")
    one_hot = tfkd.logits_dataset(ids, np.eye(2, dtype="float32")[labels], logits, 32)
    with pytest.raises(ValueError, match=r"received labels of shape \[None, 2\]"):
        distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), validation_data=one_hot, verbose=0)
