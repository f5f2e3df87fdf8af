"""tfkd.pipeline.run_pipeline: the whole path on a small file, resumable, never clobbering a run."""

import json
import subprocess
import sys

import pytest

import tfkd
from tests.pipeline.conftest import SMALL


def test_run_writes_models_tokenizer_and_a_report_measured_in_litert(finished_run):
    output, results, _ = finished_run
    for name in ("teacher_float32.tflite", "student_float32.tflite", "student_pruned_int8.tflite",
                 "student_pruned_qat_int8.tflite", "student_pruned_qat.weights.h5", "tokenizer/vocab.txt", "student.keras",
                 "report.md", "report.json", "config.json", "run.log"):
        assert (output / name).exists(), name
    report = json.loads((output / "report.json").read_text())
    assert [row["name"] for row in report["results"]] == [r.name for r in results]
    for row in report["results"]:
        assert row["size_bytes"] == (output / row["path"].split("/")[-1]).stat().st_size
        assert 0.0 <= row["accuracy"] <= 1.0 and row["latency_ms_median"] > 0
    teacher, student, compressed, quantization_aware = results
    assert compressed.size_bytes < student.size_bytes < teacher.size_bytes
    assert compressed.nonzero_parameters < compressed.parameters
    assert quantization_aware.name == "student pruned 50% + QAT int8"
    assert quantization_aware.size_bytes < student.size_bytes / 2  # int8
    assert quantization_aware.gzip_bytes < compressed.size_bytes  # the zeros survived QAT
    text = (output / "report.md").read_text()
    assert "| model | accuracy |" in text
    targets = report["targets"]
    assert targets["smaller_than_teacher"] == round(teacher.size_bytes / quantization_aware.size_bytes, 1)
    assert targets["int8_gap_points"] == round(100 * (student.accuracy - quantization_aware.accuracy), 2)
    assert f"{targets['smaller_than_teacher']}x smaller than the teacher's .tflite (target >= 50x, " in text


def test_qat_can_be_skipped(small_dataset, tmp_path):
    results = tfkd.run_pipeline({"dataset": small_dataset, **SMALL, "qat_epochs": 0}, tmp_path / "no_qat",
                                log=lambda line: None)
    assert [result.name for result in results][-1] == "student pruned 50% + int8"
    assert not (tmp_path / "no_qat" / "student_pruned_qat_int8.tflite").exists()


def test_student_learns_the_easy_task(finished_run):
    _, results, _ = finished_run
    assert results[1].accuracy >= 0.8  # one sentiment word decides the label


def test_rerun_resumes_without_retraining(finished_run, small_dataset):
    output, results, _ = finished_run
    student_bytes = (output / "student_float32.tflite").read_bytes()
    logs = []
    again = tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, log=logs.append)
    assert any("resuming the run" in line for line in logs)
    assert (output / "student_float32.tflite").read_bytes() == student_bytes
    assert [r.name for r in again] == [r.name for r in results]


def test_a_different_config_in_the_same_directory_is_refused(finished_run, small_dataset):
    output, _, _ = finished_run
    before = (output / "config.json").read_text()
    with pytest.raises(ValueError, match=r"holds a run with a different config \(keys \['alpha'\] differ\)"):
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL, "alpha": 0.9}, output)
    assert (output / "config.json").read_text() == before


def test_cli_rejects_a_bad_student_naming_the_choices(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tfkd", "run", "--student", "gpt", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "'student' must be one of ['average_embedding', 'bilstm', 'cnn', 'transformer']; received 'gpt'" in result.stderr
