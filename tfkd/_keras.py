"""The one place tfkd imports Keras.

Students are Keras 2 (`tf_keras`) models because TF-MOT only wraps those.
TensorFlow decides what `tf.keras` means the first time it is touched, from
the `TF_USE_LEGACY_KERAS` environment variable, so it must be set before
that happens. Teachers may still be Keras 3 (keras-hub) models: `keras_hub`
imports the standalone `keras` 3 package, which lives beside `tf_keras`.
"""

import contextlib
import importlib
import os
import sys
import tempfile

_LEGACY_VALUES = ("1", "true", "True")


def _tf_keras_resolved_to_keras3():
    """Whether an already-imported TensorFlow resolved `tf.keras` to Keras 3.

    Reads the lazy loader's state without touching `tf.keras` (touching it
    would resolve it).
    """
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None:
        return False
    loader = vars(tensorflow).get("keras")
    if loader is None:
        return False
    state = getattr(loader, "__dict__", {})
    if state.get("_tfll_initialized") is False:
        return False  # still lazy: our environment variable will be honoured
    if state.get("_tfll_keras_version") is not None:
        return state["_tfll_keras_version"] == "keras_3"
    return getattr(loader, "__name__", "").startswith("keras.")


if os.environ.get("TF_USE_LEGACY_KERAS") not in _LEGACY_VALUES:
    if _tf_keras_resolved_to_keras3():
        raise ImportError(
            "tfkd builds its students with Keras 2 (tf_keras), but TensorFlow "
            "was already imported and `tf.keras` is Keras 3 "
            "(TF_USE_LEGACY_KERAS is not set). Import tfkd before tensorflow, "
            "keras or keras_hub, or start Python with TF_USE_LEGACY_KERAS=1 "
            "in the environment."
        )
    os.environ["TF_USE_LEGACY_KERAS"] = "1"

# TensorFlow's INFO and WARNING lines (SavedModel loading, MLIR passes) say nothing a tfkd user can act on;
# TF_CPP_MIN_LOG_LEVEL set in the environment wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# TensorFlow's native start-up lines, which it writes before its logging is set up (so neither
# TF_CPP_MIN_LOG_LEVEL nor absl settings silence them) and which no user can act on.
START_UP_NOISE = ("All log messages before absl::InitializeLog() is called", "oneDNN custom operations are on",
                  "cudart_stub.cc", "cuda_platform.cc", "cpu_feature_guard.cc",
                  "To enable the following instructions:", "Unable to register cu", "computation placer already",
                  "TF-TRT Warning")
# What the TFLite converter and the LiteRT interpreter print on every call.
CONVERTER_NOISE = ("fully_quantize:", "Created TensorFlow Lite XNNPACK delegate", "Estimated count of arithmetic ops",
                   "TensorFlow Lite XNNPACK delegate", "Ignored output_format", "Ignored drop_control_dependency")


class _Captured:
    text = ""


@contextlib.contextmanager
def captured_stderr():
    """Captures what native (C++) code writes to file descriptor 2; `.text` holds it once the block ends.

    Where there is no file descriptor 2 (some notebook kernels), nothing is captured and `.text` stays "".
    """
    captured = _Captured()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", "replace")


@contextlib.contextmanager
def filtered_stderr(noise=START_UP_NOISE):
    """Drops lines holding any of `noise` from what native code writes to stderr (fd 2); passes the rest on.

    Set TFKD_SHOW_START_UP=1 to see everything.
    """
    if os.environ.get("TFKD_SHOW_START_UP") in _LEGACY_VALUES:
        yield
        return
    captured = _Captured()
    try:
        with captured_stderr() as captured:
            yield
    finally:
        kept = [line for line in captured.text.splitlines(keepends=True)
                if not any(pattern in line for pattern in noise)]
        if kept:
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


with filtered_stderr():
    import tensorflow as tf  # noqa: E402
    import tf_keras as keras  # noqa: E402

    tf.config.list_physical_devices()  # device discovery, with its CUDA probe on a CPU-only machine, happens here


def register(cls):
    """Registers `cls` for Keras serialization under the `tfkd` package."""
    return keras.utils.register_keras_serializable(package="tfkd")(cls)


def import_optional(module, pip_name, extra=None):
    """Imports an optional dependency or says which `pip install` fixes it.

    Args:
        module: str, the module to import (e.g. `"keras_hub"`).
        pip_name: str, the distribution that provides it.
        extra: str or None, the tfkd extra that installs it.

    Returns:
        The imported module.

    Raises:
        ImportError: the module is not installed.
    """
    try:
        with filtered_stderr():
            return importlib.import_module(module)
    except ImportError as error:
        hint = f"pip install {pip_name}"
        if extra:
            hint += f"  (or: pip install 'tfkd[{extra}]')"
        raise ImportError(f"`{module}` is needed here but is not installed. Fix: {hint}") from error


def keras_hub():
    """The keras-hub module (Keras 3), imported on first use."""
    return import_optional("keras_hub", "keras-hub==0.32.*", extra="teacher")


def keras3():
    """Standalone Keras 3 (what keras-hub teachers are built with), imported on first use."""
    return import_optional("keras", "keras>=3", extra="teacher")


def keras_module(keras_version):
    """tf_keras for `keras_version` 2, standalone Keras 3 for 3; a ValueError naming the value otherwise."""
    if keras_version == 2 and not isinstance(keras_version, bool):
        return keras
    if keras_version == 3:
        return keras3()
    raise ValueError(f"`keras_version` must be 2 (tf_keras) or 3 (Keras 3); received keras_version={keras_version!r}")


def is_keras3(obj, kind="Model"):
    """Whether `obj` is a Keras 3 `kind` ("Model", "losses.Loss"), without importing Keras 3."""
    module = sys.modules.get("keras")
    for name in kind.split("."):
        module = getattr(module, name, None)
    return isinstance(module, type) and isinstance(obj, module)


def set_seed(seed):
    """Seeds Python, NumPy and TensorFlow (and Keras 3 when a teacher uses it)."""
    keras.utils.set_random_seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)


__all__ = ["keras", "tf", "captured_stderr", "filtered_stderr", "START_UP_NOISE", "CONVERTER_NOISE",
           "register", "import_optional", "keras_hub", "keras3", "keras_module", "is_keras3", "set_seed"]
