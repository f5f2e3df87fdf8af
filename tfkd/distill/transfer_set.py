"""`TransferSet`: a dataset's texts plus teacher-labelled transfer texts, with the teacher's cached logits."""

import dataclasses
import pathlib

import numpy as np

from tfkd._checks import check_integer
from tfkd.data.text_augmenter import TextAugmenter
from tfkd.data.transfer_texts import transfer_texts
from tfkd.distill.teacher_logits import cache_teacher_logits, logits_dataset

LABELLED_SPLITS = ("train", "validation", "test")
EVALUATION_SPLITS = ("validation", "test")


@dataclasses.dataclass
class TransferSet:
    """Texts by split, each with the teacher's logits and a label.

    The labelled splits ("train", "validation", "test") keep their labels;
    the transfer splits the teacher labels ("augmented", "augmented_2", ...,
    "other_domain", "other_domain_augmented", ...) take the teacher's top
    class as their label.

    Attributes:
        texts: dict split -> list of str.
        logits: dict split -> float32 array [n, classes], the teacher's.
        labels: dict split -> int array [n].
    """

    texts: dict
    logits: dict
    labels: dict

    @classmethod
    def build(cls, splits, teacher, directory, copies=0, corpora=(), corpus_copies=0, round_size=20,
              corpus_round_size=5):
        """Draws the transfer texts and labels every split with `teacher`, caching the logits in `directory`.

        Variants are drawn in rounds of `round_size` tries per text (round k
        with augmenter seed k - 1 for the training texts, k for the corpora),
        so asking for more copies keeps the earlier rounds and their cached
        logits; a variant drawn before is dropped.

        Args:
            splits: `tfkd.data.DataSplits` (train, validation, test).
            teacher: what `tfkd.cache_teacher_logits` accepts.
            directory: str or Path; the logits files `logits_<split>_<n>.npz`.
            copies: int >= 0, variant tries per training text. Default 0.
            corpora: names of `tfkd.data.transfer_texts` corpora whose
                sentences (none of the dataset's) join the set. Default none.
            corpus_copies: int >= 0, variant tries per corpus sentence. Default 0.
            round_size, corpus_round_size: int >= 1, tries per round. Defaults 20 and 5.

        Returns:
            `TransferSet`.

        Raises:
            ValueError: a count out of range, `corpus_copies` without `corpora`,
                or an unknown corpus (named by `transfer_texts`).
        """
        copies, corpus_copies = check_integer("copies", copies, 0), check_integer("corpus_copies", corpus_copies, 0)
        if corpus_copies and not corpora:
            raise ValueError(f"`corpus_copies` needs `corpora`; received corpus_copies={corpus_copies}, corpora=()")
        texts = {split: list(splits[split].texts) for split in LABELLED_SPLITS}
        seen = set()
        texts.update(variants_in_rounds(texts["train"], copies, round_size, "augmented", 0, seen))
        if corpora:
            known = {text for split in LABELLED_SPLITS for text in texts[split]}
            texts["other_domain"] = transfer_texts(corpora, exclude=known)
            texts.update(variants_in_rounds(texts["other_domain"], corpus_copies, corpus_round_size,
                                            "other_domain_augmented", 1, seen))
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        logits = {split: cache_teacher_logits(teacher, part, directory / f"logits_{split}_{len(part)}.npz")
                  for split, part in texts.items()}
        labels = {split: np.asarray(splits[split].labels) for split in LABELLED_SPLITS}
        labels.update({split: logits[split].argmax(-1) for split in texts if split not in labels})
        return cls(texts, logits, labels)

    @property
    def transfer_splits(self):
        """The splits a student trains on: "train" and every teacher-labelled split, in order."""
        return [split for split in self.texts if split not in EVALUATION_SPLITS]

    def teacher_accuracy(self, split="test"):
        """The teacher's accuracy on a labelled split."""
        return float(np.mean(self.logits[split].argmax(-1) == self.labels[split]))

    def dataset(self, vectorizer, split_names, batch_size=64, shuffle_seed=None):
        """`tfkd.logits_dataset` of the named splits joined, as `vectorizer` ids; shuffled when a seed is given."""
        ids = np.concatenate([vectorizer(self.texts[split]) for split in split_names])
        labels = np.concatenate([self.labels[split] for split in split_names])
        logits = np.concatenate([self.logits[split] for split in split_names])
        return logits_dataset(ids, labels, logits, batch_size, shuffle=shuffle_seed is not None, seed=shuffle_seed)


def variants_in_rounds(texts, copies, round_size, name, first_seed, seen):
    """`copies` variants of each text, drawn in rounds of `round_size` tries, as splits `name`, `name_2`, ...

    Round k uses augmenter seed `first_seed + k - 1`, so asking for more
    copies keeps the earlier rounds (and their cached teacher logits). A
    variant already in `seen` is dropped; `seen` gains every variant kept.
    """
    round_size = check_integer("round_size", round_size, 1)
    splits = {}
    for index, start in enumerate(range(0, copies, round_size)):
        variants = TextAugmenter(seed=first_seed + index)(texts, copies=min(round_size, copies - start))
        split = name + (f"_{index + 1}" if index else "")
        splits[split] = [text for text in variants if text not in seen]
        seen.update(splits[split])
    return splits
