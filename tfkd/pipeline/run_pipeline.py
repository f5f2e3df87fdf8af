"""`run_pipeline`: data -> teacher -> cached logits -> distill -> prune -> QAT -> TFLite -> deploy -> benchmark -> report.

Each stage writes its outputs into the run directory and is skipped when
they are already there, so an interrupted run picks up where it stopped
and a finished one is not recomputed.
"""

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import pathlib
import time

import numpy as np

from tfkd import students
from tfkd._keras import keras, set_seed, tf
from tfkd.benchmark import ModelResult, TFLiteBenchmark, tfidf_baseline
from tfkd.benchmark.machine import machine_info
from tfkd.benchmark.tflite_benchmark import macro_f1
from tfkd.compress import prune, pruning_callbacks, quantize_aware, sparsity_report, strip_pruning
from tfkd.compress.pruning import first_epoch_at_target
from tfkd.convert import convert, deploy
from tfkd.convert.converter import CALIBRATED_MODES
from tfkd.data import TextVectorizer, load, transfer_texts
from tfkd.data.cache import atomic_path, cache_dir, write_bytes_atomic
from tfkd.distill import cache_teacher_logits, logits_dataset, train_student
from tfkd.distill.teacher_logits import load_teacher_logits, text_keys
from tfkd.distill.transfer_set import LABELLED_SPLITS, variants_in_rounds
from tfkd.pipeline.pipeline_config import (MAX_DERIVED_LENGTH, SETTING_GROUPS, TEACHER_FIT_TEXTS, TRANSFER_SET_TEXTS,
                                           PipelineConfig, derived_copies, derived_length, derived_teacher_epochs)
from tfkd.progress import keras_verbosity
from tfkd.report import untimed_row, write_report
from tfkd.teachers import TextClassifierTeacher, fine_tuned_teacher
from tfkd.teachers.keras_model_teacher import KerasModelTeacher
from tfkd.teachers.logits_file_teacher import LogitsFileTeacher
from tfkd.teachers.text_classifier_teacher import MODEL_FILE, teacher_token_lengths

CONFIG_FILE = "config.json"
LOCK_FILE = ".tfkd.lock"  # held (flock) by the one process writing the run directory
# The builder argument that config key `units` sets, per zoo student.
STUDENT_WIDTHS = {"bilstm": "units", "cnn": "filters", "average_embedding": "hidden_units",
                  "transformer": "feedforward_dim"}
TIMINGS_FILE = "stage_seconds.json"
RECORDS_FILE = "tflite_files.json"  # size and sha256 of each .tflite when written: checked before reuse
REPLACED_DIR = "replaced"  # replaced/<n>/: a run's later outputs, moved aside when their config keys changed
REPLACEABLE_FROM = "compress"  # keys of this group and later ones may change in a run directory


def run_pipeline(config=None, output_dir=None, log=print, until="report", callbacks=None):
    """Runs the whole path (or its first stages) and returns the benchmark results.

    Every stage stores its outputs in the run directory and is skipped when
    they are there, so a re-run resumes; student training (distill, prune,
    QAT) checkpoints every epoch (`keras.callbacks.BackupAndRestore` under
    `checkpoints/`), so an interrupted stage resumes from its last finished
    epoch. The run directory belongs to one config (`config.json`, the
    resolved config); nothing in it is overwritten by another.

    Args:
        config: `PipelineConfig`, a dict of its fields, or None for the defaults.
        output_dir: str, Path or None; the run directory (`.tflite` files,
            tokenizer, Keras students, `mobile/`, `micro/`, report.md,
            report.json, run.log). Default `config.default_output()`:
            `tflite_models/<dataset>-<student>-<config key>`.
        log: callable taking one str, for progress lines. Default `print`.
        until: str, the last stage to run: one of `STAGE_ORDER` (default
            "report", the whole path). The `tfkd` verbs stop at `VERBS`.
        callbacks: list of tf_keras callbacks added to every student fit
            (distill, prune, QAT), e.g. TensorBoard. Default None.

    Returns:
        list of `ModelResult` (empty when `until` stops before "benchmark"):
        teacher float32, student float32, pruned student quantized
        post-training and, unless `qat_epochs=0`, the pruned student after
        pruning-preserving QAT, int8.

    Raises:
        ValueError: an unknown `until`; `output_dir` holds a run with a
            different config (the differing keys are named) or files that
            are not a tfkd run; nothing in it is touched.

    Example:
        >>> run_pipeline({"student": "bilstm"}, "tflite_models/mr_bilstm", until="distill")
    """
    if until not in STAGE_ORDER:
        raise ValueError(f"`until` must be one of {list(STAGE_ORDER)}; received until={until!r}")
    config = config if isinstance(config, PipelineConfig) else PipelineConfig.from_dict(config or {})
    run = _Run(pathlib.Path(output_dir or config.default_output()), config, log, until, list(callbacks or []))
    with run.locked():
        run.claim_directory()
        try:
            return _stages(run)
        except _Stop:
            return []
        finally:
            run.log_summary()


def _stages(run):
    for stage in STAGES:
        run.outputs[stage.name] = run.stage(stage)
    return run.outputs["benchmark"]


