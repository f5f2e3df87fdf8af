"""The user's own labelled text files: CSV, TSV or JSONL."""

import csv
import io
import json
import math
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
            a missing column, an empty file, an all-empty text column, a
            label that is a number but not a whole one, a field the CSV
            reader cannot take (its line), too few examples for every split
            to hold one, or fewer than two classes.
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
    splits = split_by_hash(dataset, keys=[f"{i}:{t}" for i, t in enumerate(texts)], name=path.stem)
    empty = [split for split in ("train", "validation", "test") if len(splits[split]) == 0]
    if empty:
        raise ValueError(f"{path} has {len(texts)} examples, and its 80/10/10 split leaves {empty} empty; "
                         "give at least a few dozen examples")
    return splits


def _read_rows(path, file_format):
    """The file's rows as dicts, read as one stream so that quoted CSV fields keep their line breaks."""
    text = _decoded(path)
    if file_format == "jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path} line {number} is not valid JSON: {error}") from error
                if not isinstance(row, dict):
                    raise ValueError(f"{path} line {number} is a JSON {type(row).__name__}, not an object with "
                                     f"'text' and 'label' keys: {line[:80]!r}")
                rows.append(row)
        return rows
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if file_format == "tsv" else ",")
    try:
        return list(reader)
    except csv.Error as error:  # e.g. a field over the csv module's limit (131,072 characters)
        # line_num counts the lines of the records read whole; the failing one starts on the next line
        raise ValueError(f"{path} line {reader.line_num + 1} cannot be read as {file_format.upper()}: "
                         f"{error}") from error


def _decoded(path):
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # error.start counts from after a BOM only when there is one; utf-8-sig strips 3 bytes
        start = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line_start, line = data.rfind(b"\n", 0, start) + 1, data.count(b"\n", 0, start) + 1
        raise ValueError(
            f"{path} line {line} is not valid UTF-8 (byte {data[start]:#04x} at column "
            f"{start - line_start + 1}); save the file as UTF-8"
        ) from error


def _columns(path, rows, text_column, label_column):
    available = list(rows[0].keys())
    for role, column in (("text_column", text_column), ("label_column", label_column)):
        if column not in available:
            raise ValueError(f"{path} has no column {column!r} ({role}); its columns are {available}")
    for number, row in enumerate(rows, start=1):
        if row.get(text_column) is None or row.get(label_column) in (None, ""):
            raise ValueError(f"{path} example {number} has no {text_column!r} or {label_column!r} value")
    texts = [str(row[text_column]) for row in rows]
    if not any(text.strip() for text in texts):
        raise ValueError(f"{path}: column {text_column!r} is empty in all {len(texts)} examples; nothing to learn from")
    return texts, [row[label_column] for row in rows]


def _encode_labels(path, raw_labels, label_column):
    labels = [_class_name(path, number, label, label_column) for number, label in enumerate(raw_labels, start=1)]
    values = sorted(set(labels), key=_label_sort_key)
    if len(values) < 2:
        raise ValueError(
            f"{path}: column {label_column!r} has a single label {values}; classification needs at least 2 classes"
        )
    index = {value: i for i, value in enumerate(values)}
    return tuple(values), [index[label] for label in labels]


def _class_name(path, number, label, label_column):
    """A label as its class name: a string as written, a number as its integer (1, 1.0 and "1" are one class).

    Raises:
        ValueError: a number that is not a whole number (0.7 names no class), naming the example.
    """
    if isinstance(label, bool):
        return str(label).lower()
    text = str(label).strip()
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"{path} example {number}: label {label!r} in column {label_column!r} is not a whole "
                         "number; labels are class names or integer class ids")
    return str(int(value))


def _label_sort_key(value):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
