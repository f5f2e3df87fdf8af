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


def _rows(count, label=lambda i: ["neg", "pos"][i % 2]):
    return "text,label\n" + "\n".join(f"text number {i},{label(i)}" for i in range(count))


def test_a_quoted_csv_field_keeps_its_line_breaks(tmp_path):
    body = _rows(40) + '\n"a first line\nand a second, with a comma",pos\n'
    splits = tfkd.data.load(_write(tmp_path / "multi.csv", body))
    loaded = splits.train.texts + splits.validation.texts + splits.test.texts
    assert "a first line\nand a second, with a comma" in loaded and len(loaded) == 41


def test_whole_number_labels_are_one_class_however_written(tmp_path):
    path = tmp_path / "numbers.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"t{i}", "label": [1, 1.0, "1", 0, "0.0"][i % 5]})
                              for i in range(40)))
    splits = tfkd.data.load(str(path))
    assert splits.class_names == ("0", "1")
    assert sorted(set(splits.train.labels)) == [0, 1]


@pytest.mark.parametrize("name, body, message", [
    ("float.csv", _rows(40, lambda i: [0.7, 1.9][i % 2]),
     r"float.csv example 1: label '0.7' in column 'label' is not a whole number; labels are class names or integer"),
    ("empty_texts.csv", "text,label\n" + "\n".join(f" ,{i % 2}" for i in range(40)),
     r"empty_texts.csv: column 'text' is empty in all 40 examples"),
    ("three.csv", _rows(3), r"three.csv has 3 examples, and its 80/10/10 split leaves \[.*\] empty"),
    ("long.csv", _rows(30) + "\n" + "x" * 200_000 + ",pos\n", r"long.csv line 32 cannot be read as CSV: field larger"),
    ("list.jsonl", '{"text": "a", "label": 1}\n["b", 0]\n', r"list.jsonl line 2 is a JSON list, not an object"),
], ids=["float-labels", "all-empty-texts", "too-few-for-a-split", "overlong-field", "jsonl-list"])
def test_data_that_would_be_read_wrongly_is_refused_by_name(tmp_path, name, body, message):
    with pytest.raises(ValueError, match=message):
        tfkd.data.load(_write(tmp_path / name, body))


def test_undecodable_bytes_after_a_byte_order_mark_name_the_line(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftext,label\ngood,1\n" + "café,0\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"bom.csv line 3 is not valid UTF-8 \(byte 0xe9 at column 4\)"):
        tfkd.data.load(str(path))