class RunDirectoryLocked(RuntimeError):
    """Another process is writing the run directory (`tfkd` exits with status 2)."""


class _Stop(Exception):
    """Raised after the stage named by `until`."""


class _Run:
    """What every stage reads: the run directory, the config, the earlier stages' outputs and the log.

    `outputs` maps each finished stage's name to what it returned;
    `ids` and `data` are derived from them when first asked for.
    """

    def __init__(self, directory, config, log, until="report", callbacks=()):
        self.directory, self.config, self._log, self.until = directory, config, log, until
        self.callbacks = list(callbacks)
        self.outputs = {}
        self.derived = {}  # config keys left null, set from the data by the stages
        self._seconds = {}

    def path(self, name):
        return self.directory / name

    def derive(self, key, value, reason):
        """Sets config key `key`, left null by the user, to `value` derived from the data, and says why."""
        self.config = dataclasses.replace(self.config, **{key: value})
        self.derived[key] = value
        self.log(f"   {key}: {value} (derived from the data: {reason}; set {key} to choose it)")

    @functools.cached_property
    def ids(self):
        """The student's token ids of each labelled split: {split: int32 [n, sequence_length]}."""
        splits, vectorizer = self.outputs["data"], self.outputs["tokenizer"]
        return {split: vectorizer(splits[split].texts) for split in ("train", "validation", "test")}

    @functools.cached_property
    def transfer_ids(self):
        """The student's token ids of each teacher-labelled transfer split (every split of the teacher's logits
        but train and validation): {split: int32 [n, sequence_length]}; vectorized once for distill, prune and QAT."""
        texts, vectorizer = self.outputs["teacher logits"]["texts"], self.outputs["tokenizer"]
        return {split: vectorizer(texts[split]) for split in texts if split not in ("train", "validation")}

    @functools.cached_property
    def data(self):
        """(ids, label, teacher logits) datasets of the labelled train and validation texts."""
        splits, logits, config = self.outputs["data"], self.outputs["teacher logits"]["logits"], self.config
        return {split: logits_dataset(self.ids[split], splits[split].labels, logits[split], config.batch_size,
                                      shuffle=split == "train", seed=config.seed, num_classes=splits.num_classes)
                for split in ("train", "validation")}

    @contextlib.contextmanager
    def locked(self):
        """Holds the run directory's lock: one writer at a time; a second process is refused, naming the first."""
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"the output {self.directory} is a file, not a directory; choose a directory "
                             "(the file was not touched)")
        self._refuse_a_foreign_directory()
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path(LOCK_FILE), "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                raise RunDirectoryLocked(
                    f"{self.directory} is being written by another tfkd process (pid {handle.read().strip() or '?'}); "
                    "wait for it to finish, or choose another --output") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield  # the lock goes with the file handle

    def _refuse_a_foreign_directory(self):
        if not self.directory.is_dir() or self.path(CONFIG_FILE).exists():
            return
        if any(path.name != LOCK_FILE for path in self.directory.iterdir()):
            raise ValueError(f"{self.directory} is not empty and holds no tfkd run ({CONFIG_FILE} is missing); "
                             "choose another output directory (nothing in it was touched)")

    def claim_directory(self):
        """Checks the run directory's config against this one (resuming), or writes it (a new run)."""
        self._refuse_a_foreign_directory()
        stored = self.path(CONFIG_FILE)
        if stored.exists():
            # Keys added to PipelineConfig since that run take their defaults, so an old run still resumes.
            previous = PipelineConfig.from_dict(json.loads(stored.read_text()))
            before, current = previous.to_dict(), self.config.to_dict()
            changed = sorted(key for key in current if before[key] != current[key])
            if not changed:
                self.log(f"resuming the run in {self.directory}")
                return
            earliest = min(SETTING_GROUPS.index(PipelineConfig.group(key)) for key in changed)
            if earliest < SETTING_GROUPS.index(REPLACEABLE_FROM):
                raise ValueError(f"{self.directory} holds a run with a different config (keys {changed} differ); "
                                 "choose another output directory or remove that one (only keys of "
                                 f"{list(SETTING_GROUPS[SETTING_GROUPS.index(REPLACEABLE_FROM):])} may change in a "
                                 "run directory: the distilled student is reused)")
            self._set_aside_stages_from(SETTING_GROUPS[earliest], previous, changed)
        write_bytes_atomic(stored, self.config.to_json().encode(), overwrite=True)

    def _set_aside_stages_from(self, group, previous, changed):
        """Moves the outputs of the stages that read `group`'s keys, and of those after them, into `replaced/<n>/`
        with the config they were computed with; the earlier stages' outputs stay, to be reused."""
        first = next(index for index, stage in enumerate(STAGES)
                     if SETTING_GROUPS.index(stage.settings) >= SETTING_GROUPS.index(group))
        kept_stages = [stage.name for stage in STAGES[:first]]
        kept = {CONFIG_FILE, LOCK_FILE, "run.log", TIMINGS_FILE, REPLACED_DIR, "checkpoints"}
        kept |= {pathlib.PurePath(file).parts[0] for stage in STAGES[:first] for file in stage.writes(previous)}
        moving = [path for path in self.directory.iterdir() if path.name not in kept]
        if self.path("checkpoints").is_dir():
            moving += [path for path in self.path("checkpoints").iterdir() if path.name not in kept_stages]
        number = 1 + max((int(path.name) for path in self.path(REPLACED_DIR).glob("*") if path.name.isdigit()),
                         default=0)
        aside = self.path(REPLACED_DIR) / str(number)
        aside.mkdir(parents=True)
        # The old config is copied first and replaced last: a kill midway leaves a run that moves the rest next time.
        write_bytes_atomic(aside / CONFIG_FILE, self.path(CONFIG_FILE).read_bytes())
        for path in moving:
            target = aside / path.relative_to(self.directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        timings = {name: seconds for name, seconds in self.timings.items() if name in kept_stages}
        write_bytes_atomic(self.path(TIMINGS_FILE), json.dumps(timings, indent=2).encode(), overwrite=True)
        self.log(f"keys {changed} changed: the outputs of the stages from {STAGES[first].name} on moved to {aside} "
                 "with the config they were computed with; the stages before it are reused")

    def stage(self, stage):
        """Runs `stage` (each stage reuses what it finds of its `writes`), timed and logged.

        Every stage starts from `seed`: what it computes does not depend on
        whether the stages before it computed their outputs or reused them
        (fine-tuning the teacher reseeds with `teacher_seed`).
        """
        name = stage.name
        self.log(f"== {name}")
        written = stage.writes(self.config)
        if written and all(self.path(file).exists() for file in written):
            self.log(f"   reusing {', '.join(written)}")
        start = time.perf_counter()
        set_seed(self.config.seed)
        result = stage.function(self)
        seconds = round(time.perf_counter() - start, 1)
        self.log(f"   {name} done in {seconds:.1f} s")
        self._seconds[name] = seconds
        self._record_time(name, seconds)
        if name == self.until != STAGES[-1].name:
            raise _Stop
        return result

    def log_summary(self):
        if not self._seconds:
            return
        first = self.timings
        lines = ["", "| stage | this run (s) | when computed (s) |", "|---|---:|---:|"]
        lines += [f"| {name} | {seconds:.1f} | {first.get(name, seconds):.1f} |" for name, seconds in self._seconds.items()]
        self.log("\n".join(lines) + f"\n\nRun directory: {self.directory}")

    @property
    def timings(self):
        """Seconds each stage took when it was computed (a resumed stage keeps its first time)."""
        path = self.path(TIMINGS_FILE)
        return json.loads(path.read_text()) if path.exists() else {}

    def _record_time(self, name, seconds):
        timings = self.timings
        if name not in timings:
            timings[name] = seconds
            write_bytes_atomic(self.path(TIMINGS_FILE), json.dumps(timings, indent=2).encode(), overwrite=True)

    def log(self, message):
        self._log(message)
        with open(self.path("run.log"), "a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%H:%M:%S')} {message}\n")


def _data(run):
    splits = load(run.config.dataset)
    if run.config.transfer_copies is None:
        run.derive("transfer_copies", derived_copies(len(splits.train)),
                   f"with {len(splits.train):,} training texts, about {TRANSFER_SET_TEXTS:,} texts in all")
    return splits


def _vectorizer(run):
    splits, folder = run.outputs["data"], run.path("tokenizer")
    if (folder / "tokenizer.json").exists():
        vectorizer = TextVectorizer.load(folder)
        if run.config.sequence_length is None:
            run.derive("sequence_length", vectorizer.sequence_length, "as the saved tokenizer has it")
        return vectorizer
    config = run.config
    if config.sequence_length is None:
        counter = TextVectorizer(config.vectorizer, config.vocabulary_size, MAX_DERIVED_LENGTH).fit(splits.train.texts)
        lengths = (counter(splits.train.texts) != 0).sum(axis=1)
        run.derive("sequence_length", derived_length(lengths, 1.0),
                   f"the longest training text has {lengths.max()} tokens")
        config = run.config
    vectorizer = TextVectorizer(config.vectorizer, config.vocabulary_size, config.sequence_length)
    vectorizer.fit(splits.train.texts).save(folder)
    run.log(f"   vocabulary of {vectorizer.vocabulary_length} tokens, sequence length {config.sequence_length}")
    return vectorizer


def _teacher(run):
    """Fine-tunes the teacher (cached outside the run, keyed by data and settings) or loads a saved one."""
    config, splits = run.config, run.outputs["data"]
    if config.teacher_logits:
        teacher = LogitsFileTeacher.load(config.teacher_logits, splits.num_classes)
        if teacher.covers(splits.test.texts):
            _score_unconverted(teacher, splits)
        run.log(f"   teacher: the logits of {teacher.info['texts']:,} texts in {config.teacher_logits} "
                "(no teacher model is loaded)")
        return teacher
    if config.teacher_model_file:
        teacher = _score_unconverted(KerasModelTeacher.load(config.teacher_preset, splits.num_classes), splits)
        run.log(f"   teacher: the Keras model saved in {config.teacher_preset}, used as it is (not fine-tuned): "
                f"{teacher.info['test_accuracy']:.2%} test accuracy")
        return teacher
    saved = pathlib.Path(config.teacher_preset)
    if (saved / MODEL_FILE).is_file():
        run.log(f"   loading the fine-tuned teacher saved in {saved}")
        teacher = TextClassifierTeacher.load(saved)
        if config.teacher_sequence_length is None:
            run.derive("teacher_sequence_length", teacher.sequence_length, "as the saved teacher has it")
        return teacher
    if config.teacher_epochs == 0:
        raise ValueError(f"config key 'teacher_epochs' is 0, which needs 'teacher_preset' to be a folder written "
                         f"by TextClassifierTeacher.save; received teacher_preset={config.teacher_preset!r}")
    if config.teacher_epochs is None:
        run.derive("teacher_epochs", derived_teacher_epochs(len(splits.train)),
                   f"with {len(splits.train):,} training texts, about {TEACHER_FIT_TEXTS:,} texts seen")
        config = run.config
    if config.teacher_sequence_length is None:
        lengths = teacher_token_lengths(config.teacher_preset, splits.train.texts)
        run.derive("teacher_sequence_length", derived_length(lengths, 0.99),
                   f"99% of the training texts have at most {int(np.percentile(lengths, 99))} BERT tokens")
        config = run.config
    teacher = fine_tuned_teacher(splits, config.teacher_preset, config.teacher_sequence_length,
                                 config.teacher_epochs, config.teacher_learning_rate, config.teacher_batch_size,
                                 config.resolved_teacher_seed)
    run.log(f"   teacher: {teacher.info.get('validation_accuracy', float('nan')):.2%} validation accuracy")
    return teacher


def _score_unconverted(teacher, splits):
    """The test accuracy and macro-F1 of a teacher the run does not convert, in its `info`, for the report."""
    predictions = teacher.logits(splits.test.texts).argmax(-1)
    teacher.info.update(test_accuracy=float(np.mean(predictions == splits.test.labels)),
                        test_macro_f1=macro_f1(np.asarray(splits.test.labels), predictions))
    return teacher


def _teacher_logits(run):
    """{"texts": {split: texts}, "logits": {split: the teacher's logits}}, with the labelling speed.

    The splits: the labelled "train" and "validation" texts and the
    transfer texts of `_transfer_texts`.

    Each split is cached in the run directory and, for a teacher fine-tuned
    by tfkd, in the tfkd cache under the teacher's settings key and the
    texts' hash: another run with the same teacher and texts (another
    student, say) copies them instead of labelling again. Either copy is
    checked against the texts when it is loaded.
    """
    teacher, splits = run.outputs["teacher"], run.outputs["data"]
    texts = {"train": splits.train.texts, "validation": splits.validation.texts,
             **_transfer_texts(run.config, splits)}
    logits = {}
    for split, split_texts in texts.items():
        path, shared = run.path(f"teacher_logits_{split}.npz"), _shared_logits_path(teacher, split_texts)
        if not path.exists() and shared is not None and shared.exists():
            write_bytes_atomic(path, shared.read_bytes())
            run.log(f"   {split}: the teacher's logits for these {len(split_texts):,} texts come from {shared}")
        # A readable file for these texts is used as it is; a damaged one goes aside and is labelled again.
        logits[split] = _reused(run, path, functools.partial(load_teacher_logits, texts=split_texts))
        if logits[split] is None:
            start = time.perf_counter()
            logits[split] = cache_teacher_logits(teacher, split_texts, path)
            seconds = time.perf_counter() - start
            run.log(f"   {split}: {len(split_texts):,} texts labelled in {seconds:.1f} s "
                    f"({len(split_texts) / max(seconds, 1e-9):,.0f} texts/s)")
        if shared is not None and not shared.exists():
            write_bytes_atomic(shared, path.read_bytes())
    return {"texts": texts, "logits": logits}


def texts_to_label(config=None):
    """Every text a run of `config` asks its teacher about, each once: what a `teacher_logits` file must label.

    The training and validation texts, the transfer texts as the run draws
    them (`transfer_copies` variants, `transfer_corpora` sentences and their
    `corpus_copies` variants, seeded by `teacher_seed`), and the test texts
    (optional in the file: with them the report scores the teacher).

    Args:
        config: `PipelineConfig`, a dict of its fields, or None for the defaults.

    Returns:
        list of str.

    Example:
        >>> config = {"dataset": "mr", "transfer_copies": 0, "embedding_init": "random"}
        >>> texts = tfkd.pipeline.texts_to_label(config)
        >>> logits = my_teacher(texts)  # any framework: float [len(texts), num_classes]
        >>> np.savez("teacher.npz", texts=np.array(texts), logits=logits)
        >>> tfkd.run_pipeline({**config, "teacher_logits": "teacher.npz"})
    """
    config = config if isinstance(config, PipelineConfig) else PipelineConfig.from_dict(config or {})
    splits = load(config.dataset)
    if config.transfer_copies is None:
        config = dataclasses.replace(config, transfer_copies=derived_copies(len(splits.train)))
    texts = [text for split in ("train", "validation", "test") for text in splits[split].texts]
    texts += [text for split_texts in _transfer_texts(config, splits).values() for text in split_texts]
    return list(dict.fromkeys(texts))


def _shared_logits_path(teacher, texts):
    """Where the tfkd cache keeps this teacher's logits for `texts`; None for a teacher tfkd did not fine-tune."""
    settings_key = getattr(teacher, "info", {}).get("settings_key")
    if settings_key is None:
        return None
    digest = hashlib.sha256("\n".join(text_keys(texts)).encode()).hexdigest()[:16]
    return cache_dir("teacher_logits") / f"{settings_key}-{digest}.npz"


def _transfer_texts(config, splits):
    """The unlabelled texts the teacher labels for the distill stage, by split name.

    "augmented": `transfer_copies` variants of each training text;
    "other_domain": the `transfer_corpora` sentences that are in none of the
    dataset's splits; "other_domain_augmented": `corpus_copies` variants of
    those (a variant already drawn for the training texts is dropped). Each
    kind of variant is drawn in one round (`TransferSet` draws in several).
    """
    texts, drawn = {}, set()
    seed = config.resolved_teacher_seed  # the teacher's side: runs sharing a teacher share its labelled texts
    if config.transfer_copies:
        texts.update(variants_in_rounds(splits.train.texts, config.transfer_copies, config.transfer_copies,
                                        "augmented", seed, drawn))
    if config.transfer_corpora:
        known = {text for split in LABELLED_SPLITS for text in splits[split].texts}
        texts["other_domain"] = transfer_texts(config.transfer_corpora, exclude=known)
    if config.corpus_copies:
        texts.update(variants_in_rounds(texts["other_domain"], config.corpus_copies, config.corpus_copies,
                                        "other_domain_augmented", seed + 1, drawn))
    return texts


def _distillation_data(run):
    """`run.data`, its training set joined by the teacher-labelled transfer texts when there are any.

    A transfer text's hard label is the teacher's top class.
    """
    logits, extra = run.outputs["teacher logits"]["logits"], run.transfer_ids
    if not extra:
        return run.data
    config, splits = run.config, run.outputs["data"]
    run.log("   " + " + ".join(f"{len(extra[split]):,} {split}" for split in extra)
            + f" teacher-labelled texts join the {len(splits.train.texts):,} training texts")
    train = logits_dataset(np.concatenate([run.ids["train"]] + [extra[split] for split in extra]),
                           np.concatenate([np.asarray(splits.train.labels)]
                                          + [logits[split].argmax(-1) for split in extra]),
                           np.concatenate([logits["train"]] + [logits[split] for split in extra]), config.batch_size,
                           shuffle=True, seed=config.seed, num_classes=splits.num_classes)
    return {**run.data, "train": train}


def _distilled_student(run):
    """The distilled student: loaded when saved, else built and fit on `_distillation_data`."""
    path = run.path("student.keras")
    saved = _reused(run, path, keras.models.load_model)
    if saved is not None:
        return saved
    config, splits, vectorizer = run.config, run.outputs["data"], run.outputs["tokenizer"]
    width = {STUDENT_WIDTHS[config.student]: config.units}
    student = students.build(config.student, vectorizer.vocabulary_length, config.sequence_length,
                             splits.num_classes, embedding_dim=config.embedding_dim, **width)
    if config.embedding_init == "teacher":
        run.log("   embedding table set from the teacher's word vectors")
        students.transfer_embeddings(student, run.outputs["teacher"].word_vectors(vectorizer.vocabulary))
    data = _distillation_data(run)
    learning_rate, patience = config.learning_rate, config.patience
    if config.learning_rate_schedule == "cosine":
        steps = int(tf.data.experimental.cardinality(data["train"]).numpy())
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=config.distill_epochs * steps)
        # A decaying rate runs to its end (its last epochs are the slow, careful ones); the best epoch is still kept.
        patience = config.distill_epochs
    _fit(run, "distill", student, data, config.distill_epochs, learning_rate, patience=patience)
    _save_atomic(student, path)
    return student


