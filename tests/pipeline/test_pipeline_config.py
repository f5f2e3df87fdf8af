"""tfkd.pipeline.pipeline_config: unknown keys and bad values are named."""

import dataclasses

import numpy as np

import pytest

from tfkd import PipelineConfig
from tfkd.pipeline.pipeline_config import derived_copies, derived_length, derived_teacher_epochs, recipes


def test_defaults_round_trip_through_a_dict():
    config = PipelineConfig()
    assert PipelineConfig.from_dict(config.to_dict()) == config


def test_integers_are_accepted_for_float_settings():
    assert PipelineConfig(alpha=1).alpha == 1.0


@pytest.mark.parametrize("values, message", [
    ({"studnet": "cnn"}, r"unknown config key\(s\) \['studnet'\]; allowed keys: \['alpha', "),
    ({"student": "gpt"}, r"'student' must be one of \['average_embedding', 'bilstm', 'cnn', 'transformer'\]; received 'gpt'"),
    ({"dataset": "sst5"}, r"'dataset' must be one of \['mr', 'mr3', 'mr5', 'imdb_reviews', 'glue/sst2'\] or a data file path"),
    ({"distill_epochs": "ten"}, r"'distill_epochs' must be a int; received distill_epochs='ten'"),
    ({"seed": True}, r"'seed' must be a int; received seed=True"),
    ({"alpha": -0.01}, r"'alpha' must be in \[0, 1\]; received alpha=-0.01"),
    ({"alpha": 1.01}, r"'alpha' must be in \[0, 1\]; received alpha=1.01"),
    ({"target_sparsity": 1.0}, r"'target_sparsity' must be in \[0, 1\); received target_sparsity=1.0"),
    ({"temperature": 0}, r"'temperature' must be a finite number > 0; received temperature=0.0"),
    ({"temperature": float("nan")}, r"'temperature' must be a finite number > 0; received temperature=nan"),
    ({"learning_rate": float("inf")}, r"'learning_rate' must be a finite number > 0; received learning_rate=inf"),
    ({"compress_learning_rate": -1}, r"'compress_learning_rate' must be a finite number > 0; "
                                     r"received compress_learning_rate=-1.0"),
    ({"teacher_learning_rate": 0}, r"'teacher_learning_rate' must be a finite number > 0; "
                                   r"received teacher_learning_rate=0.0"),
    ({"embedding_dim": 0}, r"'embedding_dim' must be in \[1, 1024\]; received embedding_dim=0"),
    ({"embedding_dim": 1025}, r"'embedding_dim' must be in \[1, 1024\]; received embedding_dim=1025"),
    ({"sequence_length": 0}, r"'sequence_length' must be >= 1; received sequence_length=0"),
    ({"patience": 0}, r"'patience' must be >= 1; received patience=0"),
    ({"qat_epochs": -1}, r"'qat_epochs' must be >= 0; received qat_epochs=-1"),
    ({"quantization": "int4"}, r"'quantization' must be one of \['float16', 'dynamic', 'int8', 'int16x8'\]; received 'int4'"),
    ({"targets": ["phone"]}, r"'targets' must be one of \['mobile', 'micro'\]; received 'phone'"),
    ({"targets": "mobile", "quantization": "dynamic", "qat_epochs": 0, "vectorizer": "chars"},
     r"'vectorizer' must be one of \['word', 'wordpiece', 'hashed', 'mediapipe'\]; received 'chars'"),
    ({"embedding_init": "glove"}, r"'embedding_init' must be one of \['random', 'teacher'\]; received 'glove'"),
    ({"learning_rate_schedule": "linear"},
     r"'learning_rate_schedule' must be one of \['constant', 'cosine'\]; received 'linear'"),
    ({"distillation_loss": "cross_entropy"},
     r"'distillation_loss' must be one of \['kl', 'mse'\]; received 'cross_entropy'"),
    ({"monitor": "loss"}, r"'monitor' must be one of \['val_accuracy', 'val_loss'\]; received 'loss'"),
    ({"compress_data": "transfer"},
     r"'compress_data' must be one of \['labelled', 'distill'\]; received 'transfer'"),
    ({"embedding_init": "teacher", "vectorizer": "hashed"},
     r"'embedding_init' 'teacher' needs a vocabulary to look up, i.e. vectorizer 'word', 'mediapipe' or "
     r"'wordpiece'; "
     r"received vectorizer='hashed' \(set embedding_init: random\)"),
    ({"transfer_copies": -1}, r"'transfer_copies' must be >= 0; received transfer_copies=-1"),
    ({"seed": -1}, r"'seed' must be >= 0; received seed=-1"),
    ({"teacher_seed": -2}, r"'teacher_seed' must be >= 0; received teacher_seed=-2"),
    ({"teacher_seed": "one"}, r"'teacher_seed' must be a int; received teacher_seed='one'"),
    ({"teacher_logits": "teacher.csv"}, r"'teacher_logits' must be an .npz file; received 'teacher.csv'"),
    ({"teacher_logits": "teacher.npz"}, r"'embedding_init' 'teacher' needs a teacher model to take word vectors "
                                        r"from; with teacher_logits set, use embedding_init: random"),
    ({"units": 0}, r"'units' must be in \[1, 1024\]; received units=0"),
    ({"units": 1025}, r"'units' must be in \[1, 1024\]; received units=1025"),
    ({"transfer_corpora": ["imdb"]}, r"'transfer_corpora' must be one of \['amazon', 'tweets', 'nyt'\]; "
                                     r"received 'imdb'"),
    ({"corpus_copies": 2}, r"'corpus_copies' > 0 needs 'transfer_corpora' \(any of \['amazon', 'tweets', "
                           r"'nyt'\]\); received corpus_copies=2 with transfer_corpora=\[\]"),
    ({"corpus_copies": -1, "transfer_corpora": ["nyt"]}, r"'corpus_copies' must be >= 0; received corpus_copies=-1"),
    ({"quantization": "float16"}, r"'qat_epochs' > 0 needs quantization 'int8'; received qat_epochs=1 with "
                                  r"quantization='float16' \(set qat_epochs: 0\)"),
    ({"quantization": "dynamic", "qat_epochs": 0}, r"'targets' holds 'micro', which needs quantization one of "
                                                   r"\['int8', 'int16x8'\]; received quantization='dynamic'"),
], ids=["unknown-key", "student", "dataset", "type", "bool", "alpha-below", "alpha-above", "sparsity-1",
        "temperature-0", "temperature-nan", "learning-rate-inf", "compress-learning-rate-negative",
        "teacher-learning-rate-0", "embedding-dim-0", "embedding-dim-1025", "length-0", "patience-0", "epochs-negative", "quantization", "target", "vectorizer", "embedding-init",
        "learning-rate-schedule", "distillation-loss", "monitor", "compress-data",
        "teacher-vectors-hashed", "copies-negative", "seed-negative", "teacher-seed-negative",
        "teacher-seed-type", "logits-not-npz", "logits-with-teacher-vectors", "units-0", "units-1025", "corpus-unknown",
        "corpus-copies-without-corpora", "corpus-copies-negative", "qat-float16",
        "micro-dynamic"])
