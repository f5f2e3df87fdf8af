"""tfkd.distill.train_student: the one training loop, keeping the best validation epoch."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras

from tests.conftest import NUM_CLASSES, SEQUENCE_LENGTH, VOCABULARY_SIZE


class _WeightsPerEpoch(keras.callbacks.Callback):
    """The student's weights, validation accuracy and validation loss at the end of every epoch."""

    def __init__(self, student):
        super().__init__()
        self.student, self.weights, self.accuracies, self.losses = student, [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([value.copy() for value in self.student.get_weights()])
        self.accuracies.append(logs["val_accuracy"])
        self.losses.append(logs["val_loss"])


def _same(weights_a, weights_b):
    return all(np.array_equal(a, b) for a, b in zip(weights_a, weights_b))


@pytest.fixture
def falling_validation(token_data):
    """Training pushes every example to class 0; every validation label is 1, so no epoch beats the first."""
    ids, _, _ = token_data
    zeros = np.zeros(len(ids), "int32")
    towards_zero = np.tile(np.array([[4.0, -4.0]], "float32"), (len(ids), 1))
    train = tfkd.logits_dataset(ids, zeros, towards_zero, batch_size=32)
    validation = tfkd.logits_dataset(ids, np.ones(len(ids), "int32"), -towards_zero, batch_size=32)
    return train, validation


@pytest.mark.parametrize("start_from_epoch", [0, 2], ids=["from the first epoch", "from the third"])
def test_the_best_validation_epoch_is_kept_not_the_last(student, falling_validation, start_from_epoch):
    recorder = _WeightsPerEpoch(student)
    history = tfkd.distill.train_student(student, *falling_validation, epochs=4, learning_rate=1e-2, patience=4,
                                         start_from_epoch=start_from_epoch, callbacks=[recorder])
    assert len(history.history["loss"]) == 4
    # Ties keep the earliest epoch: the first one allowed, whose weights differ from the last epoch's.
    assert _same(student.get_weights(), recorder.weights[start_from_epoch])
    assert not _same(student.get_weights(), recorder.weights[-1])


def test_monitor_val_loss_keeps_the_epoch_of_the_lowest_validation_loss(student, token_data):
    # Labels and teacher agree that every text is class 0: validation accuracy is 100% from the first epoch
    # on (ties keep the earliest epoch) while the loss goes on falling, so the two monitors keep different epochs.
    ids, _, _ = token_data
    towards_zero = np.tile(np.array([[4.0, -4.0]], "float32"), (len(ids), 1))
    data = tfkd.logits_dataset(ids, np.zeros(len(ids), "int32"), towards_zero, batch_size=32)
    recorder = _WeightsPerEpoch(student)
    tfkd.distill.train_student(student, data, data, epochs=4, learning_rate=1e-2, patience=4, monitor="val_loss",
                               callbacks=[recorder])
    lowest = int(np.argmin(recorder.losses))
    assert recorder.accuracies[0] == 1.0
    assert lowest > 0
    assert _same(student.get_weights(), recorder.weights[lowest])


def test_an_unknown_monitor_is_refused_by_name(student, token_data):
    data = tfkd.logits_dataset(*token_data)
    with pytest.raises(ValueError, match=r"`monitor` must be one of \['val_accuracy', 'val_loss'\]; "
                                         r"received monitor='accuracy'"):
        tfkd.distill.train_student(student, data, data, epochs=1, monitor="accuracy")


def test_it_learns_and_stops_when_validation_stops_improving(student, token_data):
    ids, labels, logits = token_data
    data = tfkd.logits_dataset(ids, labels, logits, batch_size=32, shuffle=True, seed=0)
    before = student.predict(ids, verbose=0).argmax(-1)
    history = tfkd.distill.train_student(student, data, data, epochs=30, learning_rate=1e-2, patience=1)
    after = student.predict(ids, verbose=0).argmax(-1)
    assert np.mean(after == labels) > max(np.mean(before == labels), 0.9)
    assert len(history.history["loss"]) < 30  # validation accuracy reaches its ceiling long before


@pytest.mark.parametrize("key, value, allowed", [
    ("epochs", 0, ">= 1"), ("patience", 0, ">= 1"), ("start_from_epoch", -1, ">= 0"), ("epochs", 2.5, ">= 1")])
def test_out_of_range_counts_are_refused_by_name(student, token_data, key, value, allowed):
    ids, labels, logits = token_data
    data = tfkd.logits_dataset(ids, labels, logits)
    settings = {"epochs": 1, key: value}
    with pytest.raises(ValueError, match=rf"`{key}` must be an integer {allowed}; received {key}={value}"):
        tfkd.distill.train_student(student, data, data, **settings)


def test_the_distiller_settings_reach_the_loss(token_data):
    # alpha=1 is the hard loss alone: teacher logits that disagree with the labels change nothing.
    ids, labels, logits = token_data
    results = []
    for teacher_logits in (logits, -logits):
        keras.utils.set_random_seed(0)
        model = tfkd.students.build("cnn", VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES)
        data = tfkd.logits_dataset(ids, labels, teacher_logits, batch_size=32)
        tfkd.distill.train_student(model, data, data, epochs=1, alpha=1.0)
        results.append(model.get_weights())
    assert _same(*results)


@pytest.mark.parametrize("loss", ["kl", "mse"])
def test_the_soft_loss_is_the_one_named(token_data, loss):
    # One step at learning rate 0 on one batch: the reported soft loss is the named function of the
    # student's logits and the teacher's (KL of the softened distributions times T^2, or the logits' MSE).
    ids, labels, logits = token_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Embedding(VOCABULARY_SIZE, 8), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(NUM_CLASSES)])
    student_logits = model(ids).numpy()
    data = tfkd.logits_dataset(ids, labels, logits, batch_size=len(ids))
    history = tfkd.distill.train_student(model, data, data, epochs=1, learning_rate=0.0, temperature=2.0,
                                         distillation_loss=loss)
    if loss == "mse":
        expected = np.mean((student_logits - logits) ** 2)
    else:
        teacher, student = (np.log(tfkd.distill.losses.soft_targets(value, 2.0).numpy())
                            for value in (logits, student_logits))
        expected = np.mean(np.sum(np.exp(teacher) * (teacher - student), axis=-1)) * 4.0
    assert history.history["distillation_loss"][0] == pytest.approx(expected, rel=1e-4)
