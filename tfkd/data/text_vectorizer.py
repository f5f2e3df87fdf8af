"""`TextVectorizer`: texts -> fixed-length int32 token ids for students."""

import collections
import json
import pathlib
import re

import numpy as np

from tfkd._checks import check_integer
from tfkd._keras import keras_hub, tf
from tfkd.data.cache import write_bytes_atomic
from tfkd.data.preprocess import remove_stopwords, word_tokenize

KINDS = ("wordpiece", "word", "hashed", "mediapipe")
RESERVED_TOKENS = ("[PAD]", "[UNK]")  # ids 0 and 1 in every vocabulary but "mediapipe"'s
# MediaPipe Tasks' regex tokenizer (the TextClassifier of Android, iOS, Web and Python apps), measured
# with mediapipe 1.2.3: texts split on this pattern in RE2, whose \w is ASCII only; the ids are
# <START>, then the first sequence_length - 1 tokens looked up exactly as written (no lowercasing),
# <UNKNOWN> for the rest, padded with <PAD> at the end.
MEDIAPIPE_RESERVED_TOKENS = ("<PAD>", "<START>", "<UNKNOWN>")
MEDIAPIPE_DELIMITER = r"[^\w']+"
_MEDIAPIPE_SPLIT = re.compile(MEDIAPIPE_DELIMITER, re.ASCII)
HASH = "fnv1a_32"  # the word hash of kind="hashed", written to tokenizer.json for apps
CONFIG_FILE = "tokenizer.json"
VOCABULARY_FILE = "vocab.txt"


