"""tfkd.compress.pruning: a short run really reaches its sparsity, inside Distiller.fit too."""

import re
import warnings

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3
from tfkd.compress import pruning_callbacks, sparsity_report, strip_pruning
from tfkd.compress.pruning import first_epoch_at_target, pruning_steps


@pytest.mark.parametrize("target", [0.5, 0.9])
def test_short_distillation_run_reaches_target_sparsity_in_every_layer(student, token_data, target):
    ids, labels, logits = token_data
    data = tfkd.logits_dataset(ids, labels, logits, 32)  # 8 steps per epoch
    pruned = tfkd.prune(student, target, steps_per_epoch=8, epochs=2)
    distiller = tfkd.Distiller(pruned)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    distiller.fit(data, epochs=2, callbacks=pruning_callbacks(), verbose=0)
    report = sparsity_report(strip_pruning(distiller.student))
    assert {row["layer"] for row in report} >= {"embedding", "conv_3", "logits"}  # the table is pruned too
    for row in report:
        assert row["sparsity"] == pytest.approx(target, abs=0.01), row


def test_only_the_named_layers_are_pruned(student, token_data):
    ids, labels, logits = token_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the layers left dense by choice are not warned about
        pruned = tfkd.prune(student, 0.75, steps_per_epoch=8, epochs=1, layers=["embedding"])
    distiller = tfkd.Distiller(pruned)
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, callbacks=pruning_callbacks(), verbose=0)
    sparsity = {row["layer"]: row["sparsity"] for row in sparsity_report(strip_pruning(distiller.student))}
    assert sparsity["embedding"] == pytest.approx(0.75, abs=0.01)
    assert sparsity["conv_3"] == 0.0 and sparsity["logits"] == 0.0


@pytest.mark.parametrize("layers, message", [
    (["nowhere"], "the model 'transformer_student' has no layer named 'nowhere'"),
    (["logits", "positions"], r"layer 'positions' of 'transformer_student' cannot be pruned by TF-MOT; "
                              r"received layers=\['logits', 'positions'\]"),
], ids=["missing", "custom-layer"])
def test_layers_that_cannot_be_pruned_are_named(layers, message):
    transformer = tfkd.students.build("transformer", 50, 16, 2)
    with pytest.raises(ValueError, match=message):
        tfkd.prune(transformer, 0.5, end_step=4, layers=layers)


def test_transformer_layers_tf_mot_cannot_prune_stay_dense_and_are_named(token_data):
    ids, labels, logits = token_data
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("transformer", 50, 16, 2)
    with pytest.warns(UserWarning, match="these layers stay dense") as caught:
        pruned = tfkd.prune(student, 0.5, steps_per_epoch=8, epochs=1)
    named = str(caught[0].message)
    assert named.endswith("['positions']"), named  # PositionEmbedding is tfkd's own layer; attention prunes
    distiller = tfkd.Distiller(pruned)
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, callbacks=pruning_callbacks(), verbose=0)
    sparsity = {row["layer"]: row["sparsity"] for row in sparsity_report(strip_pruning(distiller.student))}
    assert sparsity["embedding"] == pytest.approx(0.5, abs=0.01)  # the table, most of the weights, is pruned
    assert sparsity["positions"] < 0.1


def test_bidirectional_lstm_kernels_are_pruned_in_both_directions(token_data, tmp_path):
    ids, labels, logits = token_data
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("bilstm", 50, 16, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing stays dense
        pruned = tfkd.prune(student, 0.75, steps_per_epoch=8, epochs=2)
    np.testing.assert_allclose(pruned.predict(ids[:8], verbose=0), student.predict(ids[:8], verbose=0),
                               atol=1e-6)  # the trained weights came along into the prunable copy
    distiller = tfkd.Distiller(pruned)
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=2, callbacks=pruning_callbacks(), verbose=0)
    stripped = strip_pruning(distiller.student)
    assert type(stripped.get_layer("bilstm")) is keras.layers.Bidirectional
    rows = [row for row in sparsity_report(stripped) if row["layer"] == "bilstm"]
    names = sorted(re.sub(r"_\d+$", "", row["weight"].split("/")[1]) + "/" + row["weight"].split("/")[-1]
                   for row in rows)  # layer names get a _1 suffix when the process built an LSTM before
    assert names == ["backward_lstm/kernel:0", "backward_lstm/recurrent_kernel:0",
                     "forward_lstm/kernel:0", "forward_lstm/recurrent_kernel:0"]
    assert all(row["sparsity"] == pytest.approx(0.75, abs=0.01) for row in rows), rows
    stripped.save(tmp_path / "pruned.keras")
    loaded = keras.models.load_model(tmp_path / "pruned.keras")  # plain layers: no tfkd or TF-MOT scope
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), stripped.predict(ids, verbose=0), atol=1e-5)


