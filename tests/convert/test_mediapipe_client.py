"""The deployed file in the real client: MediaPipe Tasks' TextClassifier (the C++ task of Android, iOS and Web).

MediaPipe cannot share tfkd's environment (absl-py pins), so `make test` builds
`.venv-mediapipe` and passes its interpreter as TFKD_MEDIAPIPE_PYTHON; the
client runs there in a subprocess. Without it these tests fail, saying how to
build it: they are never skipped.
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.convert import attach_tflite_metadata, read_tflite_metadata

CLIENT = pathlib.Path(__file__).with_name("mediapipe_client.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _mediapipe_python():
    python = pathlib.Path(os.environ.get("TFKD_MEDIAPIPE_PYTHON") or ROOT / ".venv-mediapipe" / "bin" / "python")
    if not python.is_file():
        pytest.fail(f"MediaPipe's environment is missing ({python}); build it with `make mediapipe-env` "
                    "(`make test` does) or point TFKD_MEDIAPIPE_PYTHON at a Python with mediapipe==1.2.3")
    return str(python)


def classify_in_mediapipe(model_bytes, texts, tmp_path):
    """Scores [len(texts), classes] and top-1 names from MediaPipe's TextClassifier on the model file."""
    model, texts_file, output = tmp_path / "student.tflite", tmp_path / "texts.json", tmp_path / "mediapipe.json"
    model.write_bytes(model_bytes)
    texts_file.write_text(json.dumps(list(texts)), encoding="utf-8")
    completed = subprocess.run([_mediapipe_python(), str(CLIENT), str(model), str(texts_file), str(output)],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(output.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mr_student():
    """A CNN on MR with MediaPipe-reproducible word ids, int8 inside and float scores out."""
    splits = tfkd.data.load("mr")
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 8000, 64).fit(splits.train.texts)
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("cnn", vectorizer.vocabulary_length, 64, 2)
    student.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    student.fit(vectorizer(splits.train.texts), np.asarray(splits.train.labels), batch_size=64, epochs=2, verbose=0)
    flatbuffer = tfkd.convert(student, "int8", vectorizer(splits.train.texts), output_type="float32")
    return splits, vectorizer, attach_tflite_metadata(flatbuffer, vectorizer, ["negative", "positive"])


def test_mediapipe_classifies_the_mr_test_split_as_litert_does(mr_student, tmp_path):
    splits, vectorizer, model = mr_student
    texts, labels = list(splits.test.texts), np.asarray(splits.test.labels)
    litert = tfkd.TFLiteModel(model).predict(vectorizer(texts))
    results = classify_in_mediapipe(model, texts, tmp_path)
    mediapipe = np.array([[result["scores"]["negative"], result["scores"]["positive"]] for result in results])
    agreement = np.mean(mediapipe.argmax(-1) == litert.argmax(-1))
    assert agreement >= 0.995, f"top-1 agreement {agreement:.2%}"
    np.testing.assert_allclose(mediapipe, litert, atol=1e-5)  # the same ids, the same int8 model
    litert_accuracy, mediapipe_accuracy = (np.mean(scores.argmax(-1) == labels) for scores in (litert, mediapipe))
    assert abs(mediapipe_accuracy - litert_accuracy) <= 0.002
    assert mediapipe_accuracy > 0.7  # a trained model, not a constant one
    assert [result["top"] for result in results[:3]] == [["negative", "positive"][i] for i in mediapipe.argmax(-1)[:3]]


def test_mediapipe_reads_case_apostrophes_and_unknown_words_as_the_vectorizer_does(tmp_path):
    """An echo model: its two scores are the ids at positions 1 and 2, as MediaPipe computed them."""
    texts = ["a good film", "A Good film", "GOOD, bad!", "don't like", "gOOd film", "café good", "good_film bad"]
    vectorizer = tfkd.data.TextVectorizer("mediapipe", 50, 8).fit(["a good film", "a bad film", "don't like it"])
    inputs = keras.Input((8,), dtype="int32", batch_size=1)
    echo = keras.Model(inputs, keras.layers.Lambda(lambda ids: keras.backend.cast(ids[:, 1:3], "float32"))(inputs))
    model = attach_tflite_metadata(tfkd.convert(echo, "float32"), vectorizer, ["first", "second"])
    results = classify_in_mediapipe(model, texts, tmp_path)
    seen = np.array([[result["scores"]["first"], result["scores"]["second"]] for result in results])
    np.testing.assert_array_equal(seen, vectorizer(texts)[:, 1:3])


def test_the_mobile_file_of_tfkd_run_loads_in_mediapipe_and_classifies_mr_as_litert(tmp_path_factory, tmp_path):
    """`tfkd run` with its default tokenizer ('mediapipe') on MR, up to deploy: mobile/student.tflite.

    The teacher is a logits file from TF-IDF + logistic regression (seconds, where fine-tuning MiniLM and
    converting it took minutes) and there are no transfer variants; the student's path through prune, QAT,
    convert and deploy is the default recipe's.
    """
    from tests.conftest import SMALL, taught_by_a_logits_file

    output = tmp_path_factory.mktemp("runs") / "mr_mediapipe"
    assert tfkd.PipelineConfig().vectorizer == "mediapipe"
    settings = taught_by_a_logits_file({**SMALL, "dataset": "mr", "vocabulary_size": 8000, "sequence_length": 64,
                                        "transfer_copies": 0, "targets": ["mobile"]}, tmp_path)
    tfkd.run_pipeline(settings, output, until="deploy", log=lambda line: None)
    model = (output / "mobile" / "student.tflite").read_bytes()
    assert read_tflite_metadata(model)["labels"] == ["negative", "positive"]  # standard metadata
    splits = tfkd.data.load("mr")
    vectorizer = tfkd.data.TextVectorizer.load(output / "tokenizer")
    texts, labels = list(splits.test.texts), np.asarray(splits.test.labels)
    litert = tfkd.TFLiteModel(model).predict(vectorizer(texts))
    results = classify_in_mediapipe(model, texts, tmp_path)
    mediapipe = np.array([[result["scores"]["negative"], result["scores"]["positive"]] for result in results])
    assert np.mean(mediapipe.argmax(-1) == litert.argmax(-1)) >= 0.995
    accuracies = [np.mean(scores.argmax(-1) == labels) for scores in (litert, mediapipe)]
    assert abs(accuracies[0] - accuracies[1]) <= 0.002 and accuracies[1] > 0.6
