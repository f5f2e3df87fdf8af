"""`run_pipeline`: data -> teacher -> cached logits -> distill -> prune -> QAT -> int8 TFLite -> benchmark -> report.

Each stage writes its outputs into the run directory and is skipped when
they are already there, so an interrupted run picks up where it stopped
and a finished one is not recomputed.
"""

import json
import pathlib
import time

import numpy as np

from tfkd import students
from tfkd._keras import keras, set_seed, tf
from tfkd.benchmark import ModelResult, TFLiteBenchmark
from tfkd.benchmark.machine import machine_info
from tfkd.compress import prune, pruning_callbacks, quantize_aware, sparsity_report, strip_pruning
from tfkd.convert import convert
from tfkd.data import TextVectorizer, load
from tfkd.data.cache import write_bytes_atomic
from tfkd.distill import Distiller, cache_teacher_logits, logits_dataset
from tfkd.pipeline.pipeline_config import PipelineConfig
from tfkd.progress import keras_verbosity
from tfkd.report import write_report
from tfkd.teachers import fine_tuned_teacher

CONFIG_FILE = "config.json"
TIMINGS_FILE = "stage_seconds.json"


def run_pipeline(config=None, output_dir="tflite_models/mr_demo", log=print):
    """Runs the whole path and returns the benchmark results.

    Args:
        config: `PipelineConfig`, a dict of its fields, or None for the defaults.
        output_dir: str or Path; the run directory (`.tflite` files, tokenizer,
            Keras students, report.md, report.json, run.log).
        log: callable taking one str, for progress lines. Default `print`.

    Returns:
        list of `ModelResult`: teacher float32, student float32, pruned
        student int8 (post-training quantization) and, unless
        `qat_epochs=0`, the pruned student after pruning-preserving QAT, int8.

    Raises:
        ValueError: `output_dir` holds a run with a different config (the
            differing keys are named); nothing in it is touched.
    """
    config = config if isinstance(config, PipelineConfig) else PipelineConfig.from_dict(config or {})
    run = _Run(pathlib.Path(output_dir), config, log)
    run.claim_directory()
    set_seed(config.seed)
    splits = run.stage("data", lambda: load(config.dataset))
    vectorizer = run.stage("tokenizer", lambda: _vectorizer(run, splits))
    ids = {split: vectorizer(splits[split].texts) for split in ("train", "validation", "test")}
    teacher = run.stage("teacher", lambda: fine_tuned_teacher(
        splits, config.teacher_preset, config.teacher_sequence_length, config.teacher_epochs,
        config.teacher_learning_rate, config.teacher_batch_size, config.seed))
    logits = run.stage("teacher logits", lambda: {
        split: cache_teacher_logits(teacher, splits[split].texts, run.path(f"teacher_logits_{split}.npz"))
        for split in ("train", "validation")})
    data = {split: logits_dataset(ids[split], splits[split].labels, logits[split], config.batch_size,
                                  shuffle=split == "train", seed=config.seed, num_classes=splits.num_classes)
            for split in ("train", "validation")}
    student = run.stage("distill", lambda: _distilled_student(run, vectorizer, splits, data))
    pruned = run.stage("prune", lambda: _pruned_student(run, student, data))
    quantized = run.stage("qat", lambda: _quantization_aware_student(run, pruned, data)) if config.qat_epochs else None
    files = run.stage("convert", lambda: _convert_all(run, teacher, student, pruned, quantized, ids["train"]))
    results = run.stage("benchmark", lambda: _benchmark(run, files, teacher, splits, ids, student, pruned))
    if run.path("report.json").exists():
        run.log(run.path("report.md").read_text(encoding="utf-8"))
    else:
        run.stage("report", lambda: _report(run, results, splits, teacher, pruned))
    return results


