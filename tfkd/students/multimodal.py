"""Multimodal student: token ids plus an image and/or audio features, fused late."""

from tfkd._checks import check_integer
from tfkd._keras import keras

TEXT_INPUT, IMAGE_INPUT, AUDIO_INPUT = "token_ids", "image", "audio"


def build_multimodal(vocabulary_size, sequence_length, num_classes, image_shape=(16, 16, 1), audio_shape=None,
                     embedding_dim=32, filters=16, dropout=0.3, name="multimodal_student"):
    """A late-fusion student over text and an image and/or audio, returning logits.

    Each modality has a small branch that ends in a vector; the vectors are
    concatenated and one Dense layer gives the logits:
    text (`"token_ids"`, int32 [sequence_length]) -> Embedding -> Conv1D ->
    max pool; image (`"image"`, float32 [height, width, channels], e.g. a
    downscaled photo) -> two strided Conv2D -> flatten; audio (`"audio"`,
    float32 [frames, bins], e.g. a log-mel spectrogram) -> Conv1D over time
    -> max pool. Every op (Conv1D runs as CONV_2D) is in TFLM's built-ins, so
    the int8 file runs on a microcontroller. Feed it a dict keyed by the
    input names; `tfkd.convert`, `TFLiteModel`, `MicroModel` and
    `TFLiteBenchmark` take the same dicts.

    Args:
        vocabulary_size: int, embedding rows.
        sequence_length: int, ids per example.
        num_classes: int, logits per example.
        image_shape: tuple (height, width, channels) or None (no image input). Default (16, 16, 1).
        audio_shape: tuple (frames, bins) or None (default: no audio input).
        embedding_dim: int, default 32.
        filters: int, filters per convolution. Default 16.
        dropout: float, before the logits. Default 0.3.

    Returns:
        An uncompiled `tf_keras.Model` with inputs named as above.

    Raises:
        ValueError: neither `image_shape` nor `audio_shape`, or a size below 1.

    Example:
        >>> model = build_multimodal(50, 16, 4, image_shape=(16, 16, 1), audio_shape=(20, 8))
        >>> sorted(model.input_names)
        ['audio', 'image', 'token_ids']
    """
    if image_shape is None and audio_shape is None:
        raise ValueError("a multimodal student needs `image_shape` or `audio_shape` (or both); received neither")
    image_shape = _checked_shape("image_shape", image_shape, 3)
    audio_shape = _checked_shape("audio_shape", audio_shape, 2)
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name=TEXT_INPUT)
    text = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(ids)
    text = keras.layers.Conv1D(filters, 3, activation="relu", name="text_conv")(text)
    inputs, branches = {TEXT_INPUT: ids}, [keras.layers.GlobalMaxPooling1D(name="text_pool")(text)]
    if image_shape is not None:
        image = keras.Input(shape=image_shape, name=IMAGE_INPUT)
        hidden = keras.layers.Conv2D(filters, 3, strides=2, activation="relu", name="image_conv_1")(image)
        hidden = keras.layers.Conv2D(filters, 3, strides=2, activation="relu", name="image_conv_2")(hidden)
        inputs[IMAGE_INPUT] = image
        # Flatten, not global pooling: where something is in the picture can matter.
        branches.append(keras.layers.Flatten(name="image_features")(hidden))
    if audio_shape is not None:
        audio = keras.Input(shape=audio_shape, name=AUDIO_INPUT)
        hidden = keras.layers.Conv1D(filters, 3, activation="relu", name="audio_conv")(audio)
        inputs[AUDIO_INPUT] = audio
        branches.append(keras.layers.GlobalMaxPooling1D(name="audio_pool")(hidden))
    features = keras.layers.Concatenate(name="fusion")(branches)
    features = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(features)
    # Dict inputs: the converter and interpreters match arrays to inputs by name, not position.
    return keras.Model(inputs, logits, name=name)


def _checked_shape(name, shape, rank):
    if shape is None:
        return None
    if not isinstance(shape, (tuple, list)) or len(shape) != rank:
        raise ValueError(f"`{name}` must be a tuple of {rank} positive integers or None; received {name}={shape!r}")
    return tuple(check_integer(name, size, 1) for size in shape)