def _fit(run, stage, model, data, epochs, learning_rate, callbacks=(), **best_epoch):
    """`train_student` with every-epoch checkpoints: an interrupted fit resumes at its last epoch.

    `best_epoch`: `patience` and `start_from_epoch` of the best-epoch keeping.
    """
    backup = run.path(f"checkpoints/{stage}")
    if backup.is_dir() and any(backup.iterdir()):
        run.log(f"   resuming {stage} from its last checkpoint")
    callbacks = [keras.callbacks.BackupAndRestore(str(backup))] + run.callbacks + list(callbacks)
    train_student(model, data["train"], data["validation"], epochs, learning_rate, run.config.alpha,
                  run.config.temperature, callbacks=callbacks, verbose=keras_verbosity(),
                  distillation_loss=run.config.distillation_loss, monitor=run.config.monitor, **best_epoch)
    for folder in (backup, backup.parent):  # BackupAndRestore empties its folder at the end of a fit
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _pruned_student(run):
    """Pruned while distilling, from the distilled weights; the best epoch at the final sparsity is kept."""
    config, student = run.config, run.outputs["distill"]
    if not config.target_sparsity:
        return student
    path = run.path("student_pruned.keras")
    saved = _reused(run, path, keras.models.load_model)
    if saved is not None:
        return saved
    data = _compression_data(run)
    steps = int(tf.data.experimental.cardinality(data["train"]).numpy())
    wrapped = prune(student, config.target_sparsity, steps_per_epoch=steps, epochs=config.prune_epochs)
    # Epochs before the schedule reaches its target score a denser model: they cannot be the one kept.
    _fit(run, "prune", wrapped, data, config.prune_epochs, config.compress_learning_rate, pruning_callbacks(),
         patience=config.prune_epochs, start_from_epoch=first_epoch_at_target(steps, config.prune_epochs))
    pruned = strip_pruning(wrapped)
    for row in sparsity_report(pruned):
        run.log(f"   {row['layer']:>12}: {row['sparsity']:.1%} of {row['parameters']:,} weights are zero")
    _save_atomic(pruned, path)
    return pruned


