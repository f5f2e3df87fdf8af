"""tfkd.teachers.LogitsFileTeacher: logits from a file, looked up by text, every bad file named."""

import numpy as np
import pytest

import tfkd
from tfkd.teachers import LogitsFileTeacher


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_logits_are_found_by_text_in_any_order_and_the_first_of_a_repeated_text_wins(tmp_path):
    path = _write(tmp_path / "t.npz", texts=np.array(["a", "b", "a"]),
                  logits=np.array([[1.0, 0.0], [0.0, 2.0], [5.0, 5.0]]))
    teacher = LogitsFileTeacher.load(path, num_classes=2)
    np.testing.assert_array_equal(teacher.logits(["b", "a"]), [[0.0, 2.0], [1.0, 0.0]])
    assert teacher.logits(["a"]).dtype == np.float32
    assert teacher.info["texts"] == 2 and teacher.info["num_classes"] == 2 and len(teacher.info["sha256"]) == 16
    assert teacher.covers(["a", "b"]) and not teacher.covers(["a", "c"])


def test_it_labels_a_cache_like_a_model_teacher(tmp_path):
    teacher = LogitsFileTeacher(["good", "bad"], [[0.1, 2.0], [1.5, -1.0]])
    logits = tfkd.cache_teacher_logits(teacher, ["bad", "good"], tmp_path / "cache.npz")
    np.testing.assert_allclose(logits, [[1.5, -1.0], [0.1, 2.0]])


def test_missing_texts_are_counted_and_the_first_named():
    teacher = LogitsFileTeacher(["a"], [[0.0, 1.0]], source="t.npz")
    with pytest.raises(ValueError, match=r"t.npz has no logits for 2 of the 3 texts asked for \(first: 'b'\); "
                                         r"label every text of tfkd.pipeline.texts_to_label\(config\)"):
        teacher.logits(["a", "b", "c"])


@pytest.mark.parametrize("arrays, message", [
    ({"texts": np.array(["a"])}, r"lacks array\(s\) \['logits'\] \(it holds \['texts'\]\)"),
    ({"texts": np.array(["a", "b"]), "logits": np.zeros((3, 2))},
     r"'logits' must have shape \[len\(texts\), num_classes\] = \[2, classes\]; received shape \[3, 2\]"),
    ({"texts": np.array(["a"]), "logits": np.zeros(1)}, r"received shape \[1\]"),
    ({"texts": np.array(["a", "b"]), "logits": np.array([[0.0, 1.0], [np.nan, 0.0]])},
     r"the logits of 1 text\(s\) hold NaN or infinity \(first: row 1, text 'b'\)"),
    ({"texts": np.array([1, 2]), "logits": np.zeros((2, 2))}, r"'texts' must be a 1-D str array; received dtype int"),
    ({"texts": np.array(["a", "b"]), "logits": np.zeros((2, 3))}, r"has 3 logits per text; the dataset has 2 classes"),
    ({"texts": np.array(["a", None], dtype=object), "logits": np.zeros((2, 2))},
     r"stores an object array; save 'texts' as a str array"),
], ids=["no-logits", "rows", "one-dimensional", "nan", "int-texts", "classes", "object-array"])
def test_a_bad_file_is_named_with_what_is_wrong(tmp_path, arrays, message):
    path = _write(tmp_path / "teacher.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        LogitsFileTeacher.load(path, num_classes=2)


def test_a_missing_or_truncated_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"teacher logits file '.*none.npz' does not exist; expected an .npz"):
        LogitsFileTeacher.load(tmp_path / "none.npz")
    path = _write(tmp_path / "t.npz", texts=np.array(["a"]), logits=np.zeros((1, 2)))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"teacher logits file '.*t.npz' is not a readable .npz"):
        LogitsFileTeacher.load(path)
