"""`load`: one function for every dataset tfkd knows."""

import pathlib

from tfkd.data.files import FILE_FORMATS, load_file
from tfkd.data.mr import load_mr
from tfkd.data.tfds_source import TFDS_DATASETS, load_tfds

# "mr3" and "mr5": MR's fine-grained score buckets (see tfkd/data/mr.py).
MR_DATASETS = {"mr": 2, "mr3": 3, "mr5": 5}
BUILTIN_DATASETS = tuple(MR_DATASETS) + tuple(TFDS_DATASETS)


def load(name, **kwargs):
    """Loads a dataset as train/validation/test `DataSplits`.

    Args:
        name: str. `"mr"` (bundled, offline; `"mr3"` and `"mr5"` are its
            3- and 5-class score buckets), `"imdb_reviews"` or
            `"glue/sst2"` (tfds, needs network the first time), or the path
            of a .csv/.tsv/.jsonl file with text and label columns.
        **kwargs: passed to the loader: `source` for mr; `data_dir` for
            tfds; `text_column`, `label_column` for files.

    Returns:
        `DataSplits`.

    Raises:
        ValueError: `name` is neither a known dataset nor a data file path.

    Example:
        >>> splits = tfkd.data.load("mr")
        >>> len(splits.train), splits.class_names
        (8516, ('negative', 'positive'))
    """
    if name in MR_DATASETS:
        return load_mr(classes=MR_DATASETS[name], **kwargs)
    if name in TFDS_DATASETS:
        return load_tfds(name, **kwargs)
    if pathlib.Path(name).suffix.lower() in FILE_FORMATS:
        return load_file(name, **kwargs)
    raise ValueError(
        f"Unknown dataset {name!r}; use one of {list(BUILTIN_DATASETS)} or a path to a "
        f"{'/'.join(sorted(FILE_FORMATS))} file"
    )