def _quantization_aware_student(run):
    """(Pruning-preserving) QAT while distilling: the zeros stay, the int8 ranges are learned; None without QAT."""
    if not run.config.qat_epochs:
        return None
    pruned = run.outputs["prune"]
    # Weights only: TF-MOT's config does not record the sparsity-preserving quantizer, so a saved
    # model would reload with plain QAT quantizers; rebuilding it from the pruned student does not.
    stem = "student_pruned_qat" if run.config.target_sparsity else "student_qat"
    path = run.path(f"{stem}.weights.h5")
    build = functools.partial(quantize_aware, pruned, preserve="sparsity" if run.config.target_sparsity else None)
    saved = _reused(run, path, lambda weights: _with_weights(build(), weights))
    if saved is not None:
        return saved
    quantized = build()
    _fit(run, "qat", quantized, _compression_data(run), run.config.qat_epochs, run.config.compress_learning_rate,
         patience=run.config.qat_epochs)
    _save_atomic(quantized, path, weights_only=True)
    return quantized


def _compression_data(run):
    """What pruning and QAT train on (`compress_data`): the labelled texts alone keep those stages short;
    'distill' gives them the distill stage's data."""
    return _distillation_data(run) if run.config.compress_data == "distill" else run.data


def _with_weights(model, path):
    model.load_weights(path)
    return model


