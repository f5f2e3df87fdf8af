"""docs/: the Python snippets of compress.md and multimodal.md run as written; cli.md holds the current config
schema."""

import pathlib
import re

import tfkd

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def test_compress_guide_snippets_run():
    text = (DOCS / "compress.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 8  # one per method, and the report
    namespace = {}
    exec(compile("\n".join(blocks), str(DOCS / "compress.md"), "exec"), namespace)  # noqa: S102
    report = namespace["report"]
    assert report["files"]["int8"]["gzip_bytes"] < report["bytes"]["int8"]  # ternary values gzip well


def test_the_cli_guide_holds_the_current_config_schema():
    text = (DOCS / "cli.md").read_text()
    (schema,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert schema == tfkd.PipelineConfig.describe()


def test_multimodal_guide_example_runs_and_converts():
    text = (DOCS / "multimodal.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace = {}
    exec(compile(block, str(DOCS / "multimodal.md"), "exec"), namespace)  # noqa: S102
    assert namespace["report"]["tflm_vs_litert_agreement"] >= 0.99
    assert namespace["accuracy"] >= 0.8  # the best possible is ~90% (a cue is missing in 10% per modality)


def test_distillation_guide_snippets_run():
    text = (DOCS / "distill.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 5
    namespace = {}
    exec(compile("\n".join(blocks), str(DOCS / "distill.md"), "exec"), namespace)  # noqa: S102
    assert {"loss", "student_loss", "distillation_loss", "entropy", "accuracy"} == set(namespace["history"].history)
    assert namespace["agreement"] >= 0.95  # the Keras 3 student's int8 file against its Keras predictions
    assert namespace["two_temperatures"].temperature == 1.0  # the schedule's last value


def test_the_mediapipe_section_of_the_deploy_guide_runs(tmp_path, monkeypatch):
    text = (DOCS / "deploy.md").read_text()
    (block,) = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "attach_tflite_metadata" in block]
    monkeypatch.chdir(tmp_path)  # the snippet writes student.tflite
    namespace = {}
    exec(compile(block, str(DOCS / "deploy.md"), "exec"), namespace)  # noqa: S102
    assert namespace["metadata"]["labels"] == ["negative", "positive"]
    assert namespace["metadata"]["delimiter"] == r"[^\w']+"
    assert (tmp_path / "student.tflite").read_bytes() == namespace["model"]
