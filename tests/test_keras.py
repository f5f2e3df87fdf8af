"""tfkd._keras: students are tf_keras, and a Keras-3 TensorFlow is refused with a fix."""

import subprocess
import sys

import tfkd
from tfkd._keras import keras, tf


def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_students_are_tf_keras_and_tf_keras_is_legacy():
    assert keras.__name__.startswith("tf_keras")
    assert isinstance(tfkd.students.build("cnn", 50, 16, 2), keras.Model)
    assert tf.keras.Model is keras.Model  # TF_USE_LEGACY_KERAS took effect


def test_import_after_keras3_tensorflow_says_what_to_do():
    result = _python("import keras, tensorflow as tf; tf.keras.Model; import tfkd")
    assert result.returncode != 0
    assert "tf.keras` is Keras 3" in result.stderr
    assert "Import tfkd before tensorflow" in result.stderr


def test_import_after_plain_tensorflow_is_fine():
    # TensorFlow imported but tf.keras not yet resolved: tfkd can still choose Keras 2.
    result = _python("import tensorflow as tf; import tfkd; print(tf.keras.Model.__module__)")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith("tf_keras")


def test_missing_optional_dependency_names_the_pip_line():
    from tfkd._keras import import_optional

    try:
        import_optional("tfkd_no_such_module", "no-such-package", extra="teacher")
    except ImportError as error:
        assert "pip install no-such-package" in str(error)
        assert "tfkd[teacher]" in str(error)
    else:
        raise AssertionError("import_optional did not raise")


def test_tensorflow_start_up_lines_are_dropped_and_other_native_errors_pass(tmp_path):
    script = ("import os, tfkd\n"
              "import numpy as np\n"
              "tfkd.students.build('cnn', 50, 16, 2)(np.zeros((1, 16), 'int32'))\n"
              "from tfkd._keras import filtered_stderr\n"
              "with filtered_stderr():\n"
              "    os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on.\\n')\n"
              "    os.write(2, b'a real problem\\n')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "a real problem" in result.stderr
    for noise in ("oneDNN", "cudart_stub", "absl::InitializeLog", "cuInit", "cpu_feature_guard"):
        assert noise not in result.stderr