def _reused(run, path, load):
    """`load(path)` when `path` holds a readable artefact; None when it is absent or damaged.

    A damaged one (a truncated file, say) is named in the log and moved
    aside to `<name>.damaged`, never deleted, so its stage computes it again.
    """
    if not path.exists():
        return None
    try:
        return load(path)
    except Exception as error:  # pylint: disable=broad-except  (whatever the reader raises, the file is unusable)
        aside = path.with_name(path.name + ".damaged")
        os.replace(path, aside)
        run.log(f"   {path.name} cannot be read ({type(error).__name__}: {str(error)[:200]}); moved to {aside.name} "
                "and computed again")
        return None


def _save_atomic(model, path, weights_only=False):
    """Saves a Keras model (or its weights) through a temporary file renamed into place: a kill mid-write
    leaves no half-written file to be reused."""
    with atomic_path(path, overwrite=True) as temporary:
        staged = temporary.with_name(temporary.name + "".join(path.suffixes))  # Keras picks the format by suffix
        (model.save_weights if weights_only else model.save)(str(staged))
        staged.replace(temporary)


def _convert_all(run):
    """Every model of `config.model_files()` as a .tflite file in the run directory: {file name: path}."""
    files, records = {}, _file_records(run)
    for spec in run.config.model_files():
        path = files[spec.file] = run.path(spec.file)
        records[spec.file] = _reused(run, path, functools.partial(_check_record, records.get(spec.file)))
        if records[spec.file] is None:
            write_bytes_atomic(path, _converted(run, spec))
            records[spec.file] = _record(path)
        write_bytes_atomic(run.path(RECORDS_FILE), json.dumps(records, indent=2).encode(), overwrite=True)
        run.log(f"   {spec.file}: {path.stat().st_size:,} bytes")
    return files


