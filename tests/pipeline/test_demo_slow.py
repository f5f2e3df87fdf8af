"""The README's main command end to end on MR (real teacher fine-tuning: ~15 minutes). `make test-slow`."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_demo_command_writes_the_report_and_tflite_files(tmp_path):
    output = tmp_path / "mr_demo"
    result = subprocess.run([sys.executable, "-m", "tfkd", "run", "--output", str(output)],
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((output / "report.json").read_text())
    teacher, student, compressed, quantization_aware = report["results"]
    assert teacher["accuracy"] > 0.8 and student["accuracy"] > 0.7 and quantization_aware["accuracy"] > 0.7
    assert compressed["size_bytes"] * 50 < teacher["size_bytes"]
    assert report["comparison"]["smaller_than_teacher"] >= 50 and report["comparison"]["faster_than_teacher"] >= 30
    for name in ("teacher_float32.tflite", "student_float32.tflite", "student_pruned_int8.tflite",
                 "student_pruned_qat_int8.tflite"):
        assert (output / name).stat().st_size > 0
