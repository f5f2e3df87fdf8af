"""Benchmark: every compression method on the distilled CNN and BiLSTM students, on MR (issue 4).

Each student is first distilled as `distill_students.py`'s
`distilled+aug+emb` (teacher logits, 3 augmented variants per training
sentence in `tfkd.distill.TransferSet`, embeddings seeded from the teacher,
`tfkd.distill.train_student`; seed 0): that is the dense row. Every method
then starts from a copy of it and fine-tunes with `train_student` on the
same cached teacher logits (alpha=0.1, T=3, Adam 3e-4, `--epochs` epochs
over the augmented transfer set, twice that for pruning: 70% of it ramps
the sparsity up and the rest recovers), keeping its best epoch by
validation accuracy (for pruning, among the epochs at full sparsity), and
is measured on MR's 1,015 test sentences. (The committed results were
measured before the best epoch was kept: each method's last epoch.)

- pruning to 50 / 75 / 90% sparsity (polynomial decay, prune while distilling);
- post-training int8 (PTQ) of the dense student vs QAT int8 (`quantize_aware`);
- pruning-preserving QAT of the 75%-sparse student (PQAT) and
  cluster-preserving QAT of a 16-cluster student (CQAT);
- low-rank factorisation (90% and 70% of the singular-value energy);
- neuron pruning (50% and 75% of the hidden units / filters);
- ternary and binary weights (straight-through estimator).

Every row: Keras accuracy, float32 and int8 .tflite accuracy (LiteRT),
parameters and non-zero parameters, file bytes and gzip bytes. The sparsity
sweep (accuracy against the share of all weights that are zero, biases
included, which pruning leaves dense) is drawn to
`compress_students_sparsity.png`.

    python benchmarks/compress_students.py [--students cnn bilstm] [--quick]
"""

import argparse
import json
import pathlib
import time
import warnings

import numpy as np

import tfkd
from tfkd._keras import keras, set_seed
from tfkd.benchmark.machine import machine_info
from tfkd.convert import strip_tensor_names
from tfkd.compress import (cluster, compression_report, low_bit_weights, low_rank, prune_neurons, pruning_callbacks,
                           quantize_aware, strip_clustering, strip_low_bit, strip_pruning)
from tfkd.compress.pruning import first_epoch_at_target
from tfkd.data.cache import write_bytes_atomic
from tfkd.distill import TransferSet, train_student
from tfkd.report import plot_sparsity_sweep
from tfkd.teachers import fine_tuned_teacher

HERE = pathlib.Path(__file__).resolve().parent
BATCH_SIZE, SEQUENCE_LENGTH, VOCABULARY_SIZE, BASE_EPOCHS = 64, 64, 8000, 4