def _file_records(run):
    path = run.path(RECORDS_FILE)
    return json.loads(path.read_text()) if path.exists() else {}


def _record(path):
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _check_record(record, path):
    """`path`'s record; raises when it is not the one recorded when the file was written (a run from before
    records passes)."""
    found = _record(path)
    if record is not None and found != record:
        raise ValueError(f"{found['bytes']:,} bytes, sha256 differs from the {record['bytes']:,} bytes written")
    return found


def _converted(run, spec):
    config, model = run.config, _models(run)[spec.model]
    if spec.model == "teacher":
        return convert(model.model, "float32", sequence_length=config.teacher_sequence_length)
    calibration = run.ids["train"] if spec.mode in CALIBRATED_MODES else None
    return convert(model, spec.mode, calibration, config.representative_samples)


def _models(run):
    """The run's models by the names `ModelFile.model` uses."""
    return {"teacher": run.outputs["teacher"], "student": run.outputs["distill"], "pruned": run.outputs["prune"],
            "quantized": run.outputs["qat"]}


DEPLOY_AGREEMENT = 0.95  # least top-1 agreement of a deployed file with its Keras model on validation texts


def _deploy(run):
    """`mobile/` (.tflite with metadata) and `micro/` (.tflite, C array, arena) for the final student.

    The final student's file from the convert stage (the last of
    `tflite_files`) is deployed as it is: the deployed model is the benchmarked one.

    A target that fails (an op TFLM lacks, a verification below
    `DEPLOY_AGREEMENT`) is logged and recorded in `deploy.json`; the run goes on.
    """
    config, reports, splits, ids = run.config, {}, run.outputs["data"], run.ids
    final = run.outputs["qat"] or run.outputs["prune"]
    flatbuffer = run.outputs["convert"][config.model_files()[-1].file].read_bytes()
    for target in config.targets:
        folder = run.path(target)
        if (folder / "student.json").exists():
            reports[target] = json.loads((folder / "student.json").read_text())
            continue
        try:
            reports[target] = deploy(final, target, folder, representative_data=ids["train"],
                                     validation_data=ids["validation"], vectorizer=run.outputs["tokenizer"],
                                     labels=list(splits.class_names), mode=config.quantization, name="student",
                                     min_agreement=DEPLOY_AGREEMENT, flatbuffer=flatbuffer)
        except ValueError as error:
            reports[target] = {"target": target, "error": str(error)}
            run.log(f"   {target}: NOT deployed: {error}")
            continue
        run.log(f"   {target}: {', '.join(pathlib.Path(file).name for file in reports[target]['files'])} in {folder}")
    write_bytes_atomic(run.path("deploy.json"), json.dumps(reports, indent=2).encode(), overwrite=True)
    return reports


