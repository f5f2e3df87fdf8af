"""Data: datasets as train/validation/test splits, and text -> student ids.

Datasets: `"mr"` (bundled, offline; `"mr3"`/`"mr5"` its fine-grained buckets),
tfds `"imdb_reviews"` and `"glue/sst2"` (online), the user's CSV/TSV/JSONL
files, and generated multimodal examples (`synthetic_multimodal`). Unlabeled
other-domain sentences for a teacher-labelled transfer set: `transfer_texts`.
"""

from tfkd.data.cache import cache_dir
from tfkd.data.data_splits import DataSplits
from tfkd.data.loader import BUILTIN_DATASETS, load
from tfkd.data.synthetic_multimodal import synthetic_multimodal
from tfkd.data.text_augmenter import TextAugmenter
from tfkd.data.text_dataset import TextDataset
from tfkd.data.text_vectorizer import TextVectorizer
from tfkd.data.transfer_texts import transfer_texts, write_labelled_csv

__all__ = ["BUILTIN_DATASETS", "DataSplits", "TextAugmenter", "TextDataset", "TextVectorizer", "cache_dir", "load",
           "synthetic_multimodal", "transfer_texts", "write_labelled_csv"]
