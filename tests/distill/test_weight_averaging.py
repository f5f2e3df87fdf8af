"""tfkd.distill.weight_averaging: a moving average of the weights, validated on and kept at the end of fit."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras


class _Recorder(keras.callbacks.Callback):
    """Copies of the trainable weights after each step and at the start of each epoch."""

    def __init__(self):
        super().__init__()
        self.after_steps, self.at_epoch_begin = [], []

    def _weights(self):
        return [variable.numpy() for variable in self.model.trainable_variables]

    def on_train_batch_end(self, batch, logs=None):
        self.after_steps.append(self._weights())

    def on_epoch_begin(self, epoch, logs=None):
        self.at_epoch_begin.append(self._weights())


def _numpy_average(start, after_steps, decay):
    averages = [weight.copy() for weight in start]
    for step, weights in enumerate(after_steps):
        step_decay = min(decay, (1 + step) / (10 + step))
        averages = [step_decay * average + (1 - step_decay) * weight for average, weight in zip(averages, weights)]
    return averages


def _fit(student, token_data, callbacks, epochs=2, validation=False, optimizers=keras.optimizers):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(student, None, alpha=0.5)
    distiller.compile(optimizer=optimizers.SGD(0.5), metrics=["accuracy"])
    start = [variable.numpy() for variable in distiller.trainable_variables]
    data = tfkd.logits_dataset(ids, labels, logits, 64)
    history = distiller.fit(data, epochs=epochs, callbacks=callbacks, verbose=0,
                            validation_data=tfkd.logits_dataset(ids[:64], labels[:64], logits[:64], 64)
                            if validation else None)
    return distiller, start, history


def test_without_validation_fit_ends_with_the_numpy_average(student, token_data):
    recorder = _Recorder()
    distiller, start, _ = _fit(student, token_data, [tfkd.WeightAveraging(0.9), recorder])
    expected = _numpy_average(start, recorder.after_steps, 0.9)
    for variable, average in zip(distiller.trainable_variables, expected):
        np.testing.assert_allclose(variable.numpy(), average, rtol=1e-5, atol=1e-6)
    # The average lags the raw weights: the model did change at the end.
    assert not np.allclose(distiller.trainable_variables[0].numpy(), recorder.after_steps[-1][0])


def test_validation_sees_the_average_and_training_resumes_from_the_raw_weights(student, token_data):
    recorder = _Recorder()
    distiller, start, history = _fit(student, token_data, [tfkd.WeightAveraging(0.9), recorder], validation=True)
    # Epoch 1 began from the raw weights of epoch 0's last step, not from the averages validated on.
    steps_per_epoch = len(recorder.after_steps) // 2
    for begun, raw in zip(recorder.at_epoch_begin[1], recorder.after_steps[steps_per_epoch - 1]):
        np.testing.assert_array_equal(begun, raw)
    # fit returns holding the last averages, and its last val_loss was measured on them.
    for variable, average in zip(distiller.trainable_variables, _numpy_average(start, recorder.after_steps, 0.9)):
        np.testing.assert_allclose(variable.numpy(), average, rtol=1e-5, atol=1e-6)
    ids, labels, logits = token_data
    evaluated = distiller.evaluate(tfkd.logits_dataset(ids[:64], labels[:64], logits[:64], 64), verbose=0,
                                   return_dict=True)
    assert evaluated["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-5)


def test_early_stopping_restores_the_best_epochs_average(student, token_data):
    averaging, recorder = tfkd.WeightAveraging(0.9), _Recorder()

    class BestEpoch(keras.callbacks.Callback):  # the weights held when each epoch's val_loss is logged
        held = []

        def on_epoch_end(self, epoch, logs=None):
            self.held.append([variable.numpy() for variable in self.model.trainable_variables])

    # mode="max" on a falling val_loss: epoch 0 is the best, so the next epoch stops and restores it.
    stop = keras.callbacks.EarlyStopping("val_loss", mode="max", patience=1, restore_best_weights=True)
    distiller, start, history = _fit(student, token_data, [stop, averaging, recorder, BestEpoch()], epochs=4,
                                     validation=True)
    epochs_run = len(history.history["val_loss"])
    assert epochs_run < 4, history.history["val_loss"]
    best = int(np.argmax(history.history["val_loss"]))
    for variable, held in zip(distiller.trainable_variables, BestEpoch.held[best]):
        np.testing.assert_array_equal(variable.numpy(), held)
    steps_per_epoch = len(recorder.after_steps) // epochs_run
    expected = _numpy_average(start, recorder.after_steps[: (best + 1) * steps_per_epoch], 0.9)
    for held, average in zip(BestEpoch.held[best], expected):
        np.testing.assert_allclose(held, average, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("decay", [-0.01, 1.0, True, "0.9"], ids=["below-0", "1", "bool", "string"])
def test_a_decay_outside_0_1_is_named(decay):
    with pytest.raises(ValueError, match=rf"`decay` must be a number in \[0, 1\); received decay={decay!r}"):
        tfkd.WeightAveraging(decay)


@pytest.mark.parametrize("decay", [0.0, 0.999], ids=["0", "0.999"])
def test_decays_inside_the_range_are_kept(decay):
    assert tfkd.WeightAveraging(decay).decay == decay


def test_a_keras3_students_fit_ends_with_the_numpy_average_too(token_data):
    from tfkd._keras import keras3

    keras3().utils.set_random_seed(0)
    student = tfkd.students.build("cnn", 50, 16, 2, keras_version=3)
    recorder = _Recorder()  # a tf_keras callback: Keras 3's fit calls it the same way
    distiller, start, _ = _fit(student, token_data, [tfkd.WeightAveraging(0.9), recorder],
                               optimizers=keras3().optimizers)
    assert isinstance(distiller, tfkd.distill.Keras3Distiller)
    expected = _numpy_average(start, recorder.after_steps, 0.9)
    for variable, average in zip(distiller.trainable_variables, expected):
        np.testing.assert_allclose(variable.numpy(), average, rtol=1e-5, atol=1e-6)