def _benchmark(run):
    if run.path("report.json").exists():  # a finished run: report what was measured, do not re-time
        return [ModelResult(**row) for row in json.loads(run.path("report.json").read_text())["results"]]
    config, splits, teacher = run.config, run.outputs["data"], run.outputs["teacher"]
    bench = TFLiteBenchmark(num_threads=1, runs=config.benchmark_runs, seed=config.seed)
    inputs = {"student": run.ids["test"]}
    if any(spec.inputs == "teacher" for spec in config.model_files()):
        inputs["teacher"] = teacher.preprocess(splits.test.texts)
    results = []
    for spec in config.model_files():
        parameters, nonzero = _parameter_counts(run, spec)
        results.append(bench.run(spec.row, run.outputs["convert"][spec.file], inputs[spec.inputs],
                                 splits.test.labels, parameters, nonzero))
        run.log(f"   {spec.row}: accuracy {results[-1].accuracy:.2%}, {results[-1].latency_ms_median:.3f} ms")
    return results


def _parameter_counts(run, spec):
    """(parameters, non-zero weights) of the model `spec` converts."""
    if spec.model == "teacher":
        parameters = int(run.outputs["teacher"].model.count_params())
        return parameters, parameters
    # QAT wrappers add quantizer variables; the weights, and their zeros, are the pruned student's.
    model = _models(run)["pruned" if spec.model == "quantized" else spec.model]
    return model.count_params(), _nonzero(model)


def _report(run):
    """report.md and report.json (the finished run's report is shown again, not rewritten)."""
    if run.path("report.json").exists():
        table = run.path("report.md").read_text(encoding="utf-8")
        run.log(table)
        return table
    config, results, splits, teacher = run.config, run.outputs["benchmark"], run.outputs["data"], run.outputs["teacher"]
    header = (f"# tfkd report: {config.dataset}\n\nTest split: {len(splits.test)} examples. Every number below "
              "was measured by running the .tflite files of this run in the LiteRT interpreter "
              "(batch 1, 1 thread, XNNPACK on).")
    baseline = tfidf_baseline(splits)
    details = {"config": config.to_dict(), "data": splits.summary(), "teacher": teacher.info,
               "sparsity": sparsity_report(run.outputs["prune"]), "stage_seconds": run.timings,
               "derived": run.derived, "machine": machine_info(),
               "comparison": compare(results, baseline, teacher_row=config.teacher_converted),
               "baseline": baseline}
    rows = [untimed_row(f"baseline: TF-IDF + logistic regression (C={baseline['C']:g})", baseline["test_accuracy"],
                        baseline["test_macro_f1"], baseline["parameters"], baseline["size_bytes"], " (pickle)")]
    if not config.teacher_converted and "test_accuracy" in teacher.info:
        source = (f"logits file {pathlib.Path(config.teacher_logits).name}" if config.teacher_logits
                  else f"Keras model {pathlib.Path(config.teacher_preset).name}")
        rows.insert(0, untimed_row(f"teacher ({source})", teacher.info["test_accuracy"],
                                   teacher.info["test_macro_f1"], None, None))
    footer = _comparison_text(details["comparison"], results[-1].name)
    table = write_report(run.directory, results, header, details, baseline=results[0].name, footer=footer,
                         extra_rows=rows)
    run.log("\n" + table + "\n\n" + footer)
    return table