class TextVectorizer:
    """Learns a vocabulary from training texts and maps texts to padded int32 ids.

    Students take these ids as input, so the .tflite never tokenizes: the
    vocabulary and settings are saved next to every model (`save`) for an
    app to tokenize the same way. Id 0 is padding, id 1 unknown (kind "mediapipe":
    1 is the start token, 2 unknown).

    Args:
        kind: str, `"wordpiece"` (default; keras-hub WordPiece, BERT-style
            lowercasing, accent stripping and punctuation splitting) or
            `"word"` (whole words from `tfkd.data.preprocess.word_tokenize`), or
            `"hashed"` (the same words, each hashed into one of
            `vocabulary_size - 2` buckets, ids 2 and up: the hashing trick.
            No vocabulary is learned or shipped, any word gets a row, and
            colliding words share one. The hash is 32-bit FNV-1a of the
            word's UTF-8 bytes, modulo the bucket count: a few lines in any
            app language).
        vocabulary_size: int, most tokens to keep, reserved ones included. Default 8000.
            An upper bound: WordPiece keeps only pieces seen often enough
            (MR's 8,516 training sentences give 2,926); `vocabulary_length`
            is the real size. For `"hashed"`, exactly the embedding rows.
        sequence_length: int, ids per text; longer texts are cut, shorter
            padded with 0. Default 64.
        lowercase: bool, default True.
        stopwords: bool, drop English stopwords first. Default False.
        tokenizer: str, word splitter for `kind="word"` and stopword removal:
            `"regex"` (default) or `"nltk"`.
        vocabulary: list of str or None, a vocabulary to use instead of `fit`.

    Example:
        >>> vectorizer = TextVectorizer(kind="word", vocabulary_size=50, sequence_length=16)
        >>> ids = vectorizer.fit(["a good film", "a bad film"])(["a good day"])
        >>> ids.shape, ids.dtype
        ((1, 16), dtype('int32'))
    """

    def __init__(self, kind="wordpiece", vocabulary_size=8000, sequence_length=64, lowercase=True,
                 stopwords=False, tokenizer="regex", vocabulary=None):
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {list(KINDS)}; received kind={kind!r}")
        word_tokenize("", tokenizer)  # validates `tokenizer`
        if kind == "mediapipe" and stopwords:
            raise ValueError("kind='mediapipe' gives the ids MediaPipe's tokenizer computes in the app, which "
                             "cannot drop stopwords; received stopwords=True")
        self.kind = kind
        self.vocabulary_size = check_integer("vocabulary_size", vocabulary_size, len(_reserved(kind)) + 1)
        self.sequence_length = check_integer("sequence_length", sequence_length, 1)
        self.lowercase = bool(lowercase)
        self.stopwords = bool(stopwords)
        self.tokenizer = tokenizer
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        if kind == "hashed":
            self.vocabulary = list(RESERVED_TOKENS)  # nothing to learn: every word hashes to a bucket
        self._wordpiece = None

    def fit(self, texts):
        """Learns the vocabulary from `texts` (nothing for `"hashed"`); returns self."""
        texts = self._prepare(texts)
        if not texts:
            raise ValueError("`texts` is empty; the vocabulary needs at least one training text")
        if self.kind == "hashed":
            return self
        if not any(text.strip() for text in texts):
            raise ValueError(f"all {len(texts)} of `texts` are empty or whitespace; a {self.kind} vocabulary is "
                             "learned from words, so fit on texts that have some")
        if self.kind in ("word", "mediapipe"):
            counts = collections.Counter(token for text in texts for token in self._tokens(text))
            # Ties broken alphabetically so the vocabulary does not depend on text order.
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            reserved = _reserved(self.kind)
            words = [word for word, _ in ranked if word not in reserved]
            self.vocabulary = list(reserved) + words[: self.vocabulary_size - len(reserved)]
        else:
            self.vocabulary = _learn_wordpiece(texts, self.vocabulary_size, self.lowercase)
        self._wordpiece = None
        return self

    def __call__(self, texts):
        """int32 ids of shape [len(texts), sequence_length]."""
        if self.vocabulary is None:
            raise ValueError("this TextVectorizer has no vocabulary yet; call `fit(texts)` first")
        texts = self._prepare(texts)
        if not texts:
            return np.zeros((0, self.sequence_length), np.int32)
        if self.kind == "mediapipe":
            return self._mediapipe_ids(texts)
        if self.kind != "wordpiece":
            return self._word_ids(texts)
        return np.asarray(self._wordpiece_layer()(tf.constant(texts)), dtype=np.int32)

    @property
    def vocabulary_length(self):
        """The actual vocabulary size (embedding rows a student needs)."""
        if self.kind == "hashed" or self.vocabulary is None:
            return self.vocabulary_size
        return len(self.vocabulary)

    def get_config(self):
        return {
            "kind": self.kind,
            "vocabulary_size": self.vocabulary_size,
            "sequence_length": self.sequence_length,
            "lowercase": self.lowercase,
            "stopwords": self.stopwords,
            "tokenizer": self.tokenizer,
            "vocabulary": self.vocabulary,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def tokenizer_settings(self):
        """What an app needs to tokenize like this vectorizer (the content of `tokenizer.json`)."""
        settings = {key: value for key, value in self.get_config().items() if key != "vocabulary"}
        settings.update(padding_id=0, unknown_id=len(_reserved(self.kind)) - 1,
                        vocabulary_file=VOCABULARY_FILE, vocabulary_length=self.vocabulary_length)
        if self.kind == "mediapipe":
            settings.update(start_id=1, delimiter=MEDIAPIPE_DELIMITER)
        if self.kind == "hashed":
            settings.update(hash=HASH, hash_buckets=self.vocabulary_size - len(RESERVED_TOKENS),
                            hash_first_id=len(RESERVED_TOKENS))
        return settings

    def vocabulary_text(self):
        """`vocab.txt`'s content: one token per line, line i = id i."""
        return "\n".join(self.vocabulary) + "\n"

    def mediapipe_vocabulary_text(self):
        """The vocabulary file of MediaPipe's regex tokenizer: `token id` lines, case variants sharing an id.

        Raises:
            ValueError: the vectorizer is not of kind "mediapipe" (MediaPipe could
                not reproduce its ids), or has no vocabulary yet.
        """
        if self.kind != "mediapipe":
            raise ValueError(f"MediaPipe's regex tokenizer reproduces the ids of kind='mediapipe' only; this "
                             f"vectorizer is kind={self.kind!r}. Fit TextVectorizer('mediapipe', ...) for the app")
        if self.vocabulary is None:
            raise ValueError("this TextVectorizer has no vocabulary yet; call `fit(texts)` first")
        return "".join(f"{token} {index}\n" for token, index in self._mediapipe_index().items())

    def save(self, directory, overwrite=False):
        """Writes `vocab.txt` (one token per line, line i = id i) and `tokenizer.json` to `directory`."""
        directory = pathlib.Path(directory)
        write_bytes_atomic(directory / VOCABULARY_FILE, self.vocabulary_text().encode("utf-8"), overwrite)
        write_bytes_atomic(directory / CONFIG_FILE, json.dumps(self.tokenizer_settings(), indent=2).encode("utf-8"),
                           overwrite)
        return directory

    @classmethod
    def load(cls, directory):
        """Reads a vectorizer written by `save`."""
        directory = pathlib.Path(directory)
        for name in (CONFIG_FILE, VOCABULARY_FILE):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name} is missing; expected a folder written by TextVectorizer.save")
        settings = json.loads((directory / CONFIG_FILE).read_text("utf-8"))
        vocabulary = (directory / VOCABULARY_FILE).read_text("utf-8").split("\n")[:-1]
        config = {key: settings[key] for key in ("kind", "vocabulary_size", "sequence_length",
                                                 "lowercase", "stopwords", "tokenizer")}
        return cls(vocabulary=vocabulary, **config)

    def _prepare(self, texts):
        if isinstance(texts, str):
            raise TypeError("`texts` must be a list of strings, not one string; wrap it: [text]")
        texts = [str(text) for text in texts]
        if self.lowercase and self.kind != "mediapipe":  # the app sees the text as written
            texts = [text.lower() for text in texts]
        if self.stopwords:
            texts = [" ".join(remove_stopwords(word_tokenize(text, self.tokenizer))) for text in texts]
        return texts

    def _tokens(self, text):
        if self.kind != "mediapipe":
            return word_tokenize(text, self.tokenizer)
        return _mediapipe_tokens(text.lower() if self.lowercase else text)

    def _mediapipe_index(self):
        """token -> id as MediaPipe looks tokens up: exactly, with the case variants of each word."""
        index = {}
        for i, token in enumerate(self.vocabulary):
            variants = [token]
            if self.lowercase and token not in MEDIAPIPE_RESERVED_TOKENS:
                variants += [token[:1].upper() + token[1:], token.upper()]
            for variant in variants:
                index.setdefault(variant, i)
        return index

    def _mediapipe_ids(self, texts):
        index = self._mediapipe_index()
        ids = np.zeros((len(texts), self.sequence_length), np.int32)
        for row, text in enumerate(texts):
            tokens = _mediapipe_tokens(text)[: self.sequence_length - 1]  # as written: the app does not lowercase
            ids[row, : len(tokens) + 1] = [1] + [index.get(token, 2) for token in tokens]
        return ids

    def _word_ids(self, texts):
        index = {token: i for i, token in enumerate(self.vocabulary)}
        ids = np.zeros((len(texts), self.sequence_length), np.int32)
        for row, text in enumerate(texts):
            tokens = word_tokenize(text, self.tokenizer)[: self.sequence_length]
            if self.kind == "hashed":
                buckets = self.vocabulary_size - len(RESERVED_TOKENS)
                for token in tokens:  # the same word hashes once per call
                    index.setdefault(token, len(RESERVED_TOKENS) + fnv1a_32(token) % buckets)
            ids[row, : len(tokens)] = [index.get(token, 1) for token in tokens]
        return ids

    def _wordpiece_layer(self):
        if self._wordpiece is None:
            self._wordpiece = keras_hub().tokenizers.WordPieceTokenizer(
                vocabulary=self.vocabulary, sequence_length=self.sequence_length,
                lowercase=self.lowercase, strip_accents=True, oov_token=RESERVED_TOKENS[1])
        return self._wordpiece


def _mediapipe_tokens(text):
    return [token for token in _MEDIAPIPE_SPLIT.split(text) if token]


def _reserved(kind):
    return MEDIAPIPE_RESERVED_TOKENS if kind == "mediapipe" else RESERVED_TOKENS


def fnv1a_32(word):
    """32-bit FNV-1a hash of `word`'s UTF-8 bytes (offset basis 2166136261, prime 16777619)."""
    value = 2166136261
    for byte in word.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _learn_wordpiece(texts, vocabulary_size, lowercase):
    # keras-hub reads a Python list of strings as file names; a dataset is read as text.
    data = tf.data.Dataset.from_tensor_slices(texts).batch(256)
    return list(keras_hub().tokenizers.compute_word_piece_vocabulary(
        data, vocabulary_size, lowercase=lowercase, strip_accents=True,
        reserved_tokens=list(RESERVED_TOKENS)))
