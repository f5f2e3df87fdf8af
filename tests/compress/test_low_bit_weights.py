"""tfkd.compress.low_bit_weights: ternary/binary weights trained through the straight-through estimator."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress import compression_report, low_bit_weights, strip_low_bit


@pytest.mark.parametrize("kind, distinct", [("ternary", 3), ("binary", 2)])
def test_distilled_low_bit_student_keeps_two_or_three_values_and_gzips_smaller(student, token_data, kind, distinct):
    ids, labels, logits = token_data
    low_bit = low_bit_weights(student, kind)
    distiller = tfkd.Distiller(low_bit)
    distiller.compile(optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"])
    before = low_bit.get_layer("quant_conv_3").weights[0].numpy().copy()
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=6, verbose=0)
    assert not np.allclose(before, low_bit.get_layer("quant_conv_3").weights[0].numpy())  # STE gradients arrive
    plain = strip_low_bit(low_bit)
    assert not any(hasattr(layer, "quantize_config") for layer in plain.layers)
    np.testing.assert_allclose(plain.predict(ids, verbose=0), low_bit.predict(ids, verbose=0), atol=1e-4)
    for name in ("embedding", "conv_3", "conv_4", "conv_5"):
        assert np.unique(plain.get_layer(name).get_weights()[0]).size <= distinct, name
    assert np.unique(plain.get_layer("logits").get_weights()[0]).size > distinct  # the output layer stays float
    assert (plain.predict(ids, verbose=0).argmax(-1) == labels).mean() > 0.9
    dense_file = tfkd.convert(student, "int8", representative_data=ids[:64])
    low_bit_file = tfkd.convert(plain, "int8", representative_data=ids[:64])
    sizes = [compression_report(model, {"int8": content})["files"]["int8"]["gzip_bytes"]
             for model, content in ((student, dense_file), (plain, low_bit_file))]
    assert sizes[1] < 0.5 * sizes[0]


def test_named_layers_only(student):
    low_bit = low_bit_weights(student, "binary", layers=["logits"])
    assert [layer.name for layer in low_bit.layers if hasattr(layer, "quantize_config")] == ["quant_logits"]


@pytest.mark.parametrize("arguments, message", [
    ({"kind": "int4"}, r"`kind` must be one of \['binary', 'ternary'\]; received kind='int4'"),
    ({"layers": ["max_pool_3"]}, "layer 'max_pool_3' is a GlobalMaxPooling1D; low_bit_weights binarises"),
    ({"layers": ["nope"]}, "has no layer named 'nope'"),
], ids=["kind", "no-kernel", "missing"])
def test_bad_input_is_named(student, arguments, message):
    with pytest.raises(ValueError, match=message):
        low_bit_weights(student, **arguments)
