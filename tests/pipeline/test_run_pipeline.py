"""tfkd.pipeline.run_pipeline: the whole path on a small file, resumable, never clobbering a run."""

import fcntl
import json
import subprocess
import sys
import time

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras, tf
import tfkd.cli
from tfkd.pipeline.run_pipeline import STAGES, VERBS, RunDirectoryLocked
from tests.conftest import SMALL, taught_by_a_logits_file, write_tfidf_teacher_logits


def test_run_writes_models_tokenizer_and_a_report_measured_in_litert(finished_run):
    output, results, _ = finished_run
    for name in ("teacher_float32.tflite", "student_float32.tflite", "student_pruned_int8.tflite",
                 "student_pruned_qat_int8.tflite", "student_pruned_qat.weights.h5", "tokenizer/vocab.txt", "student.keras",
                 "report.md", "report.json", "config.json", "run.log", "deploy.json", "mobile/student.tflite",
                 "micro/student.tflite", "micro/student.h", "micro/student.cc"):
        assert (output / name).exists(), name
    assert not (output / "checkpoints" / "distill").exists()  # the every-epoch backup goes once a fit ends
    report = json.loads((output / "report.json").read_text())
    assert [row["name"] for row in report["results"]] == [r.name for r in results]
    for row in report["results"]:
        assert row["size_bytes"] == (output / row["path"].split("/")[-1]).stat().st_size
        assert 0.0 <= row["accuracy"] <= 1.0 and row["latency_ms_median"] > 0
    teacher, student, compressed, quantization_aware = results
    assert compressed.size_bytes < student.size_bytes < teacher.size_bytes
    assert compressed.nonzero_parameters < compressed.parameters
    assert quantization_aware.name == "student pruned 50% + QAT int8"
    assert quantization_aware.size_bytes < student.size_bytes / 2  # int8
    assert quantization_aware.gzip_bytes < compressed.size_bytes  # the zeros survived QAT
    text = (output / "report.md").read_text()
    assert "| model | accuracy |" in text
    comparison = report["comparison"]
    assert comparison["smaller_than_teacher"] == round(teacher.size_bytes / quantization_aware.size_bytes, 1)
    assert comparison["points_below_float_student"] == round(100 * (student.accuracy - quantization_aware.accuracy), 2)
    assert f"It is {comparison['smaller_than_teacher']}x smaller than the teacher's .tflite and " in text
    assert "target" not in text  # targets live with the benchmarks
    baseline = report["baseline"]
    assert baseline["test_accuracy"] > 0.9 and baseline["size_bytes"] > 0  # the words decide the label
    assert f"| baseline: TF-IDF + logistic regression (C={baseline['C']:g}) | {baseline['test_accuracy']:.2%} |" in text
    assert f"{100 * (quantization_aware.accuracy - baseline['test_accuracy']):+.2f} points against the baseline" in text
    over_baseline = 100 * (quantization_aware.accuracy - baseline["test_accuracy"])
    assert comparison["points_over_baseline"] == round(over_baseline, 2)


def test_the_final_student_is_deployed_for_mobile_and_micro_and_verified(finished_run):
    output, results, _ = finished_run
    from tfkd.convert import TFLiteModel, read_tflite_metadata

    deployed = json.loads((output / "deploy.json").read_text())
    assert set(deployed) == {"mobile", "micro"}
    for target in ("mobile", "micro"):
        assert deployed[target]["verification"]["litert"]["top1_agreement"] >= 0.95, deployed[target]
    assert deployed["micro"]["arena_bytes"] > 0 and deployed["micro"]["verification"]["tflm"]["top1_agreement"] >= 0.95
    assert read_tflite_metadata(output / "mobile" / "student.tflite")["labels"] == ["neg", "pos"]  # MediaPipe's
    micro = (output / "micro" / "student.tflite").read_bytes()
    assert micro == (output / "student_pruned_qat_int8.tflite").read_bytes()  # deployed = benchmarked file
    assert f"{len(micro)}" in (output / "micro" / "student.cc").read_text()
    assert TFLiteModel(micro).predict(np.zeros((1, SMALL["sequence_length"]), "int32")).shape == (1, 2)


