"""`TextDataset`: texts with integer labels, the unit every stage consumes."""

import dataclasses
from typing import Sequence, Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class TextDataset:
    """Texts with integer class labels.

    Attributes:
        texts: tuple of str, one per example.
        labels: int32 array of shape [n], each in [0, len(class_names)).
        class_names: tuple of str; `class_names[label]` names a label.
        name: str, where the examples came from (e.g. `"mr/train"`).
    """

    texts: Tuple[str, ...]
    labels: np.ndarray
    class_names: Tuple[str, ...]
    name: str = "dataset"

    def __post_init__(self):
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "labels", np.asarray(self.labels, dtype=np.int32))
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"`texts` and `labels` must have the same length; received "
                f"{len(self.texts)} texts and {len(self.labels)} labels in {self.name!r}"
            )
        out_of_range = (self.labels < 0) | (self.labels >= len(self.class_names))
        if out_of_range.any():
            bad = int(self.labels[np.argmax(out_of_range)])
            raise ValueError(
                f"labels must be in [0, {len(self.class_names)}) for class_names="
                f"{list(self.class_names)}; received label={bad} in {self.name!r}"
            )

    def __len__(self):
        return len(self.texts)

    @property
    def num_classes(self):
        return len(self.class_names)

    def take(self, count):
        """The first `count` examples (all of them if there are fewer)."""
        return self.select(range(min(count, len(self))))

    def select(self, indices: Sequence[int]):
        """The examples at `indices`, in that order."""
        indices = np.asarray(list(indices), dtype=np.int64)
        return TextDataset(
            texts=tuple(self.texts[i] for i in indices),
            labels=self.labels[indices],
            class_names=self.class_names,
            name=self.name,
        )

    def class_counts(self):
        """A dict class name -> number of examples."""
        counts = np.bincount(self.labels, minlength=self.num_classes)
        return dict(zip(self.class_names, counts.tolist()))
