"""TensorFlow Datasets sources for users who are online (IMDB, SST-2)."""

import socket

from tfkd._keras import import_optional
from tfkd.data.data_splits import split_by_hash
from tfkd.data.text_dataset import TextDataset

# name -> (download host probed before tfds starts its slow retries,
#          text feature, splits to concatenate for train, split used as test)
TFDS_DATASETS = {
    "imdb_reviews": ("ai.stanford.edu", "text", "train", "test"),
    "glue/sst2": ("dl.fbaipublicfiles.com", "sentence", "train", "validation"),
}
CLASS_NAMES = ("negative", "positive")


def load_tfds(name, data_dir=None, probe_timeout=5.0):
    """Loads a tfds sentiment dataset: train split into train/validation, its test split as test.

    Args:
        name: str, one of `TFDS_DATASETS`.
        data_dir: str or None, tfds' data directory.
        probe_timeout: float, seconds to wait when checking the network.

    Raises:
        ConnectionError: the dataset is not prepared locally and its download
            host cannot be reached (offline); the message names `mr`.
    """
    tfds = import_optional("tensorflow_datasets", "tensorflow-datasets")
    host, text_key, train_split, test_split = TFDS_DATASETS[name]
    builder = tfds.builder(name, data_dir=data_dir)
    if not _is_prepared(builder):
        _require_network(name, host, probe_timeout)
        builder.download_and_prepare()
    train = _to_dataset(tfds, builder.as_dataset(split=train_split), text_key, name)
    test = _to_dataset(tfds, builder.as_dataset(split=test_split), text_key, f"{name}/test")
    splits = split_by_hash(train, keys=[f"{i}:{t}" for i, t in enumerate(train.texts)],
                           name=name, validation_buckets=1, test_buckets=0)
    return type(splits)(splits.train, splits.validation, test)


def _is_prepared(builder):
    try:
        return bool(builder.is_prepared())
    except Exception:  # noqa: BLE001 - tfds raises various errors for missing data
        return False


def _require_network(name, host, timeout):
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(
            f"Cannot load tfds dataset {name!r}: it is not prepared locally and its download "
            f"host {host} is unreachable ({error}). This machine looks offline; use the "
            f"bundled dataset instead: tfkd.data.load('mr')."
        ) from error


def _to_dataset(tfds, tf_dataset, text_key, name):
    texts, labels = [], []
    for example in tfds.as_numpy(tf_dataset):
        texts.append(example[text_key].decode("utf-8"))
        labels.append(int(example["label"]))
    return TextDataset(texts, labels, CLASS_NAMES, name=name)
