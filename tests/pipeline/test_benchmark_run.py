"""tfkd.pipeline.benchmark_run and `tfkd bench`: a finished run re-measured over threads and XNNPACK."""

import csv
import json
import subprocess
import sys

import pytest

from tfkd.pipeline import benchmark_run


def test_every_model_and_setting_is_measured_and_written(finished_run, tmp_path):
    run_directory, pipeline_results, _ = finished_run
    logs = []
    results = benchmark_run(run_directory, tmp_path, threads=(1, 2), xnnpack=(True, False), quick=True,
                            measure_memory=False, log=logs.append)
    assert len(results) == 4 * 4 and len(logs) == 16
    assert {(r.num_threads, r.use_xnnpack) for r in results} == {(1, True), (1, False), (2, True), (2, False)}
    # Accuracy does not depend on threads or XNNPACK; it matches the pipeline's own report.
    by_name = {}
    for result in results:
        by_name.setdefault(result.name, set()).add(round(result.accuracy, 6))
    assert all(len(values) == 1 for values in by_name.values())
    assert by_name["student pruned 50% + int8"] == {round(pipeline_results[2].accuracy, 6)}
    arenas = {result.name: result.arena_bytes for result in results}
    assert arenas["teacher (MiniLM, float32)"] is None  # the teacher is not measured as a micro target
    assert arenas["student pruned 50% + int8"] > 0
    assert arenas["student (cnn, float32)"] > arenas["student pruned 50% + int8"]
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["quick"] and len(document["results"]) == 16 and document["machine"]["cpu_count"] >= 1
    assert len(list(csv.DictReader((tmp_path / "bench.csv").open()))) == 16
    assert (tmp_path / "bench.md").read_text().count("\n") == 18
    assert {p.name for p in tmp_path.glob("*.png")} == {"bench_size.png", "bench_latency.png"}


def test_the_cli_verb_and_a_directory_that_is_not_a_run(finished_run, tmp_path):
    run_directory, _, _ = finished_run
    output = tmp_path / "cli"
    result = subprocess.run([sys.executable, "-m", "tfkd", "bench", str(run_directory), "--output", str(output),
                             "--threads", "1", "--xnnpack", "on", "--quick"], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(json.loads((output / "bench.json").read_text())["results"]) == 4
    assert all(row["peak_memory_bytes"] for row in csv.DictReader((output / "bench.csv").open()))
    missing = subprocess.run([sys.executable, "-m", "tfkd", "bench", str(tmp_path / "nothing")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "config.json is missing; expected a directory written by `tfkd run`" in \
        missing.stderr


@pytest.mark.parametrize("threads", [(0,)], ids=["zero-threads"])
def test_bad_thread_counts_are_named(finished_run, tmp_path, threads):
    run_directory, _, _ = finished_run
    with pytest.raises(ValueError, match="num_threads"):
        benchmark_run(run_directory, tmp_path, threads=threads, xnnpack=(True,), quick=True, measure_memory=False)