def test_three_classes_go_through_every_stage(tmp_path):
    # Label 0/1/2 decided by one word from each class's list: learnable as the binary small set is.
    rng = np.random.default_rng(0)
    cue_words = [["dull", "awful", "tedious"], ["okay", "average", "fine"], ["great", "moving", "superb"]]
    lines = ["text,label"]
    for i in range(450):
        words = list(rng.choice(["film", "plot", "the", "cast"], 5)) + [rng.choice(cue_words[i % 3])]
        rng.shuffle(words)
        lines.append(f"{' '.join(words)},{['neg', 'mixed', 'pos'][i % 3]}")
    (tmp_path / "three.csv").write_text("\n".join(lines))
    output = tmp_path / "run"
    config = {"dataset": str(tmp_path / "three.csv"), **SMALL, "distill_epochs": 5}  # 2 epochs left it at 72%
    results = tfkd.run_pipeline(config, output, log=lambda line: None)
    from tfkd.convert import TFLiteModel, read_tflite_metadata

    for result in results:
        assert np.array(result.confusion_matrix).shape == (3, 3), result.name
    assert results[1].accuracy >= 0.8, results[1]  # chance is 1/3
    assert results[-1].accuracy >= 0.8, results[-1]  # the pruned + QAT int8 file
    assert read_tflite_metadata(output / "mobile" / "student.tflite")["labels"] == ["mixed", "neg", "pos"]
    outputs = TFLiteModel(output / "micro" / "student.tflite").predict(np.zeros((2, SMALL["sequence_length"]), "int32"))
    assert outputs.shape == (2, 3)
    deployed = json.loads((output / "deploy.json").read_text())
    assert deployed["micro"]["verification"]["tflm"]["top1_agreement"] >= 0.95


def test_qat_can_be_skipped(small_dataset, tmp_path):
    config = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "qat_epochs": 0}, tmp_path)
    results = tfkd.run_pipeline(config, tmp_path / "no_qat", log=lambda line: None)
    assert [result.name for result in results][-1] == "student pruned 50% + int8"
    assert not (tmp_path / "no_qat" / "student_pruned_qat_int8.tflite").exists()


def test_student_learns_the_easy_task(finished_run):
    _, results, _ = finished_run
    assert results[1].accuracy >= 0.8  # one sentiment word decides the label


def test_rerun_resumes_without_retraining(finished_run, small_dataset):
    output, results, _ = finished_run
    student_bytes = (output / "student_float32.tflite").read_bytes()
    logs = []
    again = tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, log=logs.append)
    assert any("resuming the run" in line for line in logs)
    assert "   reusing student.keras" in logs and "   reusing report.md, report.json" in logs
    assert (output / "student_float32.tflite").read_bytes() == student_bytes
    assert [r.name for r in again] == [r.name for r in results]


def test_every_stage_leaves_the_files_it_declares_and_no_other_model_file(finished_run, small_dataset):
    output, _, _ = finished_run
    config = tfkd.PipelineConfig.from_dict({"dataset": small_dataset, **SMALL})
    declared = [file for stage in STAGES for file in stage.writes(config)]
    assert [file for file in declared if not (output / file).exists()] == []
    written = {path.name for pattern in ("*.tflite", "*.npz", "*.keras", "*.h5") for path in output.glob(pattern)}
    assert written == {file for file in declared if "/" not in file and not file.endswith((".json", ".md"))}
    assert VERBS == {"teacher": "teacher logits", "distill": "distill", "compress": "qat", "convert": "deploy",
                     "run": "report"}


def test_a_different_config_in_the_same_directory_is_refused(finished_run, small_dataset):
    output, _, _ = finished_run
    before = (output / "config.json").read_text()
    with pytest.raises(ValueError, match=r"holds a run with a different config \(keys \['alpha'\] differ\); .*\(only "
                                         r"keys of \['compress', 'convert', 'benchmark'\] may change"):
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL, "alpha": 0.9}, output)
    assert (output / "config.json").read_text() == before




