"""docs/: the Python snippets of compress.md and multimodal.md run as written; cli.md holds the current config
schema."""

import dataclasses
import importlib
import importlib.util
import io
import json
import pathlib
import re
import shlex
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.data import preprocess

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


ROOT = DOCS.parent
FILE_SUFFIXES = {"json", "txt", "yaml", "md", "tflite", "npz", "keras", "h5", "py", "lock", "csv"}


def _resolve(dotted):
    """The object a dotted name such as `tfkd.distill.train_student` names (ImportError/AttributeError if none)."""
    parts = dotted.split(".")
    for length in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:length]))
        except ImportError:
            continue
        for attribute in parts[length:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def test_the_results_page_and_the_readme_table_are_built_from_the_results_files():
    # docs/build_results.py --check rebuilds both from benchmarks/results/ and compares: a number typed or
    # left stale by hand fails here.
    result = subprocess.run([sys.executable, str(DOCS / "build_results.py"), "--check"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_readme_stays_a_short_guide():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert readme.count("```bash") == 2 and "make demo" in readme and "make test" in readme


def test_the_readmes_run_directory_listing_names_what_a_run_writes():
    readme = (ROOT / "README.md").read_text()
    (listing,) = re.findall(r"```text\n(.*?)```", readme, re.S)
    config = tfkd.PipelineConfig()
    for name in [spec.file for spec in config.model_files()] + ["report.md", "report.json", "run.log", "student.keras"]:
        assert name in listing
    assert "mobile/student.tflite" in listing and "micro/student.h" in listing and "micro/student.cc" in listing


def test_every_tfkd_name_the_docs_and_docstrings_quote_exists():
    sources = [*ROOT.joinpath("tfkd").rglob("*.py"), ROOT / "README.md", *DOCS.glob("*.md")]
    missing = set()
    for path in sources:
        for dotted in re.findall(r"`(tfkd(?:\.\w+)+)", path.read_text()):
            if dotted.rsplit(".", 1)[-1] in FILE_SUFFIXES:  # a file name such as `tfkd.json`
                continue
            try:
                _resolve(dotted)
            except (ImportError, AttributeError):
                missing.add(f"{path.relative_to(ROOT)}: {dotted}")
    assert not missing, sorted(missing)


def test_the_api_reference_builds_without_warnings_and_its_pages_link_to_pages_that_exist(tmp_path):
    pytest.importorskip("pdoc", reason="pdoc is in the dev extra (make installs it)")
    spec = importlib.util.spec_from_file_location("build_api", DOCS / "build_api.py")
    build_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_api)
    assert build_api.build(tmp_path) == []
    pages = {page.resolve() for page in tmp_path.rglob("*.html")}
    assert {tmp_path.resolve() / "tfkd.html", tmp_path.resolve() / "tfkd" / "distill.html"} <= pages
    broken = set()
    for page in pages:
        for target in re.findall(r'href="([^"#:]+\.html)', page.read_text()):
            if (page.parent / target).resolve() not in pages:
                broken.add(f"{page.name} -> {target}")
    assert not broken, sorted(broken)
    assert "train_student" in (tmp_path / "tfkd" / "distill.html").read_text()


def _blocks(path, language):
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


def _run(code, path, namespace=None):
    namespace = {} if namespace is None else namespace
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102
    return namespace


def _tiny(code, replacements):
    """`code` with each (as written, tiny) pair replaced; a pair that is not there fails the test."""
    for written, tiny in replacements:
        assert written in code, f"the snippet no longer holds {written!r}"
        code = code.replace(written, tiny)
    return code


def test_the_readme_python_example_runs_on_tiny_settings(small_dataset, tmp_path, monkeypatch):
    (block,) = _blocks(ROOT / "README.md", "python")
    monkeypatch.chdir(tmp_path)
    block = _tiny(block, [('tfkd.data.load("mr")', f"tfkd.data.load({small_dataset!r})"),
                          ("fine_tuned_teacher(splits, epochs=1)",
                           "fine_tuned_teacher(splits, epochs=1, sequence_length=16)"),
                          ("8000, 64)", "200, 16)"), ("vocabulary_length, 64,", "vocabulary_length, 16,"),
                          ("epochs=10)", "epochs=2)")])
    namespace = _run(block, ROOT / "README.md")
    assert len(namespace["transfer"].texts["augmented"]) > len(namespace["splits"].train.texts)
    model = tfkd.TFLiteModel(tmp_path / "student_int8.tflite")
    accuracy = np.mean(model.predict(namespace["vectorizer"](namespace["splits"].test.texts)).argmax(-1)
                       == namespace["splits"].test.labels)
    assert accuracy > 0.8  # one cue word decides each label of the small dataset


def test_the_cli_guides_any_teacher_snippet_runs_end_to_end(small_dataset, tmp_path, monkeypatch):
    from tests.conftest import SMALL

    (block,) = _blocks(DOCS / "cli.md", "python")
    monkeypatch.chdir(tmp_path)
    tiny = {**SMALL, "dataset": small_dataset, "embedding_init": "random", "teacher_epochs": None,
            "teacher_sequence_length": None, "qat_epochs": 1}
    block = _tiny(block, [('config = {"dataset": "mr", "embedding_init": "random"}', f"config = {tiny!r}")])
    namespace = _run(block, DOCS / "cli.md")
    results = namespace["results"]
    assert [row.name for row in results][0].startswith("student")  # no teacher model: its row is the file's
    assert (tmp_path / "tflite_models" / "tfidf_teacher" / "report.md").exists()


def test_the_deploy_guides_convert_and_deploy_snippets_run(tmp_path, monkeypatch):
    first, second = [block for block in _blocks(DOCS / "deploy.md", "python") if "attach_tflite_metadata" not in block]
    monkeypatch.chdir(tmp_path)
    texts = ["a gripping, beautifully acted film", "a dull, lifeless plot", "Great cast!", "so boring."] * 16
    vectorizer = tfkd.data.TextVectorizer("word", vocabulary_size=50, sequence_length=16).fit(texts)
    keras.utils.set_random_seed(0)
    context = {"student": tfkd.students.build("cnn", vectorizer.vocabulary_length, 16, 2),
               "vectorizer": vectorizer, "train_ids": vectorizer(texts), "validation_ids": vectorizer(texts[:8])}
    namespace = _run(first, DOCS / "deploy.md", dict(context))
    assert namespace["report"]["tflm_vs_litert_agreement"] >= 0.99
    assert (tmp_path / "student_int8.tflite").exists() and (tmp_path / "firmware/src/model_data.h").exists()
    _run(second, DOCS / "deploy.md", dict(context))
    assert (tmp_path / "tflite_models/mr/sentiment.tflite").exists()
    assert (tmp_path / "tflite_models/mr/sentiment_micro.cc").exists()


def _shell_commands(path):
    """Every command of the ```bash blocks of `path`: comments dropped, `a && b` split, redirections cut."""
    commands = []
    for block in _blocks(path, "bash"):
        for line in block.splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            for command in filter(None, (part.split(">")[0].strip() for part in line.split("&&"))):
                commands.append(shlex.split(command))
    return commands


@pytest.mark.parametrize("guide", ["README.md", "docs/cli.md"])
def test_every_shell_command_of_the_guides_parses_with_valid_settings(guide, tmp_path, monkeypatch):
    # Not run (a `tfkd run` takes minutes): each make target exists, and each tfkd line parses and its
    # settings pass the config's checks.
    from tfkd.cli import build_parser

    makefile = (ROOT / "Makefile").read_text()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.yaml").write_text(tfkd.PipelineConfig.describe())
    (tmp_path / "reviews.csv").write_text("text,label\n" + "\n".join(f"review {i},{i % 2}" for i in range(40)))
    commands = _shell_commands(ROOT / guide)
    assert commands
    for command in commands:
        if command[0] == "make":
            assert re.search(rf"^{command[1]}:", makefile, re.M), command
            continue
        assert command[0] == "tfkd", command
        arguments = build_parser().parse_args(command[1:])
        if arguments.verb in ("config", "bench"):
            continue
        overrides = {field.name: getattr(arguments, field.name) for field in dataclasses.fields(tfkd.PipelineConfig)
                     if getattr(arguments, field.name) is not None}
        if arguments.config:
            tfkd.PipelineConfig.from_yaml(arguments.config, overrides)
        else:
            tfkd.PipelineConfig.from_dict(overrides)


@pytest.fixture(scope="module")
def deployed_tiny_student(tmp_path_factory):
    """A tiny student's int8 file with tfkd's metadata, and its C source: what the app snippets read."""
    folder = tmp_path_factory.mktemp("deployed")
    texts = ["a gripping, beautifully acted film", "a dull, lifeless plot"] * 8
    vectorizer = tfkd.data.TextVectorizer("word", vocabulary_size=50, sequence_length=16).fit(texts)
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("cnn", vectorizer.vocabulary_length, 16, 2)
    flatbuffer = tfkd.convert(student, "int8", vectorizer(texts))
    model = tfkd.convert.attach_metadata(flatbuffer, vectorizer, labels=["negative", "positive"])
    micro = tfkd.convert.MicroModel(flatbuffer)
    micro.write_c_source(folder, name="model_data")
    return model, (folder / "model_data.h").read_text()


def _json_keys(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _json_keys(item)}
    return set()


@pytest.mark.parametrize("language", ["kotlin", "swift"])
def test_the_plain_interpreter_app_snippets_read_what_tfkd_writes(deployed_tiny_student, language):
    # Kotlin and Swift cannot run here: every file, JSON key and pattern they read must be in the model file.
    model, _ = deployed_tiny_student
    archive = zipfile.ZipFile(io.BytesIO(model))
    keys = _json_keys(json.loads(archive.read("tfkd.json")))
    (block,) = [block for block in _blocks(DOCS / "deploy.md", language) if "tfkd.json" in block]
    files = set(re.findall(r'(?:text|read)\("([\w.]+)"\)', block))
    assert files == {"tfkd.json", "vocab.txt", "labels.txt"} and files <= set(archive.namelist())
    used = set(re.findall(r'get(?:JSONObject|Int|Boolean|Double)\("(\w+)"\)', block))
    used |= set(re.findall(r'\["(\w+)"\]', block))
    assert used and used <= keys, used - keys
    (pattern,) = re.findall(r'"(\[\\\\w.*?)"', block)
    assert pattern.replace("\\\\", "\\") == preprocess._WORD_PATTERN.pattern


def test_the_firmware_snippet_uses_the_names_of_the_generated_header(deployed_tiny_student):
    _, header = deployed_tiny_student
    (block,) = _blocks(DOCS / "deploy.md", "cpp")
    for name in ("model_data", "model_data_arena_size"):
        assert re.search(rf"\b{name}\b", block) and re.search(rf"\b{name}\b", header)


def test_the_mediapipe_app_snippets_load_the_file_the_pipeline_deploys():
    blocks = [block for language in ("kotlin", "swift", "javascript")
              for block in _blocks(DOCS / "deploy.md", language) if "TextClassifier" in block]
    assert len(blocks) == 3
    deployed = "student.tflite"  # mobile/<name>.tflite, name "student" (run_pipeline's deploy stage)
    assert all(deployed in block or '"student", ofType: "tflite"' in block for block in blocks)


def test_config_help_says_what_a_key_does_not_what_a_run_measured():
    for field in dataclasses.fields(tfkd.PipelineConfig):
        assert not re.search(r"\d+\.\d+ ?%|\baccuracy of\b|\bmeasured\b", field.metadata["help"]), field.name
