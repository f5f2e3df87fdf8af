"""`DataSplits`: the train, validation and test parts of one dataset."""

import dataclasses
import hashlib

import numpy as np

from tfkd.data.text_dataset import TextDataset

SPLIT_NAMES = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class DataSplits:
    """Train, validation and test `TextDataset`s sharing one label set."""

    train: TextDataset
    validation: TextDataset
    test: TextDataset

    @property
    def class_names(self):
        return self.train.class_names

    @property
    def num_classes(self):
        return self.train.num_classes

    def __getitem__(self, split):
        if split not in SPLIT_NAMES:
            raise KeyError(f"split must be one of {list(SPLIT_NAMES)}; received split={split!r}")
        return getattr(self, split)

    def summary(self):
        """A dict split -> {"examples": n, class name: count}."""
        return {
            split: {"examples": len(self[split]), **self[split].class_counts()}
            for split in SPLIT_NAMES
        }


def hash_bucket(key, buckets=10):
    """A bucket in [0, buckets) from the SHA-256 of `key`.

    Splitting by a hash of a stable key (rather than a seeded shuffle) gives
    every user, machine and library version the same split.
    """
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return int(digest, 16) % buckets


def split_by_hash(dataset, keys, name, validation_buckets=1, test_buckets=1, hash_prefix=None):
    """Splits `dataset` into train/validation/test by hashing `keys` into 10 buckets.

    Bucket 9 (and down, `test_buckets` of them) is test, the buckets below it
    validation, the rest train: 80/10/10 with the defaults. Keys are hashed as
    `"<hash_prefix>:<key>"` (default prefix: `name`), so two datasets sharing
    a prefix split shared keys alike.
    """
    prefix = name if hash_prefix is None else hash_prefix
    buckets = np.array([hash_bucket(f"{prefix}:{key}") for key in keys])
    test_from = 10 - test_buckets
    validation_from = test_from - validation_buckets
    parts = {
        "train": np.flatnonzero(buckets < validation_from),
        "validation": np.flatnonzero((buckets >= validation_from) & (buckets < test_from)),
        "test": np.flatnonzero(buckets >= test_from),
    }
    return DataSplits(**{
        split: _renamed(dataset.select(indices), f"{name}/{split}")
        for split, indices in parts.items()
    })


def _renamed(dataset, name):
    return TextDataset(dataset.texts, dataset.labels, dataset.class_names, name)
