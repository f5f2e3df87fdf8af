"""Data: datasets as train/validation/test splits, and text -> student ids.

Datasets: `"mr"` (bundled, offline), tfds `"imdb_reviews"` and `"glue/sst2"`
(online), and the user's CSV/TSV/JSONL files.
"""

from tfkd.data.cache import cache_dir
from tfkd.data.data_splits import DataSplits
from tfkd.data.loader import BUILTIN_DATASETS, load
from tfkd.data.text_augmenter import TextAugmenter
from tfkd.data.text_dataset import TextDataset
from tfkd.data.text_vectorizer import TextVectorizer

__all__ = ["BUILTIN_DATASETS", "DataSplits", "TextAugmenter", "TextDataset", "TextVectorizer", "cache_dir", "load"]
