"""tfkd.compress.quantization_aware: every zoo student QAT-trains (inside Distiller too) and converts to full int8."""

import warnings

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, keras3
from tfkd.compress import (cluster, compression_report, pruning_callbacks, quantize_aware, quantize_scope,
                           strip_clustering, strip_pruning)
from tfkd.compress.compression_report import tflite_constants
from tfkd.convert import TFLiteModel


def _fit(model, token_data, epochs=6, learning_rate=0.01):
    ids, labels, logits = token_data
    distiller = tfkd.Distiller(model, alpha=0.5)
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=epochs, verbose=0)
    return model


def _int8_file(model, token_data):
    return tfkd.convert(model, "int8", representative_data=token_data[0][:64])


@pytest.mark.parametrize("architecture, float_layers", [
    ("average_embedding", []), ("cnn", []), ("bilstm", ["bilstm"]), ("transformer", ["positions", "attention_0"]),
], ids=["average_embedding", "cnn", "bilstm", "transformer"])
def test_every_zoo_student_qat_trains_while_distilling_and_converts_to_full_int8(token_data, architecture,
                                                                                 float_layers):
    ids, labels, _ = token_data
    keras.utils.set_random_seed(0)
    student = _fit(tfkd.students.build(architecture, 50, 16, 2), token_data, epochs=8)  # QAT fine-tunes a trained model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        qat = quantize_aware(student)
    named = [str(w.message) for w in caught if "stay float" in str(w.message)]
    assert (named[0].endswith(str(float_layers)) if float_layers else not named), named
    assert not any(type(layer).__name__ == "QuantizeLayer" for layer in qat.layers)  # int32 ids are left alone
    wrapped = {layer.layer.name for layer in qat.layers if hasattr(layer, "quantize_config")}
    assert "embedding" in wrapped and "logits" in wrapped
    _fit(qat, token_data, epochs=2, learning_rate=1e-3)
    keras_logits = qat.predict(ids, verbose=0)
    assert (keras_logits.argmax(-1) == labels).mean() > 0.9  # it still solves the task with fake quantization on
    content = _int8_file(qat, token_data)
    interpreter = TFLiteModel(content).interpreter
    floats = [detail["name"] for detail in interpreter.get_tensor_details() if detail["dtype"] not in (np.int8, np.int32)]
    assert not floats, floats
    litert = TFLiteModel(content).predict(ids)
    assert (litert.argmax(-1) == keras_logits.argmax(-1)).mean() >= 0.95


def test_qat_learns_ranges_and_leaves_the_input_model_alone(student, token_data):
    before = [weight.copy() for weight in student.get_weights()]
    qat = quantize_aware(student)
    conv = next(layer for layer in qat.layers if getattr(layer, "layer", None) is not None and layer.layer.name == "conv_3")
    ranges = {weight.name: weight.numpy().copy() for weight in conv.weights if "_max" in weight.name}
    _fit(qat, token_data, epochs=1)
    moved = [name for name, value in ranges.items() if not np.allclose(value, conv.get_weights()[
        [weight.name for weight in conv.weights].index(name)])]
    assert moved  # the fake-quant ranges trained, i.e. quantization ran inside Distiller.train_step
    assert all(np.array_equal(a, b) for a, b in zip(before, student.get_weights()))


def test_saved_qat_model_loads_in_quantize_scope_with_the_same_outputs(student, token_data, tmp_path):
    qat = _fit(quantize_aware(student), token_data, epochs=1)
    path = tmp_path / "qat.h5"
    qat.save(path)
    with quantize_scope():
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(token_data[0], verbose=0), qat.predict(token_data[0], verbose=0),
                               atol=1e-5)


def _zero_share_of_largest_weight(content):
    table = max(tflite_constants(content), key=lambda values: values.size)  # the embedding table
    return float(np.mean(table == 0)), int(np.unique(table).size)