def test_a_changed_compress_key_reuses_the_distilled_student_and_moves_the_later_outputs_aside(small_dataset,
                                                                                                   tmp_path):
    output = tmp_path / "run"
    config = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "transfer_copies": 0}, tmp_path)
    tfkd.run_pipeline(config, output, log=lambda line: None)
    before = {path.relative_to(output): path.read_bytes() for path in output.rglob("*")
              if path.is_file() and path.name not in ("run.log", ".tfkd.lock", "stage_seconds.json")}
    logs = []
    results = tfkd.run_pipeline({**config, "target_sparsity": 0.25, "benchmark_runs": 3}, output, log=logs.append)
    assert any("keys ['benchmark_runs', 'target_sparsity'] changed: the outputs of the stages from prune on moved to "
               f"{output / 'replaced' / '1'}" in line for line in logs)
    assert "   reusing student.keras" in logs and "   reusing student_pruned.keras" not in logs
    assert results[-1].name == "student pruned 25% + QAT int8"
    assert json.loads((output / "config.json").read_text())["target_sparsity"] == 0.25
    # Nothing is lost: the earlier stages' files are where they were, the later ones under replaced/1, unchanged.
    for name, content in before.items():
        kept = str(name).startswith(("tokenizer", "teacher_logits", "student.keras"))
        assert (output / name if kept else output / "replaced" / "1" / name).read_bytes() == content, name
    assert json.loads((output / "replaced" / "1" / "config.json").read_text())["target_sparsity"] == 0.5
    assert set(json.loads((output / "stage_seconds.json").read_text())) >= {"prune", "report"}
    # A benchmark key: the compressed and deployed files stay, only the measurement is redone.
    deployed = (output / "mobile" / "student.tflite").read_bytes()
    logs = []
    tfkd.run_pipeline({**config, "target_sparsity": 0.25, "benchmark_runs": 4}, output, log=logs.append)
    assert any("from benchmark on moved to" in line for line in logs)
    assert "   reusing deploy.json, mobile/student.json, micro/student.json" in logs
    assert (output / "mobile" / "student.tflite").read_bytes() == deployed
    assert sorted(path.name for path in (output / "replaced" / "2").iterdir()) == ["config.json", "report.json",
                                                                                    "report.md"]


class _Interrupt(keras.callbacks.Callback):
    """Stops a fit after its first epoch, as Ctrl-C or a lost machine would."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_an_interrupted_stage_resumes_from_its_last_epoch_and_verbs_stop_where_they_say(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 3}
    output = tmp_path / "run"
    assert tfkd.run_pipeline(config, output, until="teacher logits", log=lambda line: None) == []
    assert (output / "teacher_logits_train.npz").exists() and not (output / "student.keras").exists()
    with pytest.raises(KeyboardInterrupt):
        tfkd.run_pipeline(config, output, until="distill", callbacks=[_Interrupt()], log=lambda line: None)
    assert (output / "checkpoints" / "distill").exists() and not (output / "student.keras").exists()
    counter, logs = _EpochCounter(), []
    tfkd.run_pipeline(config, output, until="distill", callbacks=[counter], log=logs.append)
    assert counter.epochs[0] == 1  # epoch 0 was done before the interruption
    assert "   resuming distill from its last checkpoint" in logs
    assert (output / "student.keras").exists() and not (output / "student_pruned.keras").exists()
    assert not (output / "checkpoints" / "distill").exists()


class _DistillStart(keras.callbacks.Callback):
    """Keeps the student's embedding table as the fit begins and counts the fit's batches."""

    def __init__(self):
        super().__init__()
        self.table, self.batches = None, 0

    def on_train_begin(self, logs=None):
        self.table = self.model.student.get_layer("embedding").get_weights()[0]

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_transfer_copies_and_teacher_embeddings_reach_the_distill_stage(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 1, "transfer_copies": 2, "embedding_init": "teacher"}
    start, logs = _DistillStart(), []
    tfkd.run_pipeline(config, tmp_path / "run", until="distill", callbacks=[start], log=logs.append)
    train_texts = tfkd.data.load(small_dataset).train.texts
    variants = tfkd.data.TextAugmenter(seed=0)(train_texts, copies=2)
    assert len(variants) > len(train_texts) // 2
    assert f"   {len(variants):,} augmented teacher-labelled texts join the {len(train_texts):,} training texts" in logs
    with np.load(tmp_path / "run" / "teacher_logits_augmented.npz") as stored:
        assert stored["logits"].shape == (len(variants), 2)
    assert start.batches == -(-(len(train_texts) + len(variants)) // tfkd.PipelineConfig().batch_size)
    # transfer_embeddings: PCA of the teacher's vectors scaled to std 0.3, padding row zero (random init: ~0.03)
    assert not start.table[0].any()
    assert abs(start.table.std() - 0.3) < 0.05


class _LearningRates(keras.callbacks.Callback):
    """The optimizer's learning rate at each batch of a fit; from the second epoch on, validation looks worse,
    so early stopping (patience 2) would stop the fit after its third epoch."""

    def __init__(self):
        super().__init__()
        self.rates, self.epochs = [], 0

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        rate = optimizer.learning_rate
        self.rates.append(float(rate(optimizer.iterations) if callable(rate) else rate))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        if epoch:
            logs["val_accuracy"] = 0.0


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_a_cosine_schedule_decays_the_students_learning_rate_to_zero_over_all_its_epochs(small_dataset, tmp_path,
                                                                                        schedule):
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 4, "transfer_copies": 0,
              "learning_rate_schedule": schedule}
    rates = _LearningRates()
    tfkd.run_pipeline(config, tmp_path / "run", until="distill", callbacks=[rates], log=lambda line: None)
    start = tfkd.PipelineConfig().learning_rate
    assert rates.rates[0] == pytest.approx(start)
    if schedule == "constant":  # early stopping: 3 epochs of 4
        assert rates.epochs == 3 and rates.rates[-1] == pytest.approx(start)
    else:  # cosine: every epoch runs, about halfway at the middle batch, near 0 at the last
        assert rates.epochs == 4
        assert 0.35 * start < rates.rates[len(rates.rates) // 2] < 0.65 * start
        assert rates.rates[-1] < 0.05 * start
        assert all(later <= earlier for earlier, later in zip(rates.rates, rates.rates[1:]))


@pytest.mark.parametrize("patience, epochs", [(1, 2), (2, 3)])
def test_distill_stops_after_patience_epochs_without_a_better_monitor(small_dataset, tmp_path, patience, epochs):
    # On this data the first epoch is the best (as in the test above, where patience 2 ran 3 epochs of 4).
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 4, "transfer_copies": 0, "patience": patience}
    rates = _LearningRates()
    tfkd.run_pipeline(config, tmp_path / "run", until="distill", callbacks=[rates], log=lambda line: None)
    assert rates.epochs == epochs


class _SoftLosses(keras.callbacks.Callback):
    """The soft loss of every fit's Distiller, in the order the fits run."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_begin(self, logs=None):
        self.losses.append([term.loss for term in self.model.distillation_losses])


