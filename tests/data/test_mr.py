"""tfkd.data.mr: the bundled MR set, fetched once, verified, split the same way every time."""

import pytest

import tfkd
from tfkd.data import mr


@pytest.fixture
def mr_splits():
    return tfkd.data.load("mr")  # fetched once per test session into its cache


def test_counts_match_the_documented_split(mr_splits):
    # Counts documented in tfkd/data/mr.py and the README: 10,605 sentences, 37 zero scores dropped.
    summary = mr_splits.summary()
    assert {split: summary[split]["examples"] for split in summary} == {
        "train": 8516, "validation": 1037, "test": 1015}
    assert sum(summary[split]["negative"] for split in summary) == 5326
    assert sum(summary[split]["positive"] for split in summary) == 5242
    assert mr_splits.class_names == ("negative", "positive")


def test_split_is_identical_on_reload_and_disjoint(mr_splits):
    again = tfkd.data.load("mr")
    for split in ("train", "validation", "test"):
        assert again[split].texts == mr_splits[split].texts
        assert (again[split].labels == mr_splits[split].labels).all()
    train, test = set(mr_splits.train.texts), set(mr_splits.test.texts)
    # MR holds 2 duplicated sentences; apart from those no text is in both splits.
    assert len(train & test) <= 2


def test_text_is_decoded_as_utf8(mr_splits):
    all_texts = mr_splits.train.texts + mr_splits.validation.texts + mr_splits.test.texts
    assert any("clichés" in text for text in all_texts)
    assert not any("Ã" in text for text in all_texts)  # what a latin-1 decode would produce


def test_parse_drops_zero_scores_and_labels_by_sign():
    raw = "1\t2.5\tgood\r\n2\t0.0\tneutral\r\n3\t-0.2\tbad\r\n".encode("utf-8")
    assert mr.parse_mr(raw) == [("1", "good", 1), ("3", "bad", 0)]


@pytest.mark.parametrize("name, classes", [("mr3", 3), ("mr5", 5)])
def test_fine_grained_tasks_keep_every_sentence_in_the_binary_split(mr_splits, name, classes):
    fine = tfkd.data.load(name)
    assert fine.num_classes == classes and fine.train.name == f"{name}/train"
    # 10,605 sentences (zero scores kept): 8,546 / 1,041 / 1,018, counted when the buckets were added.
    assert [len(fine[split]) for split in ("train", "validation", "test")] == [8546, 1041, 1018]
    for split in ("train", "validation", "test"):
        assert set(mr_splits[split].texts) <= set(fine[split].texts)
    assert all(count > 0 for count in fine.train.class_counts().values())  # every bucket has examples


@pytest.mark.parametrize("score, label", [
    (-2.01, 0), (-2.0, 1), (-0.51, 1), (-0.5, 2), (0.0, 2), (0.5, 2), (0.51, 3), (2.0, 3), (2.01, 4)])
def test_five_buckets_on_both_sides_of_each_limit(score, label):
    raw = f"7\t{score}\tsome text\n".encode("utf-8")
    assert mr.parse_mr_fine_grained(raw, 5) == [("7", "some text", label)]


@pytest.mark.parametrize("score, label", [(-1.01, 0), (-1.0, 1), (1.0, 1), (1.01, 2)])
def test_three_buckets_on_both_sides_of_each_limit(score, label):
    raw = f"7\t{score}\tsome text\n".encode("utf-8")
    assert mr.parse_mr_fine_grained(raw, 3) == [("7", "some text", label)]


@pytest.mark.parametrize("classes", [1, 4, "5"])
def test_unsupported_class_counts_are_named(classes):
    with pytest.raises(ValueError, match=rf"`classes` must be one of \[2, 3, 5\]; received classes={classes!r}"):
        mr.load_mr(classes=classes)


def test_parse_names_the_line_with_missing_fields():
    with pytest.raises(ValueError, match="line 2: expected 3 tab-separated fields, found 2"):
        mr.parse_mr(b"1\t1.0\tok\n2\tbroken\n")


def test_a_source_with_the_wrong_checksum_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    fake = tmp_path / mr.MR_FILE
    fake.write_text("1\t1.0\tnot the real file\n")
    with pytest.raises(ValueError, match=f"{mr.MR_FILE} from {fake} has SHA-256"):
        tfkd.data.load("mr", source=str(fake))
    assert not (tmp_path / "cache" / "mr" / mr.MR_FILE).exists()


def test_a_missing_source_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match=f"nowhere.tar.gz \\(for {mr.MR_FILE}\\) does not exist"):
        tfkd.data.load("mr", source=str(tmp_path / "nowhere.tar.gz"))