class _Run:
    """The run directory: config check, stage timing and the log file."""

    def __init__(self, directory, config, log):
        self.directory, self.config, self._log = directory, config, log

    def path(self, name):
        return self.directory / name

    def claim_directory(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        stored = self.path(CONFIG_FILE)
        if stored.exists():
            previous = json.loads(stored.read_text())
            changed = sorted(key for key in set(previous) | set(self.config.to_dict())
                             if previous.get(key) != self.config.to_dict().get(key))
            if changed:
                raise ValueError(f"{self.directory} holds a run with a different config (keys {changed} differ); "
                                 "choose another output directory or remove that one")
            self.log(f"resuming the run in {self.directory}")
        else:
            write_bytes_atomic(stored, self.config.to_json().encode())

    def stage(self, name, function):
        self.log(f"== {name}")
        start = time.perf_counter()
        result = function()
        seconds = round(time.perf_counter() - start, 1)
        self.log(f"   {name} done in {seconds:.1f} s")
        self._record_time(name, seconds)
        return result

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


def _vectorizer(run, splits):
    folder = run.path("tokenizer")
    if (folder / "tokenizer.json").exists():
        return TextVectorizer.load(folder)
    config = run.config
    vectorizer = TextVectorizer(config.vectorizer, config.vocabulary_size, config.sequence_length)
    vectorizer.fit(splits.train.texts).save(folder)
    run.log(f"   vocabulary of {vectorizer.vocabulary_length} tokens, sequence length {config.sequence_length}")
    return vectorizer


def _distiller(student, config):
    distiller = Distiller(student, teacher=None, alpha=config.alpha, temperature=config.temperature)
    distiller.compile(optimizer=keras.optimizers.Adam(config.learning_rate), metrics=["accuracy"])
    return distiller


def _distilled_student(run, vectorizer, splits, data):
    path = run.path("student.keras")
    if path.exists():
        return keras.models.load_model(path)
    config = run.config
    student = students.build(config.student, vectorizer.vocabulary_length, config.sequence_length, splits.num_classes)
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=2, mode="max", restore_best_weights=True)
    _distiller(student, config).fit(data["train"], validation_data=data["validation"],
                                    epochs=config.distill_epochs, callbacks=[stop], verbose=keras_verbosity())
    student.save(path)
    return student


def _pruned_student(run, student, data):
    path = run.path("student_pruned.keras")
    if path.exists():
        return keras.models.load_model(path)
    config = run.config
    steps = int(tf.data.experimental.cardinality(data["train"]).numpy())
    wrapped = prune(student, config.target_sparsity, steps_per_epoch=steps, epochs=config.prune_epochs)
    _distiller(wrapped, config).fit(data["train"], validation_data=data["validation"], epochs=config.prune_epochs,
                                    callbacks=pruning_callbacks(), verbose=keras_verbosity())
    pruned = strip_pruning(wrapped)
    for row in sparsity_report(pruned):
        run.log(f"   {row['layer']:>12}: {row['sparsity']:.1%} of {row['parameters']:,} weights are zero")
    pruned.save(path)
    return pruned


def _quantization_aware_student(run, pruned, data):
    """Pruning-preserving QAT while distilling: the zeros stay, the int8 ranges are learned."""
    # Weights only: TF-MOT's config does not record the sparsity-preserving quantizer, so a saved
    # model would reload with plain QAT quantizers; rebuilding it from the pruned student does not.
    path = run.path("student_pruned_qat.weights.h5")
    quantized = quantize_aware(pruned, preserve="sparsity")
    if path.exists():
        quantized.load_weights(path)
        return quantized
    _distiller(quantized, run.config).fit(data["train"], validation_data=data["validation"],
                                          epochs=run.config.qat_epochs, verbose=keras_verbosity())
    quantized.save_weights(path)
    return quantized


def _convert_all(run, teacher, student, pruned, quantized, train_ids):
    config = run.config
    jobs = {
        "teacher_float32.tflite": lambda: convert(teacher.model, "float32", sequence_length=config.teacher_sequence_length),
        "student_float32.tflite": lambda: convert(student, "float32"),
        "student_pruned_int8.tflite": lambda: convert(pruned, "int8", train_ids, config.representative_samples),
    }
    if quantized is not None:
        jobs["student_pruned_qat_int8.tflite"] = lambda: convert(quantized, "int8", train_ids,
                                                                 config.representative_samples)
    files = {}
    for name, job in jobs.items():
        files[name] = run.path(name)
        if not files[name].exists():
            write_bytes_atomic(files[name], job())
        run.log(f"   {name}: {files[name].stat().st_size:,} bytes")
    return files


