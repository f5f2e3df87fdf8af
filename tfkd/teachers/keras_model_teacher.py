"""`KerasModelTeacher`: a saved Keras model that maps raw texts to logits, used as the teacher as it is."""

import pathlib

import numpy as np

from tfkd._keras import keras, keras3, keras_hub, tf
from tfkd.progress import progress

SUFFIXES = (".keras", ".h5")


class KerasModelTeacher:
    """A teacher fine-tuned elsewhere and saved as a Keras file: it labels texts, nothing else.

    The model takes a batch of raw strings (its preprocessing inside, as a
    keras-hub classifier with its preprocessor, or a `TextVectorization`
    layer) and returns logits [batch, num_classes]. It is loaded with Keras 3
    and, failing that, with tf_keras; it is not fine-tuned, and it has no
    word vectors to seed a student's table (use `embedding_init: random`).

    Args:
        model: a Keras model (Keras 3 or tf_keras) as described.
        source: str, where it came from (named in errors and `info`).

    Example:
        >>> teacher = KerasModelTeacher.load("sentiment.keras", num_classes=2)
        >>> teacher.logits(["a gripping film", "a dull plot"]).shape
        (2, 2)
    """

    def __init__(self, model, source="the teacher model"):
        self.model, self.source = model, str(source)
        self.info = {"model_file": self.source}

    @classmethod
    def load(cls, path, num_classes=None):
        """Loads a `.keras` or `.h5` file and checks it on two texts.

        Raises:
            FileNotFoundError: `path` does not exist.
            ValueError: another suffix, a file neither Keras can load (both
                errors named), or outputs that are not [batch, num_classes]
                finite logits for a batch of strings.
        """
        path = pathlib.Path(path)
        if path.suffix not in SUFFIXES:
            raise ValueError(f"a saved Keras teacher must be one of {list(SUFFIXES)}; received {str(path)!r}")
        if not path.is_file():
            raise FileNotFoundError(f"teacher model {path} does not exist")
        teacher = cls(_load(path), path)
        logits = teacher.logits(["a first text to check the teacher on", "a second"], description=None)
        if num_classes is not None and logits.shape[1] != num_classes:
            raise ValueError(f"{path}: the model gives {logits.shape[1]} logits per text; the dataset has "
                             f"{num_classes} classes")
        teacher.info["num_classes"] = int(logits.shape[1])
        return teacher

    def logits(self, texts, batch_size=64, description="teacher logits"):
        """float32 logits [len(texts), num_classes], in batches of `batch_size` (with progress when described).

        Raises:
            ValueError: the model does not return finite logits of shape [batch, classes].
        """
        texts = [str(text) for text in texts]
        starts = range(0, len(texts), batch_size)
        batches = []
        for start in (progress(starts, description, total=len(starts)) if description else starts):
            batch = tf.constant(texts[start:start + batch_size])
            try:
                output = self.model(batch, training=False)
            except Exception as error:  # any framework error: the file is not a texts -> logits model
                raise ValueError(f"{self.source} cannot label texts: called on a batch of strings it raised "
                                 f"{type(error).__name__}: {str(error)[:300]}") from error
            batches.append(np.asarray(output, np.float32))
        logits = np.concatenate(batches) if batches else np.zeros((0, 0), np.float32)
        if logits.ndim != 2 or len(logits) != len(texts):
            raise ValueError(f"{self.source}: the model must return logits [batch, num_classes] for a batch of "
                             f"strings; received shape {list(logits.shape)} for {len(texts)} texts")
        if not np.isfinite(logits).all():
            raise ValueError(f"{self.source}: the model returned NaN or infinite logits")
        return logits


def _load(path):
    """The model in `path`, by Keras 3 first (keras-hub classifiers are Keras 3), then tf_keras."""
    try:
        keras_hub()  # registers keras-hub's classes, so a saved keras-hub classifier loads
    except ImportError:
        pass
    errors = []
    for name, loader in (("Keras 3", lambda: keras3().saving.load_model(str(path), compile=False)),
                         ("tf_keras", lambda: keras.models.load_model(str(path), compile=False))):
        try:
            return loader()
        except Exception as error:  # noqa: BLE001  (each Keras raises its own types for a file it cannot read)
            errors.append(f"{name}: {type(error).__name__}: {str(error)[:200]}")
    raise ValueError(f"{path} is not a Keras model either Keras can load ({'; '.join(errors)})")