def test_pruning_preserving_qat_keeps_the_zeros_that_plain_qat_loses(student, token_data):
    ids, labels, logits = token_data
    pruned = tfkd.prune(student, 0.75, end_step=8, frequency=1)
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(ids, labels, batch_size=32, epochs=2, callbacks=pruning_callbacks(), verbose=0)
    stripped = strip_pruning(pruned)
    kept = _zero_share_of_largest_weight(_int8_file(_fit(quantize_aware(stripped, "sparsity"), token_data, 2),
                                                    token_data))[0]
    lost = _zero_share_of_largest_weight(_int8_file(_fit(quantize_aware(stripped), token_data, 2), token_data))[0]
    assert kept >= 0.74
    assert lost < kept - 0.1  # without the mask, training moves the zeros


def test_cluster_preserving_qat_keeps_the_clusters(student, token_data):
    clustered = strip_clustering(_fit(cluster(student, number_of_clusters=8), token_data, epochs=1))
    cqat = _fit(quantize_aware(clustered, "clusters"), token_data, epochs=2)
    content = _int8_file(cqat, token_data)
    assert _zero_share_of_largest_weight(content)[1] <= 8
    assert compression_report(cqat)["parameters"] == student.count_params()  # centroids and indices are not
    plain = _int8_file(_fit(quantize_aware(clustered), token_data, epochs=2), token_data)
    assert _zero_share_of_largest_weight(plain)[1] > 8


def test_report_of_a_qat_model_counts_weights_not_ranges(student, token_data):
    qat = quantize_aware(student)
    report = compression_report(qat, {"int8": _int8_file(qat, token_data)})
    assert report["parameters"] == student.count_params()
    assert report["files"]["int8"]["bytes"] < 0.5 * len(tfkd.convert(student, "float32"))


def test_unknown_preserve_is_named(student):
    with pytest.raises(ValueError, match=r"`preserve` must be one of \[None, 'sparsity', 'clusters', "
                                         r"'sparse_clusters'\]; received preserve='zeros'"):
        quantize_aware(student, preserve="zeros")


def test_keras3_model_is_refused():
    k3 = keras3()
    with pytest.raises(TypeError, match=r"only wrap tf_keras .* Keras 3 model\. For a Keras 3 student use "
                                        r"post-training quantization instead"):
        quantize_aware(k3.Sequential([k3.Input((4,)), k3.layers.Dense(2)]))


def test_cluster_preserving_qat_of_a_recurrent_student_is_refused_at_conversion_naming_why(token_data):
    keras.utils.set_random_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clustered = strip_clustering(cluster(tfkd.students.build("bilstm", 50, 16, 2), number_of_clusters=4))
        cqat = quantize_aware(clustered, "clusters")
    with pytest.raises(ValueError, match=r"recurrent layers \['bilstm'\] unrolled.*Use preserve='sparsity'"):
        _int8_file(cqat, token_data)


def test_pruning_preserving_qat_freezes_a_pruned_float_bilstm_so_its_zeros_survive(token_data):
    keras.utils.set_random_seed(0)
    pruned = tfkd.prune(tfkd.students.build("bilstm", 50, 16, 2), 0.75, end_step=8, frequency=1)
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(token_data[0], token_data[1], batch_size=32, epochs=1, callbacks=pruning_callbacks(), verbose=0)
    stripped = strip_pruning(pruned)
    with pytest.warns(UserWarning, match=r"hold pruned zeros that QAT cannot preserve.*\['bilstm'\]"):
        pqat = quantize_aware(stripped, "sparsity")
    _fit(pqat, token_data, epochs=1)
    kernels = [weight.numpy() for weight in pqat.get_layer("bilstm").weights if weight.shape.rank == 2]
    assert len(kernels) == 4 and all(np.mean(kernel == 0) >= 0.74 for kernel in kernels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = quantize_aware(stripped)  # plain QAT trains the layer, and says nothing of freezing
    assert pqat.get_layer("bilstm").trainable is False and plain.get_layer("bilstm").trainable is True
    assert not any("frozen" in str(w.message) for w in caught)