def _benchmark(run, files, teacher, splits, ids, student, pruned):
    if run.path("report.json").exists():  # a finished run: report what was measured, do not re-time
        return [ModelResult(**row) for row in json.loads(run.path("report.json").read_text())["results"]]
    config = run.config
    bench = TFLiteBenchmark(num_threads=1, runs=config.benchmark_runs, seed=config.seed)
    labels = splits.test.labels
    teacher_parameters = int(teacher.model.count_params())
    rows = [
        ("teacher (MiniLM, float32)", "teacher_float32.tflite", teacher.preprocess(splits.test.texts),
         teacher_parameters, teacher_parameters),
        (f"student ({config.student}, float32)", "student_float32.tflite", ids["test"],
         student.count_params(), _nonzero(student)),
        (f"student pruned {config.target_sparsity:.0%} + int8", "student_pruned_int8.tflite", ids["test"],
         pruned.count_params(), _nonzero(pruned)),
    ]
    if "student_pruned_qat_int8.tflite" in files:
        rows.append((f"student pruned {config.target_sparsity:.0%} + QAT int8", "student_pruned_qat_int8.tflite",
                     ids["test"], pruned.count_params(), _nonzero(pruned)))
    results = []
    for name, file, inputs, parameters, nonzero in rows:
        results.append(bench.run(name, files[file], inputs, labels, parameters, nonzero))
        run.log(f"   {name}: accuracy {results[-1].accuracy:.2%}, {results[-1].latency_ms_median:.3f} ms")
    return results


def _report(run, results, splits, teacher, pruned):
    config = run.config
    header = (f"# tfkd report: {config.dataset}\n\nTest split: {len(splits.test)} examples. Every number below "
              "was measured by running the .tflite files of this run in the LiteRT interpreter "
              "(batch 1, 1 thread, XNNPACK on).")
    details = {
        "config": config.to_dict(),
        "data": splits.summary(),
        "teacher": teacher.info,
        "sparsity": sparsity_report(pruned),
        "stage_seconds": run.timings,
        "machine": machine_info(),
        "targets": headline_targets(results),
    }
    footer = _targets_text(details["targets"], results[-1].name)
    table = write_report(run.directory, results, header, details, baseline=results[0].name, footer=footer)
    run.log("\n" + table + "\n\n" + footer)
    return table


TARGETS = {"smaller_than_teacher": 50.0, "faster_than_teacher": 30.0, "int8_gap_points": 0.5}


def headline_targets(results):
    """The final student (last row) against the teacher (first) and the float student (second).

    Returns:
        dict: smaller_than_teacher and faster_than_teacher (ratios of file
        size and median 1-thread latency), int8_gap_points (float student's
        accuracy minus the final one's, in points), and met: each against `TARGETS`.
    """
    teacher, float_student, final = results[0], results[1], results[-1]
    measured = {"smaller_than_teacher": round(teacher.size_bytes / final.size_bytes, 1),
                "faster_than_teacher": round(teacher.latency_ms_median / final.latency_ms_median, 1),
                "int8_gap_points": round(100.0 * (float_student.accuracy - final.accuracy), 2)}
    met = {"smaller_than_teacher": measured["smaller_than_teacher"] >= TARGETS["smaller_than_teacher"],
           "faster_than_teacher": measured["faster_than_teacher"] >= TARGETS["faster_than_teacher"],
           "int8_gap_points": measured["int8_gap_points"] <= TARGETS["int8_gap_points"]}
    return {**measured, "met": met}


def _targets_text(targets, final_name):
    met = {key: "met" if value else "NOT met" for key, value in targets["met"].items()}
    return (f"Headline targets, final student = {final_name}: "
            f"{targets['smaller_than_teacher']}x smaller than the teacher's .tflite (target >= 50x, "
            f"{met['smaller_than_teacher']}); {targets['faster_than_teacher']}x faster per example, 1 thread "
            f"(target >= 30x, {met['faster_than_teacher']}); {targets['int8_gap_points']} points below the float "
            f"student (target <= 0.5, {met['int8_gap_points']}).")


def _nonzero(model):
    return int(sum(np.count_nonzero(weight) for weight in model.get_weights()))
