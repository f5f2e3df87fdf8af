"""tfkd.teachers.KerasModelTeacher: a saved Keras model that maps texts to logits, checked when loaded."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.teachers import KerasModelTeacher


def _texts_model(num_classes=2):
    """A tf_keras model from raw strings to logits."""
    words = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    words.adapt(["good film", "bad plot", "great cast", "dull"])
    inputs = keras.Input(shape=(), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(words(inputs)))
    return keras.Model(inputs, keras.layers.Dense(num_classes)(pooled))


def test_a_saved_tf_keras_model_labels_texts_in_batches(tmp_path):
    model = _texts_model()
    model.save(tmp_path / "teacher.keras")
    teacher = KerasModelTeacher.load(tmp_path / "teacher.keras", num_classes=2)
    texts = ["good film", "a dull plot"] * 40
    logits = teacher.logits(texts, batch_size=16)
    np.testing.assert_allclose(logits, model.predict(np.array(texts), verbose=0), atol=1e-5)
    assert teacher.info == {"model_file": str(tmp_path / "teacher.keras"), "num_classes": 2}
    # what the pipeline's labelling calls
    np.testing.assert_allclose(tfkd.cache_teacher_logits(teacher, texts), logits)


@pytest.mark.parametrize("name, content, error, message", [
    ("gone.keras", None, FileNotFoundError, r"teacher model .*gone.keras does not exist"),
    ("teacher.onnx", b"x", ValueError, r"must be one of \['.keras', '.h5'\]; received '.*teacher.onnx'"),
    ("broken.keras", b"not a zip", ValueError, r"broken.keras is not a Keras model either Keras can load \(Keras 3: "),
], ids=["missing", "another format", "not a Keras file"])
def test_files_that_are_not_a_keras_teacher_are_named(tmp_path, name, content, error, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(error, match=message):
        KerasModelTeacher.load(tmp_path / name)


def test_a_model_with_another_class_count_or_that_takes_ids_is_refused(tmp_path):
    _texts_model(num_classes=3).save(tmp_path / "three.keras")
    with pytest.raises(ValueError, match=r"three.keras: the model gives 3 logits per text; the dataset has 2 classes"):
        KerasModelTeacher.load(tmp_path / "three.keras", num_classes=2)
    tfkd.students.build("cnn", 50, 16, 2).save(tmp_path / "ids.keras")
    with pytest.raises(ValueError, match=r"ids.keras cannot label texts: called on a batch of strings it raised"):
        KerasModelTeacher.load(tmp_path / "ids.keras")
