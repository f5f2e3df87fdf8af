"""Shared fixtures and round-trip checks: tiny synthetic data (vocab 50, length 16)."""

import os

os.environ.setdefault("TFKD_QUIET", "1")  # no progress bars in test logs

import json  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tfkd  # noqa: E402
from tfkd._keras import keras  # noqa: E402

VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES = 50, 16, 2


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Each test session gets its own tfkd cache, except the MR data, which is
    shared (fetched once with pip). Session-scoped, so that it is set before the
    session fixtures (`finished_run`) run the pipeline: the user's cache is never written."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TFKD_CACHE_DIR", os.environ.get("TFKD_TEST_CACHE") or str(
            tmp_path_factory.getbasetemp() / "tfkd-cache"))
        yield


@pytest.fixture
def token_data():
    """Ids [256, 16] whose label is whether token 7 appears: learnable in a few steps."""
    rng = np.random.default_rng(0)
    ids = rng.integers(2, VOCABULARY_SIZE, (256, SEQUENCE_LENGTH)).astype("int32")
    labels = (ids == 7).any(axis=1).astype("int32")
    teacher_logits = np.stack([1.0 - 2.0 * labels, 2.0 * labels - 1.0], axis=1).astype("float32") * 3.0
    return ids, labels, teacher_logits


@pytest.fixture
def student():
    keras.utils.set_random_seed(0)
    return tfkd.students.build("cnn", VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES)


# Pipeline settings small enough for seconds per stage on `small_dataset` (tests of tfkd.pipeline and the CLI).
SMALL = {"teacher_epochs": 1, "teacher_sequence_length": 16, "vocabulary_size": 200, "sequence_length": 16,
         "transfer_copies": 3,
         "distill_epochs": 2, "prune_epochs": 1, "target_sparsity": 0.5, "representative_samples": 20,
         "benchmark_runs": 5}


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "moving", "superb"], ["dull", "awful", "tedious"], ["film", "plot", "the", "cast"]
    lines = ["text,label"]
    for i in range(300):
        label = i % 2
        words = list(rng.choice(filler, 5)) + [rng.choice(good if label else bad)]
        rng.shuffle(words)
        lines.append(f"{' '.join(words)},{['neg', 'pos'][label]}")
    path = tmp_path_factory.mktemp("data") / "small.csv"
    path.write_text("\n".join(lines))
    return str(path)


def write_tfidf_teacher_logits(splits, texts, path):
    """A teacher from another framework: TF-IDF + logistic regression (scikit-learn, no Keras, no TensorFlow)
    fitted on `splits.train`, its two-class logits for `texts` written to `path` in the `teacher_logits`
    format. Returns the teacher's label predictor (texts -> labels)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer().fit(splits.train.texts)
    model = LogisticRegression().fit(words.transform(splits.train.texts), splits.train.labels)
    np.savez(path, texts=np.array(texts), logits=model.decision_function(words.transform(texts))[:, None]
             * np.array([-1.0, 1.0]))
    return lambda texts: model.predict(words.transform(texts))


def taught_by_a_logits_file(config, directory):
    """`config` taught by a TF-IDF teacher's logits file written in `directory` (no teacher to fine-tune or
    convert: seconds, not minutes), for tests of what the student's stages and the run directory do."""
    logits_file = directory / "teacher.npz"
    write_tfidf_teacher_logits(tfkd.data.load(config["dataset"]), tfkd.pipeline.texts_to_label(config), logits_file)
    return {**config, "embedding_init": "random", "teacher_logits": str(logits_file)}


def assert_config_round_trip(obj):
    """config -> from_config -> config is unchanged."""
    config = obj.get_config()
    assert type(obj).from_config(config).get_config() == config


def _as_json(config):
    """`config` as it comes back from JSON (tuples become lists); fails if it is not JSON-able."""
    return json.loads(json.dumps(config))


def assert_serialization_round_trip(obj, saving=None):
    """keras-hub's run_serialization_test, the config half: `get_config` is JSON-able, `from_config` of
    its JSON gives the same config, and Keras's `serialize_keras_object` -> JSON -> `deserialize_keras_object`
    gives an object of the same class and config. `saving` is Keras's saving module (default tf_keras's;
    pass `keras.saving` of Keras 3 for Keras 3 objects)."""
    saving = keras.saving if saving is None else saving
    config = _as_json(obj.get_config())
    assert _as_json(type(obj).from_config(config).get_config()) == config
    revived = saving.deserialize_keras_object(_as_json(saving.serialize_keras_object(obj)))
    assert type(revived) is type(obj)
    assert _as_json(revived.get_config()) == config
    return revived


def assert_save_load_round_trip(model, inputs, path, load_model=None, atol=1e-6):
    """The save half: `model.save(path)` -> `load_model(path)` is the same class with the same predictions."""
    load_model = keras.models.load_model if load_model is None else load_model
    model.save(path)
    reloaded = load_model(path)
    assert type(reloaded) is type(model)
    np.testing.assert_allclose(np.asarray(reloaded.predict(inputs, verbose=0)),
                               np.asarray(model.predict(inputs, verbose=0)), atol=atol)
    return reloaded


def assert_same_predictions(model_a, model_b, inputs, atol=1e-5):
    np.testing.assert_allclose(model_a.predict(inputs, verbose=0), model_b.predict(inputs, verbose=0), atol=atol)


def assert_tflite_matches(keras_model, flatbuffer, inputs, atol):
    """Keras -> TFLite gives the same outputs within `atol` and the same top-1 on every example."""
    expected = keras_model.predict(inputs, verbose=0)
    actual = tfkd.TFLiteModel(flatbuffer).predict(inputs)
    np.testing.assert_allclose(actual, expected, atol=atol)
    assert (actual.argmax(-1) == expected.argmax(-1)).mean() >= 0.95