def test_the_distillation_loss_key_sets_the_soft_loss_of_distill_prune_and_qat(small_dataset, tmp_path):
    config = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "distill_epochs": 1, "transfer_copies": 0,
                                       "distillation_loss": "mse"}, tmp_path)
    soft = _SoftLosses()
    tfkd.run_pipeline(config, tmp_path / "run", until="qat", callbacks=[soft], log=lambda line: None)
    assert soft.losses == [["mse"]] * 3
    assert tfkd.PipelineConfig().distillation_loss == "kl"


def test_the_monitor_key_picks_the_kept_epoch_of_distill_prune_and_qat(small_dataset, tmp_path, monkeypatch):
    # The real train_student runs; the wrapper notes what each fit was asked to monitor
    # (train_student's own test shows what the monitor keeps).
    module = sys.modules["tfkd.pipeline.run_pipeline"]  # the package's `run_pipeline` is the function
    monitors, train_student = [], module.train_student

    def noting(*args, **kwargs):
        monitors.append(kwargs["monitor"])
        return train_student(*args, **kwargs)

    monkeypatch.setattr(module, "train_student", noting)
    config = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "distill_epochs": 1, "transfer_copies": 0,
                                       "monitor": "val_loss"}, tmp_path)
    tfkd.run_pipeline(config, tmp_path / "run", until="qat", log=lambda line: None)
    assert monitors == ["val_loss"] * 3
    assert tfkd.PipelineConfig().monitor == "val_accuracy"


