"""tfkd.report.plots: the Pareto front by hand, and PNGs written."""

import pytest

from tfkd.benchmark import ModelResult
from tfkd.report import pareto_front, plot_sparsity_sweep, plot_tradeoffs


def _result(name, size, latency, accuracy):
    return ModelResult(name=name, path=name, size_bytes=size, gzip_bytes=size, accuracy=accuracy, macro_f1=accuracy,
                       examples=10, latency_ms_median=latency, latency_ms_p90=latency, latency_ms_p99=latency,
                       num_threads=1)


def test_pareto_front_keeps_only_undominated_points():
    points = [(10, 0.80), (5, 0.78), (20, 0.79), (1, 0.60), (5, 0.78), (30, 0.86)]
    # (20, 0.79) costs more than (10, 0.80) and is less accurate; the duplicate (5, 0.78) ties.
    assert pareto_front(points) == [3, 1, 4, 0, 5]
    assert pareto_front([]) == []


def test_plots_are_written(tmp_path):
    results = [_result("teacher", 90_000_000, 22.0, 0.86), _result("student", 290_000, 0.06, 0.80),
               _result("int8", 220_000, 0.05, 0.80)]
    paths = plot_tradeoffs(results, tmp_path, prefix="mr")
    assert [path.name for path in paths] == ["mr_size.png", "mr_latency.png"]
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in paths)


def test_sparsity_sweep_is_written_and_a_bad_sparsity_is_named(tmp_path):
    series = {"cnn": [(0.0, 0.80), (0.5, 0.80), (0.75, 0.79)], "bilstm": [(0.0, 0.80), (0.9, 0.78)]}
    path = plot_sparsity_sweep(series, tmp_path / "sweep.png", dense={"cnn": 0.80})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\); received 1.0 for 'cnn'"):
        plot_sparsity_sweep({"cnn": [(1.0, 0.5)]}, tmp_path / "bad.png")