def test_two_four_structure_in_dense_and_embedding_layers(token_data):
    ids, labels, logits = token_data
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("average_embedding", 50, 16, 2)
    pruned = tfkd.prune(student, 0.5, end_step=4, frequency=1, schedule="constant", structure="2:4")
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(ids[:128], labels[:128], batch_size=32, epochs=1, callbacks=pruning_callbacks(), verbose=0)
    stripped = strip_pruning(pruned)
    for name, weight in (("hidden", "kernel"), ("embedding", "embeddings")):
        values = getattr(stripped.get_layer(name), weight).numpy()
        # TF-MOT groups 4 consecutive weights along the first axis: at most 2 non-zero in each group
        # (the table's 50 rows leave 2 rows outside any group of 4).
        blocks = values[:len(values) // 4 * 4].reshape(-1, 4, values.shape[1])
        assert (np.count_nonzero(blocks, axis=1) <= 2).all(), name
        assert (np.count_nonzero(blocks, axis=1) == 2).mean() > 0.9, name


def test_two_four_leaves_conv1d_dense_with_a_warning(student):
    with pytest.warns(UserWarning, match=r"TF-MOT cannot prune them m-by-n\): \['conv_3', 'conv_4', 'conv_5'\]"):
        tfkd.prune(student, 0.5, end_step=4, frequency=1, structure="2:4")


@pytest.mark.parametrize("structure", ["4:2", "2-4", "0:4"], ids=["m-above-n", "dash", "zero"])
def test_bad_structure_is_named(student, structure):
    with pytest.raises(ValueError, match=f"`structure` must be 'm:n' with 0 < m < n, e.g. '2:4', or None; "
                                         f"received structure='{structure}'"):
        tfkd.prune(student, 0.5, end_step=4, structure=structure)


def test_constant_schedule_and_original_model_untouched(student, token_data):
    ids, labels, _ = token_data
    before = [w.copy() for w in student.get_weights()]
    pruned = tfkd.prune(student, 0.6, end_step=4, frequency=1, schedule="constant")
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(ids[:128], labels[:128], batch_size=32, epochs=1, callbacks=pruning_callbacks(), verbose=0)
    assert all(row["sparsity"] == pytest.approx(0.6, abs=0.01) for row in sparsity_report(strip_pruning(pruned)))
    assert all(np.array_equal(a, b) for a, b in zip(before, student.get_weights()))


def test_schedule_end_lands_on_a_pruning_step():
    # TF-MOT prunes only when (step - begin) % frequency == 0; end must be such a step.
    assert pruning_steps(0, None, None, steps_per_epoch=10, epochs=3) == (0, 20, 2)
    assert pruning_steps(5, 28, 5, None, None) == (5, 25, 5)


@pytest.mark.parametrize("sparsity, ok", [(-0.01, False), (0.0, True), (0.99, True), (1.0, False)],
                         ids=["-0.01", "0", "0.99", "1"])
def test_sparsity_boundaries(student, sparsity, ok):
    if ok:
        tfkd.prune(student, sparsity, end_step=10)
    else:
        with pytest.raises(ValueError, match=rf"`target_sparsity` must be in \[0, 1\); received target_sparsity={sparsity}"):
            tfkd.prune(student, sparsity, end_step=10)


def test_begin_not_before_end_is_refused(student):
    with pytest.raises(ValueError, match="need 0 <= begin_step < end_step; received begin_step=10, end_step=10"):
        tfkd.prune(student, 0.5, begin_step=10, end_step=10)
    with pytest.raises(ValueError, match="give `end_step`, or `steps_per_epoch` and `epochs`"):
        tfkd.prune(student, 0.5)


def test_keras3_model_is_refused_with_what_to_use_instead():
    k3 = keras3()
    model = k3.Sequential([k3.Input((4,)), k3.layers.Dense(2)], name="k3_student")
    with pytest.raises(TypeError, match=r"only wrap tf_keras \(Keras 2\) models; 'k3_student' is a Keras 3 model\. "
                                        r"For a Keras 3 student use post-training quantization instead: "
                                        r"tfkd.convert\(model, 'int8'.*tfkd.students.build"):
        tfkd.prune(model, 0.5, end_step=10)


def test_subclassed_model_is_refused():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Custom()
    model(np.zeros((1, 4), "float32"))
    with pytest.raises(TypeError, match="cannot wrap the subclassed model .* functional or Sequential"):
        tfkd.prune(model, 0.5, end_step=10)


@pytest.mark.parametrize("steps_per_epoch, epochs, first", [(10, 4, 2), (10, 1, 0), (91, 4, 2), (3, 10, 6)])
def test_the_first_epoch_at_the_target_sparsity(steps_per_epoch, epochs, first):
    # The schedule ends at 70% of the steps, moved down to a pruning step; that step's epoch is the first.
    _, end_step, _ = pruning_steps(0, None, None, steps_per_epoch, epochs)
    assert first_epoch_at_target(steps_per_epoch, epochs) == first
    assert first * steps_per_epoch < end_step <= (first + 1) * steps_per_epoch
