"""tfkd.progress: what a long loop shows where no progress bar can be drawn (a log file, CI)."""

import io

import pytest

from tfkd import progress as progress_module
from tfkd.progress import progress


@pytest.fixture
def in_a_log(monkeypatch):
    """Progress shown (not TFKD_QUIET), on a stderr that is not a terminal (pytest's capture)."""
    monkeypatch.delenv("TFKD_QUIET", raising=False)


def test_a_long_loop_in_a_log_prints_how_far_it_is_and_the_time_left(in_a_log, monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_SECONDS", 0)
    assert list(progress(["a", "b", "c", "d"], "teacher logits")) == ["a", "b", "c", "d"]
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" after ")[0] for line in lines] == [
        "   teacher logits: 25% (1 of 4)", "   teacher logits: 50% (2 of 4)", "   teacher logits: 75% (3 of 4)"]
    assert all(line.endswith(" s left") for line in lines)


def test_a_loop_whose_items_grow_reckons_its_share_by_the_work_done(in_a_log, monkeypatch, capsys):
    # Batches sorted by length: the last one holds most of the tokens, so 3 of 4 items are 30% of the work.
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_SECONDS", 0)
    assert list(progress(["a", "b", "c", "d"], "teacher logits", work=[1, 1, 1, 7])) == ["a", "b", "c", "d"]
    assert [line.split(" after ")[0] for line in capsys.readouterr().err.splitlines()] == [
        "   teacher logits: 10% (1 of 4)", "   teacher logits: 20% (2 of 4)", "   teacher logits: 30% (3 of 4)"]


def test_a_bar_moves_on_by_the_work_of_each_item():
    tqdm = pytest.importorskip("tqdm").tqdm
    bar = tqdm(total=10, file=io.StringIO())
    seen = []
    for item in progress_module._advanced_by_work(["a", "b", "c"], [1.0, 2.0, 7.0], bar):
        seen.append((item, bar.n))
    assert seen == [("a", 0), ("b", 1.0), ("c", 3.0)] and bar.n == 10.0


def test_work_needs_one_cost_per_item(in_a_log):
    with pytest.raises(ValueError, match="work has 2 costs for a loop of 3 items"):
        progress(["a", "b", "c"], "teacher logits", work=[1, 2])


def test_a_loop_of_unknown_length_counts_what_is_done(in_a_log, monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_SECONDS", 0)
    assert list(progress((n for n in range(2)), "bench")) == [0, 1]
    assert [line.split(" after ")[0] for line in capsys.readouterr().err.splitlines()] == [
        "   bench: 1", "   bench: 2"]


def test_a_short_loop_prints_nothing(in_a_log, capsys):
    assert list(progress(range(1000), "accuracy")) == list(range(1000))
    assert capsys.readouterr().err == ""


def test_tfkd_quiet_hands_the_loop_back_as_it_is(monkeypatch):
    monkeypatch.setenv("TFKD_QUIET", "1")
    items = ["a"]
    assert progress(items, "teacher logits") is items


@pytest.mark.parametrize("seconds, text", [(5, "5 s"), (89, "89 s"), (600, "10 min")])
def test_durations_are_read_in_seconds_then_minutes(seconds, text):
    assert progress_module._duration(seconds) == text
