"""tfkd.convert.tflite_model: a file that is not a flatbuffer, or that crashes LiteRT, is refused by path."""

import subprocess

import numpy as np
import pytest

import tfkd
from tfkd.convert import tflite_model


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


def _output_written_over_the_input(flatbuffer, operator=1):
    """A structurally valid file whose op `operator` writes into the model's input tensor.

    LiteRT (XNNPACK off) loads it and ends the process on the first
    inference: SIGSEGV or SIGABRT, depending on the weights (found by
    corrupting each op's fields in turn; the issue's bit-flip fuzzing met the same).
    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    model.subgraphs[0].operators[operator].outputs = np.array([model.subgraphs[0].inputs[0]], np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


@pytest.fixture
def int8_cnn(student):
    return tfkd.convert(student, "int8", np.random.default_rng(0).integers(0, 50, (20, 16)).astype("int32"))


def test_a_file_that_crashes_the_interpreter_is_refused_naming_it(int8_cnn, tmp_path):
    path = tmp_path / "flipped.tflite"
    path.write_bytes(_output_written_over_the_input(int8_cnn))
    with pytest.raises(ValueError, match=r"flipped.tflite crashes the LiteRT interpreter \(signal \d+\)"):
        tfkd.TFLiteModel(path, use_xnnpack=False)
    with pytest.raises(ValueError, match=r"flipped.tflite crashes the LiteRT interpreter"):
        tfkd.convert.MicroModel(path).arena_bytes()


def test_the_probe_runs_once_per_file_and_resolver_and_not_for_converted_files(int8_cnn, monkeypatch):
    calls = []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append(args) or real_run(*args, **kwargs))
    tfkd.TFLiteModel(int8_cnn, use_xnnpack=False)  # written by tfkd.convert in this process: no probe
    assert calls == []
    monkeypatch.setattr(tflite_model, "_SAFE", set())  # forget every file probed or converted before
    other = tfkd.convert.strip_tensor_names(int8_cnn)  # computes the same; not written by tfkd.convert
    for _ in range(2):
        tfkd.TFLiteModel(other)
    tfkd.TFLiteModel(other, use_xnnpack=False)
    assert len(calls) == 2


def test_a_hanging_probe_is_reported_not_waited_for(int8_cnn, monkeypatch):
    monkeypatch.setattr(tflite_model, "_PROBE", "import time; time.sleep(30)")
    monkeypatch.setattr(tflite_model, "PROBE_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(tflite_model, "_SAFE", set())
    with pytest.raises(ValueError, match=r"<bytes>: the LiteRT interpreter did not finish one inference within 1 s"):
        tfkd.TFLiteModel(int8_cnn)


def test_a_file_litert_refuses_is_named(int8_cnn, tmp_path):
    damaged = bytearray(int8_cnn)
    damaged[-1] ^= 1  # the first op loses an input (BATCH_TO_SPACE_ND: 2 inputs instead of 3)
    path = tmp_path / "damaged.tflite"
    path.write_bytes(damaged)
    with pytest.raises(ValueError, match=r"LiteRT cannot load .*damaged.tflite: .*failed to prepare"):
        tfkd.TFLiteModel(path)
