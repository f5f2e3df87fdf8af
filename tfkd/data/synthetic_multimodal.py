"""`synthetic_multimodal`: generated text + image + audio examples whose label needs every modality.

No real multimodal dataset is reachable offline, so tfkd's multimodal tests,
benchmark and notebook use this generator. It is a test bed for the wiring
(several inputs, one teacher per modality, conversion), not evidence about
real images or sounds.
"""

import numpy as np

from tfkd._checks import check_integer
from tfkd.students.multimodal import AUDIO_INPUT, IMAGE_INPUT, TEXT_INPUT

MODALITIES = (TEXT_INPUT, IMAGE_INPUT, AUDIO_INPUT)
FIRST_WORD = 2  # ids 0 and 1 are padding and unknown, as in TextVectorizer


def synthetic_multimodal(examples, modalities=(TEXT_INPUT, IMAGE_INPUT), vocabulary_size=50, sequence_length=16,
                         image_shape=(16, 16, 1), audio_shape=(20, 8), noise=0.1, seed=0):
    """Examples where each modality carries one bit of the label.

    With m modalities there are 2**m classes; the label's bit i comes from
    modality i alone: the text holds one of two cue words among random
    filler ids (cue sets: the first two and the next two word ids), the
    image a bright square in its left or right half over Gaussian noise, the
    audio energy in its low or high frequency bins over noise. A model that
    sees one modality can tell only its bit (at best 2**-(m-1) accuracy
    on the full label); one that sees all can tell the class. With
    probability `noise` a modality's cue is left out (it shows pure filler
    or noise), so no modality is perfect.

    Args:
        examples: int, how many.
        modalities: tuple of names from ("token_ids", "image", "audio"), each once, in bit order.
            Default ("token_ids", "image").
        vocabulary_size: int >= 8, token ids in [0, vocabulary_size). Default 50.
        sequence_length: int, default 16.
        image_shape: (height, width, channels), default (16, 16, 1).
        audio_shape: (frames, bins), default (20, 8); bins >= 2.
        noise: float in [0, 1), chance that a modality's cue is missing. Default 0.1.
        seed: int, default 0.

    Returns:
        (inputs, labels): dict name -> float32/int32 array [examples, ...], int32 labels [examples].

    Raises:
        ValueError: an unknown or repeated modality, a size or noise out of range.

    Example:
        >>> inputs, labels = synthetic_multimodal(100, modalities=("token_ids", "image", "audio"))
        >>> inputs["image"].shape, labels.max()
        ((100, 16, 16, 1), 7)
    """
    modalities = tuple(modalities)
    if not modalities or len(set(modalities)) != len(modalities) or not set(modalities) <= set(MODALITIES):
        raise ValueError(f"`modalities` must name each of {list(MODALITIES)} at most once, at least one; "
                         f"received modalities={modalities!r}")
    examples = check_integer("examples", examples, 1)
    check_integer("vocabulary_size", vocabulary_size, 8)
    if not 0.0 <= noise < 1.0:
        raise ValueError(f"`noise` must be in [0, 1); received noise={noise!r}")
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (examples, len(modalities)))
    generators = {TEXT_INPUT: lambda bit, cue: _text(rng, bit, cue, vocabulary_size, sequence_length),
                  IMAGE_INPUT: lambda bit, cue: _image(rng, bit, cue, image_shape),
                  AUDIO_INPUT: lambda bit, cue: _audio(rng, bit, cue, audio_shape)}
    inputs = {}
    for column, name in enumerate(modalities):
        cues = rng.random(examples) >= noise
        inputs[name] = generators[name](bits[:, column], cues)
    labels = (bits * (2 ** np.arange(len(modalities)))).sum(axis=1).astype("int32")
    return inputs, labels


def _text(rng, bit, cue, vocabulary_size, sequence_length):
    # Filler ids start after the four cue words, so a missing cue leaves no trace.
    ids = rng.integers(FIRST_WORD + 4, vocabulary_size, (len(bit), sequence_length)).astype("int32")
    positions = rng.integers(0, sequence_length, len(bit))
    words = FIRST_WORD + 2 * bit + rng.integers(0, 2, len(bit))
    rows = np.flatnonzero(cue)
    ids[rows, positions[rows]] = words[rows]
    return ids


def _image(rng, bit, cue, shape):
    height, width = (check_integer("image_shape", size, 4) for size in shape[:2])
    channels = check_integer("image_shape", shape[2], 1)
    images = rng.normal(0.0, 0.3, (len(bit), height, width, channels)).astype("float32")
    size = max(2, min(height, width) // 4)
    for row in np.flatnonzero(cue):
        top = rng.integers(0, height - size + 1)
        left = rng.integers(0, width // 2 - size + 1) + (width // 2 if bit[row] else 0)
        images[row, top:top + size, left:left + size, :] += 1.0
    return images


def _audio(rng, bit, cue, shape):
    frames, bins = (check_integer("audio_shape", size, 2) for size in shape)
    audio = rng.normal(0.0, 0.3, (len(bit), frames, bins)).astype("float32")
    half = bins // 2
    for row in np.flatnonzero(cue):
        start = rng.integers(0, frames // 2)
        band = slice(half, bins) if bit[row] else slice(0, half)
        audio[row, start:start + frames // 2, band] += 1.0
    return audio
