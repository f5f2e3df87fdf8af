"""The user's own labelled text files: CSV, TSV or JSONL."""

import csv
import json
import pathlib

from tfkd.data.data_splits import split_by_hash
from tfkd.data.text_dataset import TextDataset

FILE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}


def load_file(path, text_column="text", label_column="label"):
    """Loads a CSV, TSV or JSONL file of texts and labels, split 80/10/10 by a hash of each text.

    Labels may be strings or integers, binary or multi-class; classes are
    numbered in sorted order (integers numerically).

    Args:
        path: str or Path ending in .csv, .tsv, .jsonl or .json (JSON lines).
        text_column: str, default "text".
        label_column: str, default "label".

    Returns:
        `DataSplits`.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: unknown extension, undecodable bytes (the line is named),
            a missing column, an empty file, or fewer than two classes.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    file_format = FILE_FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise ValueError(f"{path}: unknown file type {path.suffix!r}; allowed: {sorted(FILE_FORMATS)}")
    rows = _read_rows(path, file_format)
    if not rows:
        raise ValueError(f"{path} has no examples (the file is empty or holds only a header)")
    texts, raw_labels = _columns(path, rows, text_column, label_column)
    class_names, labels = _encode_labels(path, raw_labels, label_column)
    dataset = TextDataset(texts, labels, class_names, name=path.stem)
    return split_by_hash(dataset, keys=[f"{i}:{t}" for i, t in enumerate(texts)], name=path.stem)


def _read_rows(path, file_format):
    lines = _decode_lines(path)
    if file_format == "jsonl":
        rows = []
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path} line {number} is not valid JSON: {error}") from error
        return rows
    return list(csv.DictReader(lines, delimiter="\t" if file_format == "tsv" else ","))


def _decode_lines(path):
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{path} line {number} is not valid UTF-8 (byte {raw[error.start]:#04x} at column "
                f"{error.start + 1}); save the file as UTF-8"
            ) from error
    return lines


def _columns(path, rows, text_column, label_column):
    available = list(rows[0].keys())
    for role, column in (("text_column", text_column), ("label_column", label_column)):
        if column not in available:
            raise ValueError(f"{path} has no column {column!r} ({role}); its columns are {available}")
    for number, row in enumerate(rows, start=1):
        if row.get(text_column) is None or row.get(label_column) in (None, ""):
            raise ValueError(f"{path} example {number} has no {text_column!r} or {label_column!r} value")
    return [str(row[text_column]) for row in rows], [row[label_column] for row in rows]


def _encode_labels(path, raw_labels, label_column):
    values = sorted({str(label).strip() for label in raw_labels}, key=_label_sort_key)
    if len(values) < 2:
        raise ValueError(
            f"{path}: column {label_column!r} has a single label {values}; classification needs at least 2 classes"
        )
    index = {value: i for i, value in enumerate(values)}
    return tuple(values), [index[str(label).strip()] for label in raw_labels]


def _label_sort_key(value):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