@dataclasses.dataclass(frozen=True)
class Stage:
    """One stage of `run_pipeline`: the run order, the `tfkd` verbs and the reuse checks derive from `STAGES`.

    Attributes:
        name: str, shown in the log and accepted by `run_pipeline(until=...)`.
        function: callable taking the run context, returning the stage's
            output (kept as `run.outputs[name]` for the stages after it);
            it reuses what it finds of its files in the run directory.
        writes: callable taking the config, returning the files (relative
            to the run directory) the stage leaves there.
        verb: str or None, the `tfkd` verb that stops after this stage.
        verb_help: str, that verb's help line.
        settings: str, the earliest group of config keys (`SETTING_GROUPS`)
            the stage reads: a changed key of that group or an earlier one
            computes the stage again.
    """

    name: str
    function: object
    writes: object = lambda config: ()
    verb: str = None
    verb_help: str = ""
    settings: str = "data"


def _logits_files(config):
    splits = ["train", "validation"]
    for split, used in (("augmented", config.transfer_copies != 0), ("other_domain", config.transfer_corpora),
                        ("other_domain_augmented", config.corpus_copies)):
        if used:
            splits.append(split)
    return tuple(f"teacher_logits_{split}.npz" for split in splits)


def _deploy_files(config):
    return ("deploy.json",) + tuple(f"{target}/student.json" for target in config.targets)


def _pruned_files(config):
    return ("student_pruned.keras",) if config.target_sparsity else ()


def _qat_files(config):
    stem = "student_pruned_qat" if config.target_sparsity else "student_qat"
    return (f"{stem}.weights.h5",) if config.qat_epochs else ()


STAGES = (
    Stage("data", _data),
    Stage("tokenizer", _vectorizer, lambda config: ("tokenizer/tokenizer.json",), settings="distill"),
    Stage("teacher", _teacher, settings="teacher"),  # cached outside the run directory, keyed by data and settings
    Stage("teacher logits", _teacher_logits, _logits_files, "teacher",
          "load the data, fine-tune (or load) the teacher and cache its logits", settings="distill"),
    Stage("distill", _distilled_student, lambda config: ("student.keras",), "distill",
          "... and distill the student from the cached logits", settings="distill"),
    Stage("prune", _pruned_student, _pruned_files, settings="compress"),
    Stage("qat", _quantization_aware_student, _qat_files, "compress",
          "... and prune and quantization-aware train it while distilling", settings="compress"),
    Stage("convert", _convert_all, lambda config: tuple(spec.file for spec in config.model_files()) + (RECORDS_FILE,),
          settings="convert"),
    Stage("deploy", _deploy, _deploy_files, "convert",
          "... and convert to .tflite and write the mobile/ and micro/ deploy folders", settings="convert"),
    Stage("benchmark", _benchmark, settings="benchmark"),
    Stage("report", _report, lambda config: ("report.md", "report.json"), "run",
          "the whole path: data -> teacher -> distill -> prune/QAT -> convert -> benchmark -> report",
          settings="benchmark"),
)
STAGE_ORDER = tuple(stage.name for stage in STAGES)
# `tfkd <verb>`: the last stage it runs (each verb runs the stages before it, or reuses them).
VERBS = {stage.verb: stage.name for stage in STAGES if stage.verb}


def compare(results, baseline, teacher_row=True):
    """The final student (last row) against the teacher (first row, when `teacher_row`), the float student and
    the TF-IDF baseline: measured ratios and differences, no targets (those live with the benchmarks).

    Returns:
        dict: smaller_than_teacher and faster_than_teacher (ratios of .tflite
        size and median 1-thread latency; None without a teacher row),
        points_below_float_student and points_over_baseline (accuracy, in points).
    """
    float_student, final = results[1 if teacher_row else 0], results[-1]
    teacher = results[0] if teacher_row else None
    return {"smaller_than_teacher": round(teacher.size_bytes / final.size_bytes, 1) if teacher else None,
            "faster_than_teacher": round(teacher.latency_ms_median / final.latency_ms_median, 1) if teacher else None,
            "points_below_float_student": round(100.0 * (float_student.accuracy - final.accuracy), 2),
            "points_over_baseline": round(100.0 * (final.accuracy - baseline["test_accuracy"]), 2)}


def _comparison_text(comparison, final_name):
    if comparison["smaller_than_teacher"] is None:
        against_teacher = ("The teacher is a logits file or a saved Keras model, which the run does not convert: "
                           "there is no teacher .tflite to compare with.")
    else:
        against_teacher = (f"It is {comparison['smaller_than_teacher']}x smaller than the teacher's .tflite and "
                           f"{comparison['faster_than_teacher']}x faster per example (1 thread).")
    below = comparison["points_below_float_student"]
    against_float = f"{below} points below" if below >= 0 else f"{-below} points above"
    return (f"Final student: {final_name}. {against_teacher} It is {against_float} "
            f"the float student, and {comparison['points_over_baseline']:+.2f} points against the "
            "baseline a practitioner tries first (the TF-IDF row: scikit-learn, C chosen on validation, same "
            "splits).")


def _nonzero(model):
    return int(sum(np.count_nonzero(weight) for weight in model.get_weights()))