def test_bad_config_is_named(values, message):
    with pytest.raises(ValueError, match=message):
        PipelineConfig.from_dict(values)


@pytest.mark.parametrize("values", [{"alpha": 0.0}, {"alpha": 1.0}, {"target_sparsity": 0.0}, {"qat_epochs": 0},
                                    {"units": 1}, {"units": 1024}, {"transfer_corpora": ["nyt"], "corpus_copies": 0},
                                    {"seed": 0, "teacher_seed": 0}, {"teacher_seed": None},
                                    {"quantization": "dynamic", "qat_epochs": 0, "targets": ["mobile"]},
                                    {"targets": "mobile,micro"}, {"embedding_dim": 1}, {"embedding_dim": 1024}],
                         ids=["alpha-0", "alpha-1", "no-pruning", "no-qat", "units-1", "units-1024", "corpus-no-copies",
                              "teacher-seed-0", "teacher-seed-none", "dynamic-mobile", "targets-from-cli",
                              "embedding-dim-1", "embedding-dim-1024"])
def test_edge_values_are_accepted(values):
    config = PipelineConfig.from_dict(values)
    assert PipelineConfig.from_dict(config.to_dict()) == config


def test_yaml_file_with_overrides(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("student: bilstm\nlearning_rate: 5e-4   # YAML 1.1 reads this as a string\n"
                    "targets: [micro]\nalpha: 0.3\n")
    config = PipelineConfig.from_yaml(path, {"alpha": 0.5})
    assert (config.student, config.learning_rate, config.targets, config.alpha) == ("bilstm", 5e-4, ("micro",), 0.5)
    assert PipelineConfig.from_yaml(tmp_path / "config.yaml").alpha == 0.3
    (tmp_path / "empty.yaml").write_text("")
    assert PipelineConfig.from_yaml(tmp_path / "empty.yaml") == PipelineConfig()


def test_the_documented_schema_reads_back_as_the_defaults_and_names_every_key(tmp_path):
    text = PipelineConfig.describe()
    for field in dataclasses.fields(PipelineConfig):
        assert f"\n# {field.metadata['help']}\n{field.name}: " in text
    (tmp_path / "defaults.yaml").write_text(text)
    assert PipelineConfig.from_yaml(tmp_path / "defaults.yaml") == PipelineConfig()


@pytest.mark.parametrize("text, message", [
    ("student: cnn\nalpha: [0.1\n", r"is not valid YAML at line 3, column 1: expected ',' or '\]'"),
    ("- cnn\n- bilstm\n", r"must hold a mapping of keys to values; received a list"),
    ("studnet: cnn\n", r"config.yaml': unknown config key\(s\) \['studnet'\]"),
    ("student: gpt\n", r"config.yaml': config key 'student' must be one of \['average_embedding', "),
], ids=["bad-yaml", "not-a-mapping", "unknown-key", "bad-value"])
def test_bad_yaml_files_are_named(tmp_path, text, message):
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ValueError, match=message):
        PipelineConfig.from_yaml(tmp_path / "config.yaml")


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r"config file '.*nothing.yaml' does not exist, and it is not a recipe name"):
        PipelineConfig.from_yaml(tmp_path / "nothing.yaml")


