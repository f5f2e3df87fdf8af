"""`TextClassifierTeacher`: a keras-hub text classifier fine-tuned as the teacher."""

import dataclasses
import hashlib
import json
import pathlib
import time
import warnings

import numpy as np

from tfkd._keras import keras3, keras_hub, set_seed, tf
from tfkd.data.cache import atomic_path, cache_dir, write_bytes_atomic
from tfkd.progress import keras_verbosity, progress
from tfkd.teachers.minilm import MINILM_PRESET, minilm_dir

MODEL_FILE, INFO_FILE = "model.keras", "teacher.json"
# BERT inputs of any batch size and length (batches are cut to their longest text).
_BERT_INPUTS = {name: tf.TensorSpec([None, None], tf.int32) for name in ("token_ids", "padding_mask", "segment_ids")}


@dataclasses.dataclass
class TextClassifierTeacher:
    """A keras-hub (Keras 3) text classifier with its tokenizer, used as a teacher.

    Attributes:
        model: the keras-hub `TextClassifier`, preprocessor attached (takes raw strings).
        preset: str, the preset it was built from (`"minilm"` = bundled all-MiniLM-L6-v2).
        info: dict, how it was trained and what it scored.
    """

    model: object
    preset: str
    info: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_preset(cls, preset=MINILM_PRESET, num_classes=2, sequence_length=64):
        """Builds an untrained classifier head on a pretrained backbone.

        Args:
            preset: str, `"minilm"` (default; bundled, offline), a local preset
                folder, or any keras-hub preset name such as
                `"bert_tiny_en_uncased"` (needs network the first time).
            num_classes: int, default 2.
            sequence_length: int, BERT tokens per text. Default 64.

        Raises:
            ConnectionError: a keras-hub preset could not be downloaded.
        """
        location = str(minilm_dir()) if preset == MINILM_PRESET else preset
        try:
            model = keras_hub().models.TextClassifier.from_preset(location, num_classes=num_classes)
        except (OSError, ValueError) as error:
            if pathlib.Path(location).exists():
                raise
            raise ConnectionError(
                f"Could not load keras-hub preset {preset!r} ({error}). Presets are downloaded on first "
                f"use; offline, use the bundled teacher: preset={MINILM_PRESET!r}.") from error
        model.preprocessor.sequence_length = sequence_length
        return cls(model=model, preset=preset, info={"sequence_length": sequence_length,
                                                     "parameters": int(model.count_params())})

    @property
    def sequence_length(self):
        return self.model.preprocessor.sequence_length

    def fine_tune(self, train, validation, epochs=2, learning_rate=5e-5, batch_size=32, seed=0, verbose=None):
        """Fine-tunes on `train` (TextDatasets) with AdamW; records accuracy and time in `info`."""
        keras = keras3()
        set_seed(seed)
        self.model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"])
        start = time.perf_counter()
        verbose = keras_verbosity() if verbose is None else verbose
        history = self._fit_length_bucketed(train, validation, epochs, batch_size, seed, verbose)
        self.info.update(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, seed=seed,
                         train_examples=len(train), fit_seconds=round(time.perf_counter() - start, 1),
                         validation_accuracy=float(history.history["val_accuracy"][-1]))
        return self

    def _fit_length_bucketed(self, train, validation, epochs, batch_size, seed, verbose):
        """Fits on batches padded only to their longest text.

        MR's median text is 26 BERT tokens against a 64-token limit, so
        padding every batch to 64 would spend over half the compute on
        padding. Batches are formed from texts of similar length (shuffled
        within chunks, so every epoch still sees a new order) and trimmed.
        """
        features = self.preprocess(train.texts)
        lengths = features["padding_mask"].sum(axis=1)
        rng = np.random.default_rng(seed)

        def batches():
            order = rng.permutation(len(lengths))
            chunks = [order[i:i + 50 * batch_size] for i in range(0, len(order), 50 * batch_size)]
            groups = [chunk[np.argsort(lengths[chunk], kind="stable")] for chunk in chunks]
            batch_indices = [group[i:i + batch_size] for group in groups for i in range(0, len(group), batch_size)]
            for index in rng.permutation(len(batch_indices)):
                rows = batch_indices[index]
                width = int(lengths[rows].max())
                yield {name: value[rows, :width] for name, value in features.items()}, train.labels[rows]

        spec = ({name: tf.TensorSpec([None, None], tf.int32) for name in features}, tf.TensorSpec([None], tf.int32))
        # Chunks are whole multiples of batch_size, so the count is that of plain batching.
        num_batches = -(-len(lengths) // batch_size)
        train_data = (tf.data.Dataset.from_generator(batches, output_signature=spec)
                      .apply(tf.data.experimental.assert_cardinality(num_batches)).prefetch(2))
        validation_data = tf.data.Dataset.from_tensor_slices(
            (self.preprocess(validation.texts), validation.labels)).batch(batch_size)
        preprocessor, self.model.preprocessor = self.model.preprocessor, None  # inputs are already tokenized
        try:
            # The batches are shuffled above; Keras 3 warns that shuffle=True is ignored for a Dataset.
            return self.model.fit(train_data, epochs=epochs, validation_data=validation_data, verbose=verbose,
                                  shuffle=False)
        finally:
            self.model.preprocessor = preprocessor

    def preprocess(self, texts):
        """BERT inputs for `texts`: dict of int32 arrays [n, sequence_length]."""
        features = self.model.preprocessor(list(texts))
        return {name: np.asarray(value).astype(np.int32) for name, value in features.items()}

    def logits(self, texts, batch_size=64):
        """Logits [n, num_classes] for `texts`, batched by length with a progress bar.

        Texts are sorted by length and each batch is cut to its longest
        text: padding is masked in BERT, so the logits are the same as with
        full padding, for about half the compute on MR.
        """
        return _by_length(self._forward_function(), self.preprocess(texts), batch_size, "teacher logits")

    def sentence_embeddings(self, texts, batch_size=64, description="teacher sentence embeddings"):
        """Mean-pooled backbone outputs over each text's tokens: [len(texts), hidden] float32.

        This is how all-MiniLM-L6-v2 makes sentence embeddings (compare them
        by cosine). From `from_preset("minilm")` without fine-tuning they are
        the pretrained semantic embeddings; after `fine_tune`, task-tuned ones.
        Batched by length as `logits` is (same outputs, about half the compute).

        Args:
            texts: sequence of str.
            batch_size: int, default 64.
            description: str, the progress bar's label.

        Example:
            >>> teacher = TextClassifierTeacher.from_preset("minilm", sequence_length=32)
            >>> teacher.sentence_embeddings(["a fine film", "a dull film"]).shape
            (2, 384)
        """
        if len(texts) == 0:
            return np.zeros((0, 0), np.float32)
        return self._mean_pooled(self.preprocess(texts), batch_size, description)

    def word_vectors(self, words, batch_size=256, sequence_length=16):
        """The teacher's vector for each word on its own: [len(words), hidden] float32.

        Each word is run alone through the fine-tuned backbone and its
        output is averaged over the word's pieces and [CLS]/[SEP] (the
        static-embedding trick of Model2Vec, applied to the task-tuned
        teacher). These vectors carry the teacher's sense of each word into
        a student's embedding table (`tfkd.students.transfer_embeddings`).

        Args:
            words: sequence of str, e.g. a `TextVectorizer`'s vocabulary.
            batch_size: int, default 256.
            sequence_length: int, BERT tokens per word (pieces beyond it are cut). Default 16.
        """
        preprocessor = self.model.preprocessor
        saved_length = preprocessor.sequence_length
        preprocessor.sequence_length = sequence_length
        try:
            features = self.preprocess(words)
        finally:
            preprocessor.sequence_length = saved_length
        return self._mean_pooled(features, batch_size, "teacher word vectors")

    def _mean_pooled(self, features, batch_size, description):
        """Mean-pooled backbone outputs for BERT `features` (dict of [n, tokens] arrays), batched by length."""
        return _by_length(self._mean_pooled_function(), features, batch_size, description)

    def _mean_pooled_function(self):
        backbone = self.model.backbone

        @tf.function(input_signature=[_BERT_INPUTS])
        def forward(features):
            sequence = backbone(features, training=False)["sequence_output"]  # [batch, tokens, hidden]
            mask = tf.cast(features["padding_mask"], sequence.dtype)[..., None]
            return tf.reduce_sum(sequence * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)

        return forward

    def _forward_function(self):
        model = self.model

        @tf.function(input_signature=[_BERT_INPUTS])
        def forward(features):
            return model(features, training=False)

        return forward

    def save(self, directory, overwrite=False):
        """Writes model.keras and teacher.json into `directory`."""
        directory = pathlib.Path(directory)
        with atomic_path(directory / MODEL_FILE, overwrite=overwrite) as temporary:
            self.model.save(str(temporary.with_suffix(".keras")))
            temporary.with_suffix(".keras").replace(temporary)
        info = {"preset": self.preset, **self.info}
        write_bytes_atomic(directory / INFO_FILE, json.dumps(info, indent=2).encode(), overwrite=overwrite)
        return directory

    @classmethod
    def load(cls, directory):
        """Reads a teacher written by `save`."""
        directory = pathlib.Path(directory)
        if not (directory / MODEL_FILE).is_file():
            raise FileNotFoundError(f"{directory / MODEL_FILE} is missing; expected a folder written by "
                                    "TextClassifierTeacher.save")
        keras_hub()  # registers keras-hub classes for deserialization
        with warnings.catch_warnings():
            # Loaded to label texts (fine_tune compiles anew): its compile settings and optimizer state are not
            # restored, which Keras 3 would warn about on every load.
            warnings.filterwarnings("ignore", message=r"`compile\(\)` was not called as part of model loading")
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model = keras3().saving.load_model(str(directory / MODEL_FILE), compile=False)
        info = json.loads((directory / INFO_FILE).read_text())
        return cls(model=model, preset=info.pop("preset"), info=info)


def fine_tuned_teacher(splits, preset=MINILM_PRESET, sequence_length=64, epochs=2, learning_rate=5e-5,
                       batch_size=32, seed=0, directory=None):
    """A teacher fine-tuned on `splits`, trained once and then reused from disk.

    The teacher is stored under `directory` (default: the tfkd cache) in a
    folder named by a hash of the data and every training setting, so a
    changed setting trains a new teacher instead of reusing a stale one.

    Returns:
        `TextClassifierTeacher`.
    """
    settings = {"preset": preset, "sequence_length": sequence_length, "epochs": epochs,
                "learning_rate": learning_rate, "batch_size": batch_size, "seed": seed,
                "num_classes": splits.num_classes, "data": _fingerprint(splits.train)}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    folder = pathlib.Path(directory) if directory else cache_dir("teachers") / f"{pathlib.Path(preset).name}-{key}"
    if (folder / MODEL_FILE).is_file():
        return TextClassifierTeacher.load(folder)
    teacher = TextClassifierTeacher.from_preset(preset, splits.num_classes, sequence_length)
    teacher.fine_tune(splits.train, splits.validation, epochs, learning_rate, batch_size, seed)
    teacher.info["settings_key"] = key
    teacher.save(folder)
    return teacher


def teacher_token_lengths(preset, texts):
    """BERT tokens ([CLS] and [SEP] included) of each text under `preset`'s tokenizer: int array [len(texts)]."""
    teacher = TextClassifierTeacher.from_preset(preset, num_classes=2, sequence_length=512)
    return teacher.preprocess(texts)["padding_mask"].sum(axis=1)


def _fingerprint(dataset):
    digest = hashlib.sha256()
    for text, label in zip(dataset.texts, dataset.labels):
        digest.update(f"{label}\t{text}\n".encode("utf-8"))
    return digest.hexdigest()[:16]


def _by_length(forward, features, batch_size, description):
    """`forward` over BERT `features` in batches of similar length: [n, outputs] float32 in input order.

    Texts are sorted by length and each batch is cut to its longest text:
    padding is masked in BERT (and in the mean pooling), so the outputs are
    those of full padding, for about half the compute on MR.
    """
    lengths = features["padding_mask"].sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    widths = [max(int(lengths[rows].max()), 1) for rows in batches]
    outputs = None
    for rows, width in progress(zip(batches, widths), description,
                                work=[width * len(rows) for rows, width in zip(batches, widths)]):
        batch = np.asarray(forward({name: value[rows, :width] for name, value in features.items()}), np.float32)
        if outputs is None:
            outputs = np.zeros((len(order), batch.shape[-1]), np.float32)
        outputs[rows] = batch
    return outputs if outputs is not None else np.zeros((0, 0), np.float32)