def test_other_domain_sentences_and_their_variants_join_the_distill_stage(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 1, "student": "bilstm", "units": 12,
              "transfer_copies": 0, "transfer_corpora": ["tweets"], "corpus_copies": 1}
    start, logs = _DistillStart(), []
    tfkd.run_pipeline(config, tmp_path / "run", until="distill", callbacks=[start], log=logs.append)
    train_texts = tfkd.data.load(small_dataset).train.texts
    tweets = tfkd.data.transfer_texts(["tweets"])
    variants = tfkd.data.TextAugmenter(seed=1)(tweets, copies=1)
    assert len(tweets) == 4200 and len(variants) > 1000
    assert (f"   {len(tweets):,} other_domain + {len(variants):,} other_domain_augmented teacher-labelled texts "
            f"join the {len(train_texts):,} training texts") in logs
    for split, count in (("other_domain", len(tweets)), ("other_domain_augmented", len(variants))):
        with np.load(tmp_path / "run" / f"teacher_logits_{split}.npz") as stored:
            assert stored["logits"].shape == (count, 2)
    total = len(train_texts) + len(tweets) + len(variants)
    assert start.batches == -(-total // tfkd.PipelineConfig().batch_size)
    lstm = next(layer for layer in keras.models.load_model(tmp_path / "run" / "student.keras").layers
                if layer.name == "bilstm")
    assert lstm.forward_layer.units == 12


def test_a_teacher_known_only_by_a_logits_file_from_another_framework(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "transfer_copies": 1, "embedding_init": "random",
              "targets": ["mobile"]}
    texts = tfkd.pipeline.texts_to_label(config)
    splits = tfkd.data.load(small_dataset)
    assert len(texts) > len(splits.train) + len(splits.validation) + len(splits.test)  # the variants are asked for
    logits_file = tmp_path / "teacher.npz"
    teacher = write_tfidf_teacher_logits(splits, texts, logits_file)
    logs = []
    results = tfkd.run_pipeline({**config, "teacher_logits": str(logits_file)}, tmp_path / "run", log=logs.append)
    assert [result.name for result in results] == ["student (cnn, float32)", "student pruned 50% + int8",
                                                   "student pruned 50% + QAT int8"]
    assert not (tmp_path / "run" / "teacher_float32.tflite").exists()
    assert results[-1].accuracy > 0.9
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    teacher_accuracy = float(np.mean(teacher(splits.test.texts) == splits.test.labels))
    assert report["teacher"]["test_accuracy"] == pytest.approx(teacher_accuracy)
    assert report["comparison"]["smaller_than_teacher"] is None
    text = (tmp_path / "run" / "report.md").read_text()
    assert f"| teacher (logits file teacher.npz) | {teacher_accuracy:.2%} |" in text
    assert "there is no teacher .tflite to compare with." in text


def _saved_keras3_teacher(splits, path):
    """A Keras 3 model from raw strings to logits, fitted on the labels and saved: a teacher made elsewhere."""
    keras3 = tfkd._keras.keras3()
    words = keras3.layers.TextVectorization(max_tokens=200, output_sequence_length=16)
    words.adapt(list(splits.train.texts))
    inputs = keras3.Input(shape=(), dtype="string")
    pooled = keras3.layers.GlobalAveragePooling1D()(keras3.layers.Embedding(200, 8)(words(inputs)))
    model = keras3.Model(inputs, keras3.layers.Dense(splits.num_classes)(pooled))
    model.compile("adam", keras3.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(tf.constant(list(splits.train.texts)), np.asarray(splits.train.labels), epochs=30, verbose=0)
    model.save(path)
    return model


def test_a_saved_keras_model_teacher_labels_the_texts_as_it_is(small_dataset, tmp_path):
    splits = tfkd.data.load(small_dataset)
    model = _saved_keras3_teacher(splits, tmp_path / "sentiment.keras")
    config = {"dataset": small_dataset, **SMALL, "transfer_copies": 1, "embedding_init": "random",
              "targets": ["mobile"], "teacher_preset": str(tmp_path / "sentiment.keras")}
    logs = []
    results = tfkd.run_pipeline(config, tmp_path / "run", log=logs.append)
    assert [result.name for result in results][0] == "student (cnn, float32)"
    assert not (tmp_path / "run" / "teacher_float32.tflite").exists()
    # the transfer texts carry this model's labels, and its test accuracy is the report's teacher row
    with np.load(tmp_path / "run" / "teacher_logits_augmented.npz") as stored:
        texts = tfkd.pipeline.texts_to_label(config)
        augmented = [text for text in texts if text not in set(splits.train.texts + splits.validation.texts
                                                                + splits.test.texts)]
        np.testing.assert_allclose(stored["logits"], model.predict(tf.constant(augmented), verbose=0), atol=1e-4)
    predictions = model.predict(tf.constant(list(splits.test.texts)), verbose=0).argmax(-1)
    accuracy = float(np.mean(predictions == splits.test.labels))
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["teacher"]["test_accuracy"] == pytest.approx(accuracy)
    assert f"| teacher (Keras model sentiment.keras) | {accuracy:.2%} |" in (tmp_path / "run" / "report.md").read_text()
    assert any("used as it is (not fine-tuned)" in line for line in logs)


def test_a_saved_keras_teacher_needs_random_embeddings(small_dataset, tmp_path):
    with pytest.raises(ValueError, match=r"a saved Keras model has none \(teacher_preset='t.keras'\): use "
                                         r"embedding_init: random"):
        tfkd.PipelineConfig.from_dict({"teacher_preset": "t.keras"})


def test_a_logits_file_missing_texts_is_named_before_any_training(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "transfer_copies": 0, "embedding_init": "random"}
    splits = tfkd.data.load(small_dataset)
    logits_file = tmp_path / "teacher.npz"
    np.savez(logits_file, texts=np.array(splits.train.texts), logits=np.zeros((len(splits.train), 2)))
    with pytest.raises(ValueError, match=r"teacher.npz has no logits for \d+ of the \d+ texts asked for \(first: "):
        tfkd.run_pipeline({**config, "teacher_logits": str(logits_file)}, tmp_path / "run")
    assert not (tmp_path / "run" / "student.keras").exists()


def test_settings_left_null_are_derived_from_the_data_and_logged(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "sequence_length": None, "teacher_sequence_length": None,
              "transfer_copies": None, "teacher_epochs": None}
    logs = []
    tfkd.run_pipeline(config, tmp_path / "run", until="teacher", log=logs.append)
    # The small set: 253 training texts of 6 words: 7 MediaPipe ids (its start token first), at most 9 BERT
    # tokens ([CLS], [SEP], and a word split in two pieces).
    assert ("   transfer_copies: 40 (derived from the data: with 253 training texts, about 30,000 texts in all; set "
            "transfer_copies to choose it)") in logs
    assert ("   sequence_length: 16 (derived from the data: the longest training text has 7 tokens; set "
            "sequence_length to choose it)") in logs
    assert ("   teacher_sequence_length: 16 (derived from the data: 99% of the training texts have at most 9 BERT "
            "tokens; set teacher_sequence_length to choose it)") in logs
    assert ("   teacher_epochs: 3 (derived from the data: with 253 training texts, about 8,000 texts seen; set "
            "teacher_epochs to choose it)") in logs
    assert tfkd.data.TextVectorizer.load(tmp_path / "run" / "tokenizer").sequence_length == 16
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert stored["sequence_length"] is None and stored["transfer_copies"] is None  # what the user asked
    assert len(tfkd.pipeline.texts_to_label(config)) > 253 * 10  # the variants of 40 tries are asked for too


def test_an_output_that_is_a_file_is_refused_untouched(small_dataset, tmp_path):
    output = tmp_path / "report.txt"
    output.write_text("mine")
    with pytest.raises(ValueError, match=r"the output .*report.txt is a file, not a directory"):
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output)
    assert output.read_text() == "mine"


def test_a_run_directory_has_one_writer(small_dataset, tmp_path):
    output = tmp_path / "run"
    output.mkdir()
    with open(output / ".tfkd.lock", "a+", encoding="utf-8") as other:  # another process's hold, as flock sees it
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.write("12345\n")
        other.flush()
        with pytest.raises(RunDirectoryLocked, match=r"run is being written by another tfkd process \(pid 12345\); "
                                                     r"wait for it to finish, or choose another --output"):
            tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, until="data")
        assert tfkd.cli.main(["run", "--dataset", small_dataset, "--output", str(output)]) == 2
        assert not (output / "config.json").exists()
    tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, until="data", log=lambda line: None)
    assert (output / "config.json").exists()


