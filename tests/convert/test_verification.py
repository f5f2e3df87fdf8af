"""tfkd.convert.verification: conversions are checked against Keras, loudly."""

import numpy as np
import pytest

import tfkd
from tfkd.convert import verify_conversion


def test_int8_student_agrees_in_litert_and_tflm(student, token_data):
    ids, _, _ = token_data
    report = verify_conversion(student, tfkd.convert(student, "int8", ids), ids, micro=True, num_examples=60)
    assert report["examples"] == 60
    for runtime in ("litert", "tflm"):
        assert report[runtime]["top1_agreement"] >= 0.99
        assert 0 < report[runtime]["max_abs_error"] < 0.1
    assert report["tflm_vs_litert_agreement"] >= 0.99


def test_a_model_that_disagrees_fails_loudly(student, token_data):
    ids, _, _ = token_data
    other = tfkd.students.build("cnn", 50, 16, 2, name="other")
    other.set_weights(student.get_weights())
    kernel, bias = other.get_layer("logits").get_weights()
    other.get_layer("logits").set_weights([kernel[:, ::-1], bias[::-1]])  # the classes swapped
    flatbuffer = tfkd.convert(other, "float32")
    with pytest.raises(ValueError, match=r"litert agrees with Keras on the top-1 class of 0.0% of 64 examples, "
                                         r"below min_agreement=99.0%"):
        verify_conversion(student, flatbuffer, ids[:64])


def test_the_error_threshold_is_checked(student, token_data):
    ids, _, _ = token_data
    flatbuffer = tfkd.convert(student, "int8", ids)
    with pytest.raises(ValueError, match=r"litert outputs differ from Keras by up to .*, above max_abs_error=1e-09"):
        verify_conversion(student, flatbuffer, ids[:20], max_abs_error=1e-9)
    assert verify_conversion(student, tfkd.convert(student, "float32"), ids[:20], max_abs_error=1e-5)


@pytest.mark.parametrize("arguments, message", [
    ({"min_agreement": 1.01}, r"`min_agreement` must be in \[0, 1\]; received min_agreement=1.01"),
    ({"inputs": np.zeros((0, 16), "int32")}, "`inputs` is empty"),
], ids=["agreement", "empty"])
def test_bad_arguments_are_named(student, token_data, arguments, message):
    ids, _, _ = token_data
    arguments = {"inputs": ids[:4], **arguments}
    with pytest.raises(ValueError, match=message):
        verify_conversion(student, tfkd.convert(student, "float32"), **arguments)