def test_the_default_run_directory_is_keyed_by_the_config():
    first, second = PipelineConfig(), PipelineConfig(alpha=0.2)
    assert str(first.default_output()).startswith("tflite_models/mr-cnn-")
    assert first.default_output() != second.default_output() == PipelineConfig(alpha=0.2).default_output()


def test_file_names_follow_the_compression_settings():
    assert list(PipelineConfig().tflite_files()) == [
        "teacher_float32.tflite", "student_float32.tflite", "student_pruned_int8.tflite",
        "student_pruned_qat_int8.tflite"]
    unpruned = PipelineConfig(target_sparsity=0.0, quantization="float16", qat_epochs=0, targets=["mobile"])
    assert unpruned.tflite_files()["student_float16.tflite"] == ("student + float16", "student")


def test_a_recipe_is_read_by_name_and_a_file_of_that_name_wins(tmp_path, monkeypatch):
    quick = PipelineConfig.from_yaml("quick")
    assert quick != PipelineConfig() and quick.distill_epochs == 3 and quick.transfer_copies == 0
    assert PipelineConfig.from_yaml("default") == PipelineConfig()
    assert PipelineConfig.from_yaml("quick", {"seed": 2}).seed == 2
    monkeypatch.chdir(tmp_path)
    (tmp_path / "quick").write_text("student: bilstm\n")
    assert PipelineConfig.from_yaml("quick").student == "bilstm"


def test_every_shipped_recipe_is_a_valid_config():
    assert {"quick", "default"} <= set(recipes())
    for path in recipes().values():
        PipelineConfig.from_yaml(path)


def test_an_unknown_recipe_name_is_named_with_the_recipes():
    with pytest.raises(FileNotFoundError, match=r"config file 'fastest' does not exist, and it is not a recipe "
                                                r"name: one of \[.*'default'.*'quick'.*\]"):
        PipelineConfig.from_yaml("fastest")


def test_a_key_given_twice_is_refused_by_name(tmp_path):
    (tmp_path / "config.yaml").write_text("student: cnn\nalpha: 0.1\nstudent: bilstm\n")
    with pytest.raises(ValueError, match=r"config.yaml' is not valid YAML at line 3, column 1: "
                                         r"config key 'student' is given twice"):
        PipelineConfig.from_yaml(tmp_path / "config.yaml")


@pytest.mark.parametrize("training_texts, copies", [(8516, 3), (3000, 9), (2911, 10), (29_999, 1), (30_000, 1),
                                                    (1_000_000, 1), (700, 40), (1, 40)],
                         ids=["mr", "3000", "amazon", "just-under", "enough", "large", "small", "one"])
def test_derived_copies_make_about_thirty_thousand_texts(training_texts, copies):
    assert derived_copies(training_texts) == copies


@pytest.mark.parametrize("lengths, share, expected", [([52, 10], 1.0, 64), ([16], 1.0, 16), ([17], 1.0, 32),
                                                      ([1], 1.0, 16), ([5000], 1.0, 256), ([256], 1.0, 256),
                                                      (list(range(1, 101)), 0.99, 112), ([], 1.0, 16)],
                         ids=["mr-longest", "exact-16", "just-over-16", "short", "capped", "at-cap", "p99", "empty"])
def test_derived_lengths_are_multiples_of_16_within_bounds(lengths, share, expected):
    assert derived_length(np.array(lengths), share) == expected


@pytest.mark.parametrize("training_texts, epochs", [(8516, 1), (8000, 1), (7999, 2), (4000, 2), (3999, 3), (2911, 3),
                                                     (100, 3)],
                         ids=["mr", "enough", "just-under", "half", "under-half", "amazon", "tiny"])
def test_derived_teacher_epochs_see_about_eight_thousand_texts(training_texts, epochs):
    assert derived_teacher_epochs(training_texts) == epochs


def test_derived_keys_default_to_null_and_read_back_from_the_schema():
    config = PipelineConfig()
    assert (config.sequence_length, config.teacher_sequence_length, config.transfer_copies,
            config.teacher_epochs) == (None, None, None, None)
    assert "sequence_length: null" in PipelineConfig.describe()