def test_a_damaged_artefact_is_named_moved_aside_and_computed_again(small_dataset, tmp_path):
    config, output = {"dataset": small_dataset, **SMALL, "prune_epochs": 1, "distill_epochs": 1}, tmp_path / "run"
    tfkd.run_pipeline(config, output, until="convert", log=lambda line: None)
    damaged = ("teacher_logits_train.npz", "student.keras", "student_pruned_qat.weights.h5",
               "student_pruned_int8.tflite")
    for name in damaged:  # as a kill during a plain write, or a bad disk, would leave them
        (output / name).write_bytes((output / name).read_bytes()[:100])
    logs = []
    tfkd.run_pipeline(config, output, until="convert", log=logs.append)
    for name in damaged:
        assert any(line.startswith(f"   {name} cannot be read (") and line.endswith(
            f"moved to {name}.damaged and computed again") for line in logs), name
        assert (output / f"{name}.damaged").stat().st_size == 100
        assert (output / name).stat().st_size > 100
    tfkd.TFLiteModel(output / "student_pruned_int8.tflite").predict(np.zeros((1, 16), "int32"))
    logs = []
    tfkd.run_pipeline(config, output, until="convert", log=logs.append)  # intact now: reused as they are
    assert not any("cannot be read" in line for line in logs)


def test_until_must_be_a_stage(small_dataset, tmp_path):
    with pytest.raises(ValueError, match=r"`until` must be one of \['data', 'tokenizer', .*received until='train'"):
        tfkd.run_pipeline({"dataset": small_dataset}, tmp_path, until="train")


def test_a_directory_with_other_files_is_refused_untouched(small_dataset, tmp_path):
    (tmp_path / "student.keras").write_text("mine")
    with pytest.raises(ValueError, match=r"is not empty and holds no tfkd run \(config.json is missing\)"):
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, tmp_path, log=lambda line: None)
    assert [path.name for path in tmp_path.iterdir()] == ["student.keras"]
    assert (tmp_path / "student.keras").read_text() == "mine"


