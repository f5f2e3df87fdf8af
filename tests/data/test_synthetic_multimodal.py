"""tfkd.data.synthetic_multimodal: each modality carries exactly its bit of the label."""

import numpy as np
import pytest

from tfkd.data import synthetic_multimodal

ALL = ("token_ids", "image", "audio")


def test_shapes_dtypes_and_classes():
    inputs, labels = synthetic_multimodal(64, modalities=ALL, image_shape=(12, 10, 3), audio_shape=(6, 4), seed=1)
    assert inputs["token_ids"].shape == (64, 16) and inputs["token_ids"].dtype == np.int32
    assert inputs["image"].shape == (64, 12, 10, 3) and inputs["image"].dtype == np.float32
    assert inputs["audio"].shape == (64, 6, 4) and inputs["audio"].dtype == np.float32
    assert labels.dtype == np.int32 and set(labels) == set(range(8))
    again, again_labels = synthetic_multimodal(64, modalities=ALL, image_shape=(12, 10, 3), audio_shape=(6, 4), seed=1)
    np.testing.assert_array_equal(again_labels, labels)
    np.testing.assert_array_equal(again["image"], inputs["image"])


def test_without_noise_each_modality_alone_decodes_its_bit():
    inputs, labels = synthetic_multimodal(300, modalities=ALL, noise=0.0)
    ids = inputs["token_ids"]
    text_bit = np.where((ids == 4) | (ids == 5), 1, np.where((ids == 2) | (ids == 3), 0, -1)).max(axis=1)
    image = inputs["image"][..., 0]

    def brightest(half):  # mean of the 16 brightest pixels: the 4x4 square's, where it is
        return np.sort(half.reshape(len(half), -1), axis=1)[:, -16:].mean(axis=1)

    image_bit = (brightest(image[:, :, 8:]) > brightest(image[:, :, :8])).astype(int)
    audio = inputs["audio"]
    audio_bit = (audio[:, :, 4:].sum((1, 2)) > audio[:, :, :4].sum((1, 2))).astype(int)
    np.testing.assert_array_equal(text_bit + 2 * image_bit + 4 * audio_bit, labels)


def test_noise_removes_the_text_cue_from_about_that_share():
    inputs, _ = synthetic_multimodal(2000, modalities=("token_ids",), noise=0.3)
    missing = ~np.isin(inputs["token_ids"], [2, 3, 4, 5]).any(axis=1)
    assert missing.mean() == pytest.approx(0.3, abs=0.04)


@pytest.mark.parametrize("arguments, message", [
    ({"modalities": ("token_ids", "video")}, r"`modalities` must name each of .* received modalities=\('token_ids', 'video'\)"),
    ({"modalities": ("image", "image")}, r"received modalities=\('image', 'image'\)"),
    ({"modalities": ()}, r"received modalities=\(\)"),
    ({"noise": -0.01}, r"`noise` must be in \[0, 1\); received noise=-0.01"),
    ({"noise": 1.0}, r"`noise` must be in \[0, 1\); received noise=1.0"),
    ({"image_shape": (3, 16, 1)}, r"`image_shape` must be an integer >= 4; received image_shape=3"),
], ids=["unknown", "repeated", "none", "noise-below", "noise-one", "tiny-image"])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        synthetic_multimodal(10, **arguments)


@pytest.mark.parametrize("noise", [0.0, 0.99])
def test_noise_boundaries_are_accepted(noise):
    assert synthetic_multimodal(10, noise=noise)[1].shape == (10,)
