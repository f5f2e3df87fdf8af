"""tfkd.convert.onnx_export: every zoo student exports to ONNX and runs in ONNX Runtime like Keras."""

import pytest

import tfkd
from tfkd.convert import export_onnx
from tfkd.convert.onnx_export import check_onnx
from tests.conftest import NUM_CLASSES, SEQUENCE_LENGTH, VOCABULARY_SIZE


@pytest.mark.parametrize("architecture", sorted(tfkd.students.STUDENTS))
def test_each_student_matches_keras_in_onnx_runtime(architecture, token_data, tmp_path):
    ids, _, _ = token_data
    student = tfkd.students.build(architecture, VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES)
    content = export_onnx(student, tmp_path / "student.onnx", check_inputs=ids[:8])
    assert (tmp_path / "student.onnx").read_bytes() == content
    # The batch axis is dynamic: 3 and 8 examples both run.
    assert check_onnx(content, student, ids[:3], atol=1e-4) < 1e-4


def test_a_wrong_model_fails_the_check_and_files_are_kept(student, token_data, tmp_path):
    ids, _, _ = token_data
    other = tfkd.students.build("cnn", VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES, name="other")
    with pytest.raises(ValueError, match=r"ONNX Runtime's outputs differ from Keras's by up to .*, above atol=0.0001"):
        check_onnx(export_onnx(other), student, ids[:8], atol=1e-4)
    path = tmp_path / "student.onnx"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="student.onnx already exists"):
        export_onnx(student, path)
    assert path.read_bytes() == b"mine"


def test_a_keras_3_model_is_refused_by_name():
    from tfkd._keras import keras3

    inputs = keras3().Input((4,))
    with pytest.raises(TypeError, match="export_onnx takes a tf_keras model; received a keras"):
        export_onnx(keras3().Model(inputs, keras3().layers.Dense(2)(inputs)))