def test_a_run_from_before_new_config_keys_still_resumes(finished_run, small_dataset):
    output, _, _ = finished_run
    stored = json.loads((output / "config.json").read_text())
    older = {key: value for key, value in stored.items() if key not in ("quantization", "targets")}
    (output / "config.json").write_text(json.dumps(older))
    try:
        logs = []
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, log=logs.append)
        assert any("resuming the run" in line for line in logs)
    finally:
        (output / "config.json").write_text(json.dumps(stored))


def test_no_teacher_epochs_needs_a_saved_teacher_folder(small_dataset, tmp_path):
    with pytest.raises(ValueError, match=r"'teacher_epochs' is 0, which needs 'teacher_preset' to be a folder written "
                                         r"by TextClassifierTeacher.save; received teacher_preset='minilm'"):
        tfkd.run_pipeline({"dataset": small_dataset, **SMALL, "teacher_epochs": 0}, tmp_path / "run",
                          log=lambda line: None)


class _SpoilLastPruneEpoch(keras.callbacks.Callback):
    """In the prune fit (a run's second), flips the logits layer as the last epoch begins, so that epoch scores
    worst; records every prune epoch's validation accuracy."""

    def __init__(self, epochs):
        super().__init__()
        self.fits, self.epochs, self.validation = 0, epochs, []

    def on_train_begin(self, logs=None):
        self.fits += 1

    def on_epoch_begin(self, epoch, logs=None):
        if self.fits == 2 and epoch == self.epochs - 1:
            for variable in self.model.student.layers[-1].trainable_weights:
                variable.assign(-variable)

    def on_epoch_end(self, epoch, logs=None):
        if self.fits == 2:
            self.validation.append(logs["val_accuracy"])


def test_pruning_keeps_its_best_epoch_at_the_final_sparsity(small_dataset, tmp_path):
    config = {"dataset": small_dataset, **SMALL, "prune_epochs": 4, "transfer_copies": 0}
    spoil = _SpoilLastPruneEpoch(config["prune_epochs"])
    tfkd.run_pipeline(config, tmp_path / "run", until="prune", callbacks=[spoil], log=lambda line: None)
    assert len(spoil.validation) == 4 and spoil.validation[-1] < max(spoil.validation)
    pruned = keras.models.load_model(tmp_path / "run" / "student_pruned.keras")
    splits = tfkd.data.load(small_dataset)
    ids = tfkd.data.TextVectorizer.load(tmp_path / "run" / "tokenizer")(splits.validation.texts)
    accuracy = float(np.mean(pruned.predict(ids, verbose=0).argmax(-1) == splits.validation.labels))
    # 4 epochs ramp to the target over the first 2.8: epochs 3 and 4 are at 50% sparsity, and the better one is kept
    assert accuracy == pytest.approx(max(spoil.validation[2:]), abs=1e-6)
    kernel = pruned.get_layer("embedding").get_weights()[0]
    assert abs(np.mean(kernel == 0) - 0.5) < 0.02


