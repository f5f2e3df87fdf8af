"""tfkd.data.files: the user's CSV/TSV/JSONL files, and a clear error for each bad one."""

import json

import pytest

import tfkd


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"], ids=["csv", "tsv", "jsonl"])
def test_each_format_loads_all_rows(tmp_path, suffix):
    rows = [{"text": f"text number {i}", "label": ["neg", "pos"][i % 2]} for i in range(40)]
    if suffix == ".jsonl":
        body = "\n".join(json.dumps(row) for row in rows)
    else:
        separator = "\t" if suffix == ".tsv" else ","
        body = "text" + separator + "label\n" + "\n".join(f"{r['text']}{separator}{r['label']}" for r in rows)
    splits = tfkd.data.load(_write(tmp_path / f"data{suffix}", body))
    assert splits.class_names == ("neg", "pos")
    loaded = splits.train.texts + splits.validation.texts + splits.test.texts
    assert sorted(loaded) == sorted(row["text"] for row in rows)


def test_integer_multiclass_labels_sort_numerically(tmp_path):
    body = "text,label\n" + "\n".join(f"t{i},{[2, 10, 1][i % 3]}" for i in range(30))
    splits = tfkd.data.load(_write(tmp_path / "multi.csv", body))
    assert splits.class_names == ("1", "2", "10")
    assert splits.num_classes == 3


def test_custom_column_names(tmp_path):
    body = "review,stars\ngreat,5\nawful,1\nfine,5\n"
    splits = tfkd.data.load(_write(tmp_path / "reviews.csv", body), text_column="review", label_column="stars")
    assert splits.class_names == ("1", "5")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.csv does not exist"):
        tfkd.data.load(str(tmp_path / "absent.csv"))


def test_missing_column_names_it_and_lists_the_columns(tmp_path):
    path = _write(tmp_path / "d.csv", "sentence,label\nhi,1\nyo,0\n")
    with pytest.raises(ValueError, match=r"has no column 'text' \(text_column\); its columns are \['sentence', 'label'\]"):
        tfkd.data.load(path)


@pytest.mark.parametrize("body", ["", "text,label\n"], ids=["empty", "header-only"])
def test_empty_file_is_refused(tmp_path, body):
    path = _write(tmp_path / "empty.csv", body)
    with pytest.raises(ValueError, match="empty.csv has no examples"):
        tfkd.data.load(path)


def test_a_single_label_is_refused(tmp_path):
    path = _write(tmp_path / "one.csv", "text,label\na,pos\nb,pos\n")
    with pytest.raises(ValueError, match=r"column 'label' has a single label \['pos'\]; classification needs at least 2"):
        tfkd.data.load(path)


def test_undecodable_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ngood,1\n".encode() + "café,0\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv line 3 is not valid UTF-8 \(byte 0xe9 at column 4\)"):
        tfkd.data.load(str(path))


def test_bad_json_line_is_named(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n{"text": oops}\n')
    with pytest.raises(ValueError, match="d.jsonl line 2 is not valid JSON"):
        tfkd.data.load(path)


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown dataset 'sst5'; use one of \['mr', 'mr3', 'mr5', 'imdb_reviews', 'glue/sst2'\]"):
        tfkd.data.load("sst5")
