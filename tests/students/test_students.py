"""tfkd.students: every zoo student builds, trains and converts to full int8."""

import numpy as np
import pytest

import tfkd
from tfkd.students import STUDENTS
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE, assert_tflite_matches


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_student_outputs_logits_and_converts_to_int8(name, token_data):
    ids, _, _ = token_data
    model = tfkd.students.build(name, VOCABULARY_SIZE, SEQUENCE_LENGTH, 3)
    assert model.input.dtype == "int32" and model.output.shape[-1] == 3
    flatbuffer = tfkd.convert(model, "int8", ids)
    assert_tflite_matches(model, flatbuffer, ids[:40], atol=0.05)


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_functional_config_round_trips(name):
    model = tfkd.students.build(name, VOCABULARY_SIZE, SEQUENCE_LENGTH, 2)
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.count_params() == model.count_params()


@pytest.mark.parametrize("arguments, message", [
    (("lstm_xl", 50, 16, 2), r"Unknown student 'lstm_xl'; choose one of \['average_embedding', 'cnn'\]"),
    (("cnn", 0, 16, 2), r"`vocabulary_size` must be a positive integer; received vocabulary_size=0"),
    (("cnn", 50, 16.0, 2), r"`sequence_length` must be a positive integer; received sequence_length=16.0"),
    (("cnn", 50, 16, 0), r"`num_classes` must be a positive integer; received num_classes=0"),
], ids=["name", "vocabulary", "length-float", "classes"])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.students.build(*arguments)


def test_one_class_boundary_builds():
    assert tfkd.students.build("cnn", 1, 8, 1).output.shape[-1] == 1
    assert np.isfinite(tfkd.students.build("cnn", 1, 8, 1)(np.zeros((1, 8), "int32"))).all()
