"""Teacher knowledge cached on disk: run the teacher once, distill many students."""

import hashlib
import io
import pathlib

import numpy as np

from tfkd._keras import tf
from tfkd.data.cache import write_bytes_atomic
from tfkd.progress import progress


def text_keys(texts):
    """A SHA-256 per text: what cached logits are keyed to."""
    return np.array([hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] for text in texts])


def cache_teacher_logits(teacher, texts, path=None, batch_size=64, description="teacher logits"):
    """Runs `teacher` over `texts` in batches (with progress) and caches the logits.

    If `path` already holds logits for exactly these texts they are loaded
    instead of recomputed.

    Args:
        teacher: a `tfkd.teachers.TextClassifierTeacher` (batches by length
            itself), a Keras model whose `predict_on_batch` takes a list of
            texts (a keras-hub classifier with its preprocessor), or any
            callable mapping a list of texts to logits [batch, classes].
        texts: sequence of str.
        path: str, Path or None; an .npz file to reuse or write.
        batch_size: int, default 64.

    Returns:
        float32 array [len(texts), num_classes].
    """
    texts = list(texts)
    if path is not None and pathlib.Path(path).exists():
        return load_teacher_logits(path, texts)
    if callable(getattr(teacher, "logits", None)):  # a tfkd teacher batches (by length) itself
        logits = np.asarray(teacher.logits(texts, batch_size=batch_size), np.float32)
    else:
        predict = getattr(teacher, "predict_on_batch", teacher)
        batches = [texts[start:start + batch_size] for start in range(0, len(texts), batch_size)]
        logits = np.concatenate(
            [np.asarray(predict(batch), np.float32) for batch in progress(batches, description)], axis=0)
    if logits.ndim != 2 or len(logits) != len(texts):
        raise ValueError(f"the teacher returned logits of shape {list(logits.shape)} for {len(texts)} texts; "
                         "expected [len(texts), num_classes]")
    if not np.isfinite(logits).all():
        raise ValueError(f"the teacher returned NaN or infinite logits for {int((~np.isfinite(logits)).any(-1).sum())} "
                         "of the texts; nothing was cached")
    if path is not None:
        buffer = io.BytesIO()
        np.savez(buffer, logits=logits, keys=text_keys(texts))
        write_bytes_atomic(path, buffer.getvalue())
    return logits


def load_teacher_logits(path, texts):
    """Loads cached logits, checking they belong to `texts` (same count, same order).

    Raises:
        ValueError: the file holds logits for other examples.
    """
    with np.load(path) as stored:
        logits, keys = stored["logits"], stored["keys"]
    if len(keys) != len(texts):
        raise ValueError(f"cached teacher logits {path} hold {len(keys)} examples; the data has {len(texts)}")
    mismatch = np.flatnonzero(keys != text_keys(texts))
    if mismatch.size:
        raise ValueError(f"cached teacher logits {path} were computed for other texts "
                         f"(first difference at example {mismatch[0]})")
    return logits


def logits_dataset(x, y, teacher_logits, batch_size=32, shuffle=False, seed=None, num_classes=None):
    """A `tf.data.Dataset` of `(x, y, teacher_logits)` batches for a teacher-less `Distiller`.

    Args:
        x: array [n, ...] of student inputs.
        y: int array [n] of labels.
        teacher_logits: float array [n, classes].
        batch_size: int, default 32.
        shuffle: bool, reshuffle each epoch. Default False.
        seed: int or None, shuffle seed.
        num_classes: int or None; if given, the logits' last axis must match.

    Raises:
        ValueError: counts differ, or the logits have the wrong number of classes.
    """
    x, y, teacher_logits = np.asarray(x), np.asarray(y), np.asarray(teacher_logits, np.float32)
    if not len(x) == len(y) == len(teacher_logits):
        raise ValueError(f"x, y and teacher_logits must have the same number of examples; received "
                         f"{len(x)}, {len(y)} and {len(teacher_logits)}")
    if num_classes is not None and teacher_logits.shape[-1] != num_classes:
        raise ValueError(f"teacher_logits have {teacher_logits.shape[-1]} classes; the data has "
                         f"num_classes={num_classes}")
    dataset = tf.data.Dataset.from_tensor_slices((x, y, teacher_logits))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def pseudo_label_dataset(x, teacher_logits, batch_size=32, min_confidence=0.0, shuffle=False, seed=None):
    """Hard-target distillation data: the teacher's argmax as labels for unlabelled inputs.

    Yields `(x, teacher_label, teacher_logits)` batches, so a teacher-less
    `Distiller` trains on them as on labelled data (alpha=1 uses the hard
    targets alone; a smaller alpha blends in the soft ones).

    Args:
        x: array [n, ...] of student inputs for unlabelled texts.
        teacher_logits: float array [n, classes].
        batch_size: int, default 32.
        min_confidence: float in [0, 1); keep examples whose top teacher
            probability is at least this. Default 0 (keep all).
        shuffle, seed: as in `logits_dataset`.

    Returns:
        (`tf.data.Dataset`, number of examples kept).

    Raises:
        ValueError: `min_confidence` outside [0, 1), or no example left.
    """
    if isinstance(min_confidence, bool) or not 0.0 <= min_confidence < 1.0:
        raise ValueError(f"`min_confidence` must be in [0, 1); received min_confidence={min_confidence!r}")
    teacher_logits = np.asarray(teacher_logits, np.float32)
    probabilities = np.exp(teacher_logits - teacher_logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    keep = np.flatnonzero(probabilities.max(axis=-1) >= min_confidence)
    if keep.size == 0:
        raise ValueError(f"no example has teacher confidence >= {min_confidence}; lower `min_confidence`")
    labels = teacher_logits.argmax(axis=-1).astype(np.int32)
    dataset = logits_dataset(np.asarray(x)[keep], labels[keep], teacher_logits[keep], batch_size, shuffle, seed)
    return dataset, int(keep.size)
