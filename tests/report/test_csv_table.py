"""tfkd.report.csv_table: one row per result, the fields of ModelResult."""

import csv

import pytest

from tfkd.report import write_csv
from tests.report.test_plots import _result


def test_rows_round_trip(tmp_path):
    results = [_result("teacher", 1000, 2.0, 0.86), _result("student", 10, 0.1, 0.8)]
    results[1].confusion_matrix = [[4, 1], [1, 4]]
    path = write_csv(results, tmp_path / "results.csv")
    rows = list(csv.DictReader(path.open()))
    assert [row["name"] for row in rows] == ["teacher", "student"]
    assert float(rows[1]["accuracy"]) == 0.8 and "confusion_matrix" not in rows[0]


def test_nothing_to_write_is_named(tmp_path):
    with pytest.raises(ValueError, match="`results` is empty"):
        write_csv([], tmp_path / "results.csv")
