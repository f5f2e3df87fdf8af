"""tfkd.convert.tflite_model: a file that is not a flatbuffer is refused by path."""

import pytest

import tfkd


def test_truncated_file_is_refused_naming_the_path(student, tmp_path):
    path = tmp_path / "cut.tflite"
    path.write_bytes(tfkd.convert(student, "float32")[:6])
    with pytest.raises(ValueError, match=r"cut.tflite is not a TFLite flatbuffer .*6 bytes"):
        tfkd.TFLiteModel(path)


def test_wrong_magic_is_refused(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07\x12\x04onnxsomething-else")
    with pytest.raises(ValueError, match=r"model.onnx is not a TFLite flatbuffer \(expected identifier b'TFL3'"):
        tfkd.TFLiteModel(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.tflite does not exist"):
        tfkd.TFLiteModel(tmp_path / "gone.tflite")
