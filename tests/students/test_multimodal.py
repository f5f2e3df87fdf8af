"""tfkd.students.multimodal: several inputs in, logits out, converted with dict inputs for LiteRT and TFLM."""

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.convert import MicroModel, verify_conversion
from tests.conftest import assert_same_predictions


@pytest.fixture(scope="module")
def trained():
    """A text + image + audio student trained on generated data (8 classes, one bit per modality)."""
    keras.utils.set_random_seed(0)
    inputs, labels = tfkd.data.synthetic_multimodal(1200, modalities=("token_ids", "image", "audio"))
    model = tfkd.students.build_multimodal(50, 16, 8, image_shape=(16, 16, 1), audio_shape=(20, 8))
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(inputs, labels, epochs=8, batch_size=32, verbose=0)
    return model, inputs, labels


def test_inputs_are_named_by_modality_and_optional():
    both = tfkd.students.build_multimodal(50, 16, 4, image_shape=(8, 8, 3), audio_shape=(10, 6))
    assert sorted(both.input_names) == ["audio", "image", "token_ids"] and both.output_shape == (None, 4)
    audio_only = tfkd.students.build_multimodal(50, 16, 2, image_shape=None, audio_shape=(10, 6))
    assert sorted(audio_only.input_names) == ["audio", "token_ids"]


@pytest.mark.parametrize("arguments, message", [
    ({"image_shape": None, "audio_shape": None}, "needs `image_shape` or `audio_shape` .*received neither"),
    ({"image_shape": (16, 16)}, r"`image_shape` must be a tuple of 3 positive integers or None; received "
                                r"image_shape=\(16, 16\)"),
    ({"audio_shape": (20, 0)}, r"`audio_shape` must be an integer >= 1; received audio_shape=0"),
], ids=["no-other-modality", "image-rank", "audio-zero"])
def test_bad_shapes_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.students.build_multimodal(50, 16, 2, **arguments)


def test_it_learns_what_no_single_modality_tells(trained):
    model, _, _ = trained
    inputs, labels = tfkd.data.synthetic_multimodal(400, modalities=("token_ids", "image", "audio"), seed=1)
    accuracy = np.mean(model.predict(inputs, verbose=0).argmax(-1) == labels)
    # One modality alone caps accuracy at 1/4 (two of three bits unknown); 10% noise per modality caps all at ~0.9**3.
    assert accuracy >= 0.6, accuracy


def test_save_load_round_trip(trained, tmp_path):
    model, inputs, _ = trained
    model.save(tmp_path / "multimodal.keras")
    sample = {name: value[:16] for name, value in inputs.items()}
    assert_same_predictions(model, keras.models.load_model(tmp_path / "multimodal.keras"), sample)


def test_int8_file_with_three_inputs_runs_in_litert_and_tflm(trained):
    model, inputs, _ = trained
    flatbuffer = tfkd.convert(model, "int8", inputs, num_samples=100)
    micro = MicroModel(flatbuffer)
    micro.check_ops()  # raises unless every op is a TFLM built-in
    assert {"CONV_2D", "CONCATENATION", "RESHAPE"} <= {op for op, _ in micro.ops()}
    validation, _ = tfkd.data.synthetic_multimodal(100, modalities=("token_ids", "image", "audio"), seed=2)
    report = verify_conversion(model, flatbuffer, validation, micro=True, min_agreement=0.9)
    assert report["litert"]["top1_agreement"] >= 0.9 and report["tflm_vs_litert_agreement"] >= 0.99
    shapes = sorted(shape for shape, _ in tfkd.TFLiteModel(flatbuffer).input_shapes().values())
    assert shapes == [(1, 16), (1, 16, 16, 1), (1, 20, 8)]
    assert micro.arena_bytes() > 0
