"""tfkd.convert.micro_model: TFLM op check, measured arena, C source, outputs equal to LiteRT's."""

import pathlib
import re

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.convert import MicroModel
from tfkd.convert.micro_model import TFLM_BUILTIN_OPS
from tests.conftest import NUM_CLASSES, SEQUENCE_LENGTH, VOCABULARY_SIZE


@pytest.fixture(scope="module")
def int8_students():
    ids = np.random.default_rng(0).integers(0, VOCABULARY_SIZE, (40, SEQUENCE_LENGTH)).astype("int32")
    keras.utils.set_random_seed(0)
    models = {name: tfkd.students.build(name, VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES)
              for name in sorted(tfkd.students.STUDENTS)}
    return ids, {name: (model, tfkd.convert(model, "int8", ids)) for name, model in models.items()}


@pytest.mark.parametrize("architecture", sorted(tfkd.students.STUDENTS))
def test_every_int8_student_runs_in_tflm_like_in_litert(int8_students, architecture):
    ids, models = int8_students
    _, flatbuffer = models[architecture]
    micro = MicroModel(flatbuffer)
    micro.check_ops()
    assert micro.flash_bytes == len(flatbuffer)
    assert 0 < micro.arena_bytes() < 1024 * 1024
    tflm, litert = micro.predict(ids), tfkd.TFLiteModel(flatbuffer).predict(ids)
    # TFLM's reference int8 kernels round differently from LiteRT's optimised ones: a few output steps at most.
    np.testing.assert_allclose(tflm, litert, atol=0.1)
    # Untrained logits are near ties; where LiteRT's margin exceeds that rounding, the class is the same.
    margin = np.abs(litert[:, 0] - litert[:, 1])
    clear = margin > 2 * np.abs(tflm - litert).max()
    assert clear.any() and np.array_equal(tflm[clear].argmax(-1), litert[clear].argmax(-1))


def test_the_arena_is_the_least_that_works(int8_students):
    from tflite_micro.python.tflite_micro import runtime

    _, models = int8_students
    micro = MicroModel(models["cnn"][1])
    arena = micro.arena_bytes()
    runtime.Interpreter.from_bytes(micro.content, arena_size=arena)  # enough
    with pytest.raises(RuntimeError, match="could not load"):
        micro._interpreter(arena - 64)  # 64 bytes less is not


@pytest.mark.parametrize("limit", [4000, 100, 10], ids=["4000", "100", "10"])
def test_an_arena_too_small_for_tflm_is_an_error_not_a_crash(int8_students, limit):
    # TFLM segfaults on these (the CNN needs about 7 KB); the child-process probe turns that into an error.
    _, models = int8_students
    with pytest.raises(ValueError, match=rf"TFLM crashed \(signal 11\) running <bytes> with a {limit:,}-byte arena; "
                                         r"the model needs a larger one: raise arena_limit"):
        MicroModel(models["cnn"][1], arena_limit=limit).arena_bytes()


@pytest.mark.parametrize("limit", [0, -1, 2.5], ids=["0", "negative", "float"])
def test_arena_limit_must_be_a_positive_integer(int8_students, limit):
    _, models = int8_students
    with pytest.raises(ValueError, match=r"`arena_limit` must be an integer >= 1; received arena_limit="):
        MicroModel(models["cnn"][1], arena_limit=limit)


def test_an_op_tflm_lacks_is_named_with_its_layer():
    inputs = keras.Input((8,), batch_size=1)
    outputs = keras.layers.Dense(2, name="logits")(keras.layers.Dense(4, activation="gelu", name="hidden")(inputs))
    micro = MicroModel(tfkd.convert(keras.Model(inputs, outputs), "float32"))
    assert ("GELU", "hidden") in micro.ops()
    with pytest.raises(ValueError, match=r"TensorFlow Lite Micro has no kernel for GELU \(from layer 'hidden'\)"):
        micro.check_ops()


def test_c_source_holds_the_bytes_length_and_arena(int8_students, tmp_path):
    _, models = int8_students
    flatbuffer = models["average_embedding"][1]
    micro = MicroModel(flatbuffer)
    header_path, source_path = micro.write_c_source(tmp_path, name="sentiment_model")
    header, source = header_path.read_text(), source_path.read_text()
    assert f"constexpr size_t sentiment_model_arena_size = {micro.arena_bytes()};" in header
    assert "alignas(16) const unsigned char sentiment_model[]" in source
    assert f"const unsigned int sentiment_model_len = {len(flatbuffer)};" in source
    body = source.split("{", 1)[1].split("}", 1)[0]
    assert bytes(int(byte, 16) for byte in re.findall(r"0x([0-9a-f]{2})", body)) == flatbuffer
    with pytest.raises(FileExistsError, match="sentiment_model.h already exists"):
        micro.write_c_source(tmp_path, name="sentiment_model")
    with pytest.raises(ValueError, match="`name` must be a C identifier; received name='2model'"):
        micro.c_source("2model", arena_bytes=1)


def test_not_a_flatbuffer_is_refused_naming_the_path(tmp_path):
    path = tmp_path / "broken.tflite"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="broken.tflite is not a TFLite flatbuffer"):
        MicroModel(path)


def test_the_op_list_matches_the_installed_tflm_runtime():
    import tflite_micro

    library = next(pathlib.Path(tflite_micro.__file__).parent.rglob("_runtime*.so")).read_bytes()
    registered = {name.decode() for name in re.findall(rb"Register_([A-Z][A-Z0-9_]+?)Ev", library)}
    assert TFLM_BUILTIN_OPS <= registered
    assert {"FULLY_CONNECTED", "CONV_2D", "GATHER", "UNIDIRECTIONAL_SEQUENCE_LSTM"} <= TFLM_BUILTIN_OPS


@pytest.mark.parametrize("shift, first, last", [
    (VOCABULARY_SIZE, VOCABULARY_SIZE, VOCABULARY_SIZE + SEQUENCE_LENGTH - 1), (None, -1, -1)],
    ids=["beyond the table", "negative"])
def test_ids_outside_the_table_are_named_in_tflm_too(int8_students, tmp_path, shift, first, last):
    # TFLM itself reports only "Interpreter invocation failed".
    ids, models = int8_students
    path = tmp_path / "cnn.tflite"
    path.write_bytes(models["cnn"][1])
    row = np.arange(SEQUENCE_LENGTH, dtype="int32")
    bad = np.full((2, SEQUENCE_LENGTH), -1, "int32") if shift is None else np.stack([row + shift] * 2)
    with pytest.raises(ValueError, match=rf"cnn.tflite: an input id is outside the model's embedding table \(ids "
                                         rf"given from {first} to {last}; the table has {VOCABULARY_SIZE} rows\)"):
        MicroModel(path).predict(bad)


@pytest.mark.parametrize("runtime", ["litert", "tflm"])
def test_ids_of_another_sequence_length_are_named_with_both_shapes(int8_students, runtime):
    ids, models = int8_students
    model = (tfkd.TFLiteModel if runtime == "litert" else MicroModel)(models["cnn"][1])
    with pytest.raises(ValueError, match=rf"takes one example of shape \[{SEQUENCE_LENGTH}\]; received shape \[8\]"):
        model.predict(ids[:2, :8])
