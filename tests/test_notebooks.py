"""notebooks/: each notebook runs top to bottom in a Jupyter kernel, with tiny settings, so none of them rots."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import SMALL

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
# Appended after each notebook's "parameters" cell (the papermill convention): the small synthetic file
# instead of IMDB/MR, and a few seconds per training stage.
TINY = {
    "01_sentiment_distillation": "MAX_TRAIN = None\nTEACHER_SEQUENCE_LENGTH, VOCABULARY_SIZE, SEQUENCE_LENGTH = 16, 200, 16\n"
                                 "EPOCHS, BENCHMARK_RUNS = 2, 5",
    "02_pruning_and_qat": f"SETTINGS = {SMALL!r}\nSPARSITIES, PRUNE_EPOCHS, QAT_EPOCHS = [0.5, 0.75], 1, 1",
    "03_tflite_mobile_and_micro": f"SETTINGS = {SMALL!r}\nBENCHMARK_RUNS = 5",
    "04_sentence_embeddings_and_qa": "MAX_TRAIN, VOCABULARY_SIZE, SEQUENCE_LENGTH, EPOCHS = None, 200, 16, 2",
}


def test_every_notebook_is_tested():
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == sorted(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_notebook_runs_top_to_bottom(name, small_dataset, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    (index,) = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    data = f"DATASET = OFFLINE_DATASET = {small_dataset!r}\nTEACHER_PRESET = OFFLINE_TEACHER = 'minilm'\n"  # all offline
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(data + TINY[name]))
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on a failing cell
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    tables = "".join(output.get("data", {}).get("text/markdown", "") for output in outputs)
    for row in ROWS[name]:
        assert f"| {row} |" in tables, row


ROWS = {  # rows each notebook's final table must show
    "01_sentiment_distillation": ["teacher (float32)", "cnn alone (float32)", "cnn distilled (int8)"],
    "02_pruning_and_qat": ["dense", "pruned 50%", "pruned 75%", "pruned 75% + QAT"],
    "03_tflite_mobile_and_micro": ["int8, 1 thread(s)", "int8, 2 thread(s)"],
    "04_sentence_embeddings_and_qa": ["student (Keras float)", "student (int8)"],
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_install_cell_never_installs_tfkd_by_its_bare_name(name):
    # tfkd is not on PyPI: `pip install tfkd[teacher]` would install whoever registered the name.
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    (install,) = [cell.source for cell in notebook.cells if "TFKD_PACKAGE" in cell.source]
    namespace = {"__name__": "install_cell"}
    guard = install.replace("importlib.util.find_spec(\"tfkd\") is None", "True")  # as on a machine without tfkd
    for package in ("", "tfkd[teacher]", "tfkd"):
        namespace["os"] = __import__("os")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TFKD_PACKAGE", package)
            patch.setattr("subprocess.check_call", _refuse_to_install)
            with pytest.raises(RuntimeError, match="tfkd is not installed: set TFKD_PACKAGE to the project's git URL"):
                exec(compile(guard, f"{name} install cell", "exec"), namespace)  # noqa: S102


def _refuse_to_install(command, *args, **kwargs):
    raise AssertionError(f"the install cell would run {command}")
