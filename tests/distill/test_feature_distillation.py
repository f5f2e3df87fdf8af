"""tfkd.distill.feature_distillation: layer matching through a learned projection, teachers of each kind."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, tf
from tfkd.distill.feature_distillation import pool_features
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE, assert_config_round_trip


def _teacher():
    keras.utils.set_random_seed(1)
    # The average-embedding model's "hidden" layer has 64 units; the CNN's "features" 192.
    return tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, 2, name="teacher")


def _fit(distiller, ids, labels, epochs=1):
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2))
    return distiller.fit(ids, labels, batch_size=32, epochs=epochs, verbose=0)


def test_a_student_layer_learns_to_match_a_teacher_layer(student, token_data):
    ids, labels, _ = token_data
    teacher = _teacher()
    teacher_before = [w.copy() for w in teacher.get_weights()]
    feature = tfkd.FeatureDistillation("features", teacher_layer="hidden", loss="mse", weight=2.0)
    distiller = tfkd.Distiller(student, teacher, alpha=0.5, features=[feature])
    history = _fit(distiller, ids, labels, epochs=6)
    assert feature.teacher_dim == 64  # read from the teacher's layer
    assert history.history["feature_loss"][-1] < history.history["feature_loss"][0]
    # total = alpha * hard + (1 - alpha) * soft + weighted feature loss (weight inside feature_loss)
    logs = {name: values[-1] for name, values in history.history.items()}
    assert logs["loss"] == pytest.approx(
        0.5 * logs["student_loss"] + 0.5 * logs["distillation_loss"] + logs["feature_loss"], rel=1e-4)
    assert all(np.array_equal(a, b) for a, b in zip(teacher_before, teacher.get_weights()))
    projection = distiller.projections[0]
    assert projection.kernel.shape == (192, 64)
    assert len(distiller.trainable_variables) == len(student.trainable_variables) + 2


def test_the_projection_trains_but_stays_out_of_the_saved_student(student, token_data, tmp_path):
    ids, labels, _ = token_data
    distiller = tfkd.Distiller(student, _teacher(), features=[
        tfkd.FeatureDistillation("features", "hidden", loss="cosine")])
    kernel_before = distiller.projections[0].kernel.numpy().copy()
    _fit(distiller, ids, labels)
    assert not np.array_equal(kernel_before, distiller.projections[0].kernel.numpy())
    student.save(tmp_path / "student.keras")
    reloaded = keras.models.load_model(tmp_path / "student.keras")
    assert reloaded.count_params() == student.count_params()
    np.testing.assert_allclose(reloaded.predict(ids, verbose=0), student.predict(ids, verbose=0), atol=1e-6)


def test_cached_teacher_features_in_the_data(student, token_data):
    ids, labels, logits = token_data
    features = np.random.default_rng(0).normal(size=(len(ids), 8)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((ids, labels, {"logits": logits, "sentence": features})).batch(32)
    distiller = tfkd.Distiller(student, None, features=[
        tfkd.FeatureDistillation("features", "sentence", teacher_dim=8)])
    distiller.compile(optimizer="adam")
    history = distiller.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["feature_loss"][-1])


def test_a_keras_hub_teacher_layer_inside_its_backbone(student):
    from tfkd.teachers import TextClassifierTeacher

    teacher = TextClassifierTeacher.from_preset("minilm", num_classes=2, sequence_length=16)
    texts = ["a fine film", "a dull film", "not good", "truly great"] * 4
    inputs = {"student": np.random.default_rng(0).integers(0, VOCABULARY_SIZE, (16, SEQUENCE_LENGTH)).astype("int32"),
              "teacher": teacher.preprocess(texts)}
    distiller = tfkd.Distiller(student, teacher.model, features=[
        tfkd.FeatureDistillation("features", "transformer_layer_5", loss="cosine")])
    distiller.compile(optimizer="adam")
    history = distiller.fit(tf.data.Dataset.from_tensor_slices((inputs, np.arange(16) % 2)).batch(8),
                            epochs=1, verbose=0)
    assert distiller.features[0].teacher_dim == 384  # MiniLM's hidden size
    assert np.isfinite(history.history["feature_loss"][-1])


def test_config_round_trips_with_features(student):
    feature = tfkd.FeatureDistillation("features", "pooled", loss="cosine", weight=0.5, teacher_dim=12)
    assert_config_round_trip(feature)
    distiller = tfkd.Distiller(student, None, features=[feature], entropy_weight=0.1)
    rebuilt = tfkd.Distiller.from_config(distiller.get_config())
    assert rebuilt.get_config() == distiller.get_config()
    assert rebuilt.projections[0].kernel.shape == (192, 12)


def test_pool_features_averages_the_middle_axes():
    features = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_allclose(pool_features(features).numpy(), features.mean(axis=1))
    np.testing.assert_allclose(pool_features(features[:, 0]).numpy(), features[:, 0])


@pytest.mark.parametrize("arguments, message", [
    ({"student_layer": ""}, "`student_layer` must be a layer name; received student_layer=''"),
    ({"student_layer": "x", "loss": "l1"}, r"`loss` must be one of \['mse', 'cosine'\]; received loss='l1'"),
    ({"student_layer": "x", "weight": -0.1}, "`weight` must be a number >= 0; received weight=-0.1"),
    ({"student_layer": "x", "teacher_dim": 0}, "`teacher_dim` must be a positive int or None; received teacher_dim=0"),
], ids=["layer", "loss", "weight", "teacher_dim"])
def test_bad_feature_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.FeatureDistillation(**arguments)


def test_feature_mistakes_name_the_layer_or_what_is_missing(student, token_data):
    ids, labels, logits = token_data
    with pytest.raises(ValueError, match="the student 'cnn_student' has no layer named 'nope'"):
        tfkd.Distiller(student, _teacher(), features=[tfkd.FeatureDistillation("nope", "hidden")])
    with pytest.raises(ValueError, match="the teacher 'teacher' has no layer named 'nope'"):
        tfkd.Distiller(student, _teacher(), features=[tfkd.FeatureDistillation("features", "nope")])
    with pytest.raises(ValueError, match="needs `teacher_dim` when the teacher's layer 'hidden' cannot be read"):
        tfkd.Distiller(student, None, features=[tfkd.FeatureDistillation("features", "hidden")])
    with pytest.raises(TypeError, match="`features` must hold FeatureDistillation objects"):
        tfkd.Distiller(student, None, features=["features"])
    distiller = tfkd.Distiller(student, None, features=[tfkd.FeatureDistillation("features", "hidden", teacher_dim=4)])
    distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match="feature distillation needs the teacher's features"):
        distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, verbose=0)


def test_a_subclassed_student_is_refused_for_features():
    class Subclassed(keras.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="needs a functional student.*is a Subclassed"):
        tfkd.Distiller(Subclassed(), None, features=[tfkd.FeatureDistillation("x", teacher_dim=2)])


def test_cached_features_of_another_width_are_named(student, token_data):
    ids, labels, logits = token_data
    features = np.zeros((len(ids), 8), "float32")
    data = tf.data.Dataset.from_tensor_slices((ids, labels, {"logits": logits, "sentence": features})).batch(32)
    distiller = tfkd.Distiller(student, None, features=[tfkd.FeatureDistillation("features", "sentence",
                                                                                 teacher_dim=6)])
    distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"the teacher's features 'sentence' have width 8 but the projection gives 6; "
                                         r"set teacher_dim=8"):
        distiller.fit(data, epochs=1, verbose=0)