class _BatchesPerFit(keras.callbacks.Callback):
    """The number of batches of each fit the callback joins (distill, prune, QAT), in order."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def on_train_begin(self, logs=None):
        self.batches.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.batches[-1] += 1


@pytest.mark.parametrize("compress_data", ["labelled", "distill"])
def test_compress_data_chooses_what_pruning_and_qat_train_on(small_dataset, tmp_path, compress_data):
    config = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "distill_epochs": 1, "transfer_copies": 1,
                                       "qat_epochs": 1, "compress_data": compress_data}, tmp_path)
    fits = _BatchesPerFit()
    tfkd.run_pipeline(config, tmp_path / "run", until="qat", callbacks=[fits], log=lambda line: None)
    train_texts = tfkd.data.load(small_dataset).train.texts
    variants = tfkd.data.TextAugmenter(seed=0)(train_texts, copies=1)
    batch_size = tfkd.PipelineConfig().batch_size
    distill, labelled = -(-(len(train_texts) + len(variants)) // batch_size), -(-len(train_texts) // batch_size)
    assert len(variants) > len(train_texts) // 4
    compress = distill if compress_data == "distill" else labelled
    assert fits.batches == [distill, compress, compress]


def test_a_second_run_with_the_same_teacher_and_texts_labels_nothing(small_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))  # empty: earlier tests labelled these texts
    first_logs, logs = [], []
    tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, tmp_path / "first", until="teacher logits",
                      log=first_logs.append)
    assert len([line for line in first_logs if "texts labelled in" in line]) == 3  # train, validation, augmented
    config = {"dataset": small_dataset, **SMALL, "alpha": 0.5}  # another student, the same teacher and texts
    tfkd.run_pipeline(config, tmp_path / "other", until="teacher logits", log=logs.append)
    assert not [line for line in logs if "texts labelled in" in line]
    for split in ("train", "validation", "augmented"):
        assert any(line.startswith(f"   {split}: the teacher's logits for these ") for line in logs), split
        with np.load(tmp_path / "first" / f"teacher_logits_{split}.npz") as first, \
                np.load(tmp_path / "other" / f"teacher_logits_{split}.npz") as second:
            np.testing.assert_array_equal(first["logits"], second["logits"])


def test_the_student_is_the_same_whether_its_run_fine_tuned_the_teacher_or_found_it_cached(small_dataset, tmp_path,
                                                                                         monkeypatch):
    # Fine-tuning reseeds the random state with teacher_seed: a benchmark's seed 1, which fitted the shared teacher,
    # distilled another student than seed 1 run again with the teacher cached.
    monkeypatch.setenv("TFKD_CACHE_DIR", str(tmp_path / "cache"))  # empty: the first run fine-tunes the teacher
    config = {"dataset": small_dataset, **SMALL, "distill_epochs": 1, "transfer_copies": 0, "seed": 1,
              "teacher_seed": 0}  # as the best recipe's seeds 1 and 2: the teacher seeds itself with its own seed
    tfkd.run_pipeline(config, tmp_path / "first", until="distill", log=lambda line: None)
    saved = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").rglob("*") if path.is_file()}
    tfkd.run_pipeline(config, tmp_path / "again", until="distill", log=lambda line: None)
    assert [path for path in saved if path.parent.parent.name == "teachers"]  # fine-tuned by the first run
    assert {path: path.stat().st_mtime_ns for path in saved} == saved  # loaded, not fitted again, by the second
    first, again = (keras.models.load_model(tmp_path / run / "student.keras") for run in ("first", "again"))
    for first_weights, weights in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(first_weights, weights)


def test_two_concurrent_runs_on_one_directory_leave_what_one_run_leaves(small_dataset, tmp_path):
    # Two real `tfkd run` processes: the second stops with status 2 naming the first, which finishes untouched.
    config = tmp_path / "small.yaml"
    settings = taught_by_a_logits_file({"dataset": small_dataset, **SMALL, "benchmark_runs": 2}, tmp_path)
    config.write_text(json.dumps(settings))  # JSON is YAML
    shared, alone = tmp_path / "shared", tmp_path / "alone"

    def command(output):
        return [sys.executable, "-m", "tfkd", "run", "--config", str(config), "--output", str(output)]

    first = subprocess.Popen(command(shared), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (shared / ".tfkd.lock").exists() or str(first.pid) not in (shared / ".tfkd.lock").read_text():
        assert time.monotonic() < deadline and first.poll() is None, "the first run never took the lock"
        time.sleep(0.2)
    second = subprocess.run(command(shared), capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 2
    assert f"shared is being written by another tfkd process (pid {first.pid})" in second.stderr
    assert first.wait(timeout=1200) == 0
    assert subprocess.run(command(alone), capture_output=True, timeout=1200, check=False).returncode == 0
    skipped = {"run.log", "stage_seconds.json", ".tfkd.lock"}  # times differ; the lock is the holder's

    def files(run):
        return sorted(str(path.relative_to(run)) for path in run.rglob("*") if path.is_file()
                      and path.name not in skipped)

    assert files(shared) == files(alone)
    assert (shared / "run.log").read_text().count("== data") == 1  # the second run wrote nothing there
    reports = [json.loads((run / "report.json").read_text()) for run in (shared, alone)]
    assert reports[0]["config"] == reports[1]["config"] and reports[0]["comparison"]["points_over_baseline"] == \
        reports[1]["comparison"]["points_over_baseline"]


@pytest.mark.parametrize("below, words", [(0.49, "0.49 points below"), (0.0, "0.0 points below"),
                                          (-0.49, "0.49 points above")], ids=["below", "level", "above"])
def test_the_report_says_which_side_of_the_float_student_the_final_one_is(below, words):
    from tfkd.pipeline.run_pipeline import _comparison_text

    comparison = {"smaller_than_teacher": 80.0, "faster_than_teacher": 20.0, "points_below_float_student": below,
                  "points_over_baseline": 7.5}
    text = _comparison_text(comparison, "student pruned 50% + QAT int8")
    assert f"It is {words} the float student, and +7.50 points against the baseline" in text
