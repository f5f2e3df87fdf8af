"""`TextAugmenter`: new transfer-set sentences for the teacher to label (Tang et al. 2019; Wei & Zou 2019)."""

import functools
import warnings

import numpy as np

from tfkd._checks import check_integer

MASK_TOKEN = "[MASK]"


class TextAugmenter:
    """Makes varied copies of sentences; the teacher labels them, the student learns from them.

    A student trained on a few thousand labelled sentences sees the
    teacher's judgement on only those. Tang et al. (2019, "Distilling
    Task-Specific Knowledge from BERT into Simple Neural Networks") grow the
    transfer set with perturbed copies the teacher labels; this is their
    recipe plus EDA's deletion and swap (Wei & Zou 2019). Per copy, each word
    is in turn:

    - replaced by `mask_token` with `mask_probability` (BERT teachers know
      `[MASK]`; a word-level student maps it to its unknown id),
    - else replaced by a WordNet synonym with `synonym_probability` (only
      when NLTK's WordNet data is installed; otherwise a warning and no
      synonyms),
    - else deleted with `delete_probability`,
    - else swapped with a random other word with `swap_probability`;

    then, with `ngram_probability`, only a random n-gram (n from 1 to
    `max_ngram`) of the result is kept. Words are split on whitespace, so
    the text's own tokenisation is kept.

    Args:
        mask_probability: float in [0, 1]. Default 0.1 (Tang et al.).
        ngram_probability: float in [0, 1]. Default 0.25 (Tang et al.).
        max_ngram: int >= 1. Default 5 (Tang et al.).
        delete_probability: float in [0, 1]. Default 0.0.
        swap_probability: float in [0, 1]. Default 0.0.
        synonym_probability: float in [0, 1]. Default 0.0 (WordNet is rarely
            installed offline).
        mask_token: str. Default "[MASK]".
        seed: int, default 0; the same seed gives the same copies.

    Example:
        >>> augmenter = TextAugmenter(seed=0)
        >>> extra = augmenter(["a gripping , beautifully acted film"], copies=3)
        >>> len(extra) <= 3
        True
        >>> # label them with the teacher, then distill on originals + extra:
        >>> # logits = tfkd.cache_teacher_logits(teacher, extra, "extra.npz")
    """

    def __init__(self, mask_probability=0.1, ngram_probability=0.25, max_ngram=5, delete_probability=0.0,
                 swap_probability=0.0, synonym_probability=0.0, mask_token=MASK_TOKEN, seed=0):
        self.mask_probability = _probability("mask_probability", mask_probability)
        self.ngram_probability = _probability("ngram_probability", ngram_probability)
        self.max_ngram = check_integer("max_ngram", max_ngram, 1)
        self.delete_probability = _probability("delete_probability", delete_probability)
        self.swap_probability = _probability("swap_probability", swap_probability)
        self.synonym_probability = _probability("synonym_probability", synonym_probability)
        self.mask_token = str(mask_token)
        self.seed = check_integer("seed", seed, 0)
        if self.synonym_probability and _wordnet() is None:
            warnings.warn("synonym_probability is ignored: NLTK's WordNet data is not installed "
                          "(python -m nltk.downloader wordnet)", stacklevel=2)
            self.synonym_probability = 0.0

    def __call__(self, texts, copies=4):
        """Up to `copies` new variants per text: unique, and none equal to an input text.

        Args:
            texts: sequence of str.
            copies: int >= 1, attempts per text. Default 4 (Tang et al. used 20).

        Returns:
            list of str, in input order (the variants of text 0 first).
        """
        copies = check_integer("copies", copies, 1)
        texts = list(texts)
        rng = np.random.default_rng(self.seed)
        seen, variants = set(texts), []
        for text in texts:
            for _ in range(copies):
                variant = self.augment(text, rng)
                if variant and variant not in seen:
                    seen.add(variant)
                    variants.append(variant)
        return variants

    def augment(self, text, rng):
        """One perturbed copy of `text` drawn with the numpy Generator `rng`."""
        words = text.split()
        # One draw per word picks among consecutive intervals [0, mask), [mask, synonym), ...
        mask_end = self.mask_probability
        synonym_end = mask_end + self.synonym_probability
        delete_end = synonym_end + self.delete_probability
        swap_end = delete_end + self.swap_probability
        perturbed, swaps = [], []
        for word in words:
            draw = rng.random()
            if draw < mask_end:
                perturbed.append(self.mask_token)
            elif draw < synonym_end:
                perturbed.append(_synonym(word, rng))
            elif draw < delete_end:
                continue
            else:
                perturbed.append(word)
                if draw < swap_end and len(words) > 1:
                    swaps.append(len(perturbed) - 1)
        words = perturbed
        for position in swaps:  # each marked word trades places with a random word
            if len(words) > 1:
                other = int(rng.integers(0, len(words)))
                words[position], words[other] = words[other], words[position]
        if words and rng.random() < self.ngram_probability:
            n = int(rng.integers(1, self.max_ngram + 1))
            start = int(rng.integers(0, max(len(words) - n, 0) + 1))
            words = words[start:start + n]
        return " ".join(words)

    def get_config(self):
        return {"mask_probability": self.mask_probability, "ngram_probability": self.ngram_probability,
                "max_ngram": self.max_ngram, "delete_probability": self.delete_probability,
                "swap_probability": self.swap_probability, "synonym_probability": self.synonym_probability,
                "mask_token": self.mask_token, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _probability(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"`{name}` must be in [0, 1]; received {name}={value!r}")
    return float(value)


def _synonym(word, rng):
    """A random WordNet synonym of `word` (itself when there is none)."""
    names = sorted({lemma.name().replace("_", " ") for synset in _wordnet().synsets(word)
                    for lemma in synset.lemmas()} - {word})
    return names[int(rng.integers(0, len(names)))] if names else word


@functools.lru_cache(maxsize=1)
def _wordnet():
    """NLTK's WordNet reader, or None when NLTK or its data is missing."""
    try:
        from nltk.corpus import wordnet
        wordnet.synsets("good")
        return wordnet
    except (ImportError, LookupError, OSError):
        return None