TARGETS = {"pruned_75_within_points": 1.0, "qat_within_points": 0.5, "pruned_int8_gzip_smaller": 10.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", nargs="+", default=["cnn", "bilstm"])
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs over the augmented transfer set")
    parser.add_argument("--quick", action="store_true", help="the CNN, 1 epoch everywhere: a smoke run")
    parser.add_argument("--output", default=str(HERE / "results" / "compress_students.json"))
    parser.add_argument("--methods", nargs="+", default=None,
                        help="only these methods (e.g. to finish a stopped run with --append)")
    parser.add_argument("--append", action="store_true",
                        help="add the rows to the existing results file instead of starting a new one, replacing "
                             "rows of the same student and method (the dense student is retrained with the same "
                             "seed; its row is named dense_retrained)")
    parser.add_argument("--summarise-only", action="store_true",
                        help="recompute the summary and Markdown of an existing results file (e.g. a stopped run)")
    args = parser.parse_args()
    if args.summarise_only:
        results = json.loads(pathlib.Path(args.output).read_text())
        results["summary"] = summarise(results["rows"])
        write(args.output, results)
        print(markdown(results))
        return
    if args.quick:
        args.students, args.epochs = ["cnn"], 1
    started = time.perf_counter()
    splits = tfkd.data.load("mr")
    teacher = fine_tuned_teacher(splits, epochs=2)
    # distill_students.py's transfer set: its cached logits are reused
    transfer = TransferSet.build(splits, teacher, HERE / "runs" / "distill_students", copies=1 if args.quick else 3)
    vectorizer = tfkd.data.TextVectorizer("word", VOCABULARY_SIZE, SEQUENCE_LENGTH).fit(splits.train.texts)
    inputs = {"transfer": transfer, "vectorizer": vectorizer, "ids": {split: vectorizer(transfer.texts[split])
                                                                       for split in ("train", "test")}}
    previous = json.loads(pathlib.Path(args.output).read_text()) if args.append else None
    results = previous or {"settings": {**vars(args), "seed": 0, "base_recipe": "distilled+aug+emb", "alpha": 0.1,
                            "temperature": 3.0, "fine_tune_learning_rate": 3e-4, "targets": TARGETS},
               "machine": machine_info(), "teacher": {**teacher.info, "test_accuracy": transfer.teacher_accuracy()},
               "rows": []}
    for architecture in args.students:
        set_seed(0)
        start = time.perf_counter()
        dense = tfkd.students.build(architecture, vectorizer.vocabulary_length, SEQUENCE_LENGTH, 2)
        tfkd.students.transfer_embeddings(dense, teacher.word_vectors(vectorizer.vocabulary))
        fit(dense, inputs, 1 if args.quick else BASE_EPOCHS, 1e-3, patience=2)
        # an appended run retrains the dense student (same seed and code) and records it under its own name
        _put(results["rows"], measure(architecture, "dense" if previous is None else "dense_retrained", dense,
                                      inputs, time.perf_counter() - start))
        for method, compress in methods(architecture, inputs, args.epochs).items():
            if args.methods and method not in args.methods:
                continue
            set_seed(0)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # layers left dense/float are named in the docs
                model = compress(_copy(dense))
            _put(results["rows"], measure(architecture, method, model, inputs, time.perf_counter() - start))
            write(args.output, results)
    results["summary"] = summarise(results["rows"])
    results["seconds"] = round(time.perf_counter() - started, 1)
    write(args.output, results)
    print(markdown(results))


def _put(rows, row):
    """Adds `row`, in place of an earlier row of the same student and method (an --append rerun)."""
    same = [i for i, old in enumerate(rows) if (old["student"], old["method"]) == (row["student"], row["method"])]
    if same:
        rows[same[0]] = row
    else:
        rows.append(row)


def fit(model, inputs, epochs, learning_rate, **keep):
    """`train_student` on the transfer set (seed 0), the best validation epoch kept."""
    transfer, vectorizer = inputs["transfer"], inputs["vectorizer"]
    train_student(model, transfer.dataset(vectorizer, transfer.transfer_splits, BATCH_SIZE, shuffle_seed=0),
                  transfer.dataset(vectorizer, ["validation"], BATCH_SIZE), epochs, learning_rate,
                  **{"patience": epochs, **keep})
    return model


def methods(architecture, inputs, epochs):
    transfer = inputs["transfer"]
    steps = int(np.ceil(sum(len(transfer.texts[split]) for split in transfer.transfer_splits) / BATCH_SIZE))

    def fine_tuned(model):
        return fit(model, inputs, epochs, 3e-4)

    def pruned(sparsity):
        # epochs before the schedule reaches its sparsity score a denser model: they cannot be the one kept
        return lambda model: strip_pruning(fit(
            tfkd.prune(model, sparsity, steps_per_epoch=steps, epochs=2 * epochs), inputs, 2 * epochs, 3e-4,
            callbacks=pruning_callbacks(), start_from_epoch=first_epoch_at_target(steps, 2 * epochs)))

    def pqat(model):
        return fine_tuned(quantize_aware(pruned(0.75)(model), preserve="sparsity"))

    def cqat(model):
        clustered = strip_clustering(fine_tuned(cluster(model, 16)))
        return fine_tuned(quantize_aware(clustered, preserve="clusters"))

    return {
        "pruned_50": pruned(0.5), "pruned_75": pruned(0.75), "pruned_90": pruned(0.9),
        "qat_int8": lambda model: fine_tuned(quantize_aware(model)),
        "pqat_75_int8": pqat, "cqat_16_int8": cqat,
        "low_rank_0.9": lambda model: fine_tuned(low_rank(model, energy=0.9)[0]),
        "low_rank_0.7": lambda model: fine_tuned(low_rank(model, energy=0.7)[0]),
        "neurons_50": lambda model: fine_tuned(prune_neurons(model, 0.5)[0]),
        "neurons_75": lambda model: fine_tuned(prune_neurons(model, 0.75)[0]),
        "ternary": lambda model: strip_low_bit(fine_tuned(low_bit_weights(model, "ternary"))),
        "binary": lambda model: strip_low_bit(fine_tuned(low_bit_weights(model, "binary"))),
    }


def _copy(model):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def measure(architecture, method, model, inputs, seconds):
    test, labels = inputs["ids"]["test"], inputs["transfer"].labels["test"]
    files = {"float32": tfkd.convert(model, "float32"), "int8": tfkd.convert(model, "int8", inputs["ids"]["train"],
                                                                             num_samples=500)}
    accuracy = {"keras": float(np.mean(model.predict(test, batch_size=256, verbose=0).argmax(-1) == labels))}
    for name, content in files.items():
        accuracy[name] = float(np.mean(tfkd.TFLiteModel(content).predict(test).argmax(-1) == labels))
    # Same graph and weights without intermediate tensor names: outputs identical (tests/convert), so not re-run.
    files["int8_stripped"] = strip_tensor_names(files["int8"])
    row = {"student": architecture, "method": method, "seconds": round(seconds, 1),
           **{f"{name}_accuracy": value for name, value in accuracy.items()},
           **compression_report(model, files)}
    print(f"{architecture:>7} {method:>14}: keras {accuracy['keras']:.2%}, int8 {accuracy['int8']:.2%}, "
          f"nonzero {row['nonzero']:,}/{row['parameters']:,}, int8 gzip {row['files']['int8']['gzip_bytes']:,} B",
          flush=True)
    return row


def summarise(rows):
    """The issue's three targets, per student, from the rows.

    The gzip target ("pruned + int8 >= 10x smaller than the float .tflite") is
    read at 75% sparsity, the first target's level, and at 90%; at 75% also
    with the int8 file's tensor names stripped (a deploy step; the float
    baseline keeps its names, as a user's float file would).
    """
    summary = {}
    for student in sorted({row["student"] for row in rows}):
        by_method = {row["method"]: row for row in rows if row["student"] == student}
        if "dense" not in by_method:
            continue
        dense, qat = by_method["dense"], by_method.get("qat_int8")
        float_bytes = dense["files"]["float32"]["bytes"]
        entry = {}
        if "pruned_75" in by_method:
            pruned = by_method["pruned_75"]
            entry["pruned_75_drop_points"] = round(100 * (dense["keras_accuracy"] - pruned["keras_accuracy"]), 2)
        for sparsity, file in (("75", "int8"), ("75", "int8_stripped"), ("90", "int8")):
            files = by_method.get(f"pruned_{sparsity}", {}).get("files", {})
            if file in files:  # rows measured before tensor-name stripping existed lack "int8_stripped"
                entry[f"pruned_{sparsity}_{file}_gzip_smaller"] = round(float_bytes / files[file]["gzip_bytes"], 1)
        if qat:
            entry["qat_int8_drop_points"] = round(100 * (dense["float32_accuracy"] - qat["int8_accuracy"]), 2)
            entry["ptq_int8_drop_points"] = round(100 * (dense["float32_accuracy"] - dense["int8_accuracy"]), 2)
        entry["met"] = {
            "pruned_75_within_1_point": entry.get("pruned_75_drop_points", 99) <= TARGETS["pruned_75_within_points"],
            "qat_within_0.5_point": entry.get("qat_int8_drop_points", 99) <= TARGETS["qat_within_points"]}
        for key, value in list(entry.items()):
            if key.endswith("_gzip_smaller"):
                entry["met"][key.replace("_smaller", "_10x")] = value >= TARGETS["pruned_int8_gzip_smaller"]
        summary[student] = entry
    return summary


def markdown(results):
    lines = [f"Teacher: {results['teacher']['test_accuracy']:.2%} on MR test. Seed 0; fine-tuning "
             f"{results['settings']['epochs']} epochs per method "
             f"({2 * results['settings']['epochs']} for pruning).", "",
             "| student | method | Keras | .tflite float32 | .tflite int8 | parameters | non-zero | "
             "float32 bytes | float32 gzip | int8 bytes | int8 gzip | int8 names stripped: bytes / gzip | seconds |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in results["rows"]:
        files = row["files"]
        lines.append(f"| {row['student']} | {row['method']} | {row['keras_accuracy']:.2%} | "
                     f"{row['float32_accuracy']:.2%} | {row['int8_accuracy']:.2%} | {row['parameters']:,} | "
                     f"{row['nonzero']:,} | {files['float32']['bytes']:,} | {files['float32']['gzip_bytes']:,} | "
                     f"{files['int8']['bytes']:,} | {files['int8']['gzip_bytes']:,} | {_stripped(files)} | "
                     f"{row['seconds']} |")
    for student, entry in results.get("summary", {}).items():
        lines += ["", f"{student}: " + ", ".join(f"{key} = {value}" for key, value in entry.items() if key != "met"),
                  f"{student} targets met: " + ", ".join(f"{key}: {'yes' if value else 'no'}"
                                                         for key, value in entry["met"].items())]
    return "\n".join(lines)


def _stripped(files):
    stripped = files.get("int8_stripped")
    return f"{stripped['bytes']:,} / {stripped['gzip_bytes']:,}" if stripped else "not measured"


def write(path, results):
    path = pathlib.Path(path)
    write_bytes_atomic(path, json.dumps(results, indent=2).encode(), overwrite=True)
    write_bytes_atomic(path.with_suffix(".md"), (markdown(results) + "\n").encode(), overwrite=True)
    sweep = {}  # student -> (share of all weights that are zero, Keras accuracy), dense and pruned rows
    for row in results["rows"]:
        if row["method"] == "dense" or row["method"].startswith("pruned_"):
            sweep.setdefault(row["student"], []).append((1.0 - row["nonzero"] / row["parameters"],
                                                         row["keras_accuracy"]))
    if sweep:
        plot_sparsity_sweep(sweep, path.with_name(path.stem + "_sparsity.png"))


if __name__ == "__main__":
    main()
