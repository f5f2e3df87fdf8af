"""Benchmark: a Keras 3 CNN student against the same tf_keras CNN, distilled alike on MR (issue 21).

Both students are `tfkd.students.build("cnn", ..., keras_version=2 or 3)`
(the same layers and initialisers), trained by `tfkd.Distiller` (which
returns a `Keras3Distiller` for the Keras 3 one) on cached teacher logits:
alpha 0.1, T 3, Adam 1e-3, batch 64, at most `--epochs` epochs with early
stopping on validation accuracy (patience 2, best weights kept). Each is
then converted to full int8 by `tfkd.convert` and scored in LiteRT, the
file a phone would load. Beside them, in the same run: the teacher
(`fine_tuned_teacher(splits, epochs=2)`, cached after the first run) and
what a practitioner tries first, TF-IDF (word 1-2 grams, sublinear tf) with
logistic regression, C chosen on the validation split.

    python benchmarks/keras3_students.py [--seeds 0 1 2] [--epochs 10]
"""

import argparse
import pathlib
import statistics
import time

import numpy as np

import tfkd
from tfkd._keras import keras_module, set_seed
from tfkd.benchmark import tfidf_baseline
from tfkd.benchmark.machine import machine_info
from tfkd.teachers import fine_tuned_teacher
from tfkd.benchmark import write_results

HERE = pathlib.Path(__file__).resolve().parent
BATCH_SIZE, SEQUENCE_LENGTH, VOCABULARY_SIZE = 64, 64, 8000
SPLITS = ("train", "validation", "test")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--output", default=str(HERE / "results" / "keras3_students.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    data = prepare(HERE / "runs" / "keras3_students")
    results = {"settings": {**vars(args), "batch_size": BATCH_SIZE, "sequence_length": SEQUENCE_LENGTH,
                            "vocabulary": f"word, {VOCABULARY_SIZE}", "alpha": 0.1, "temperature": 3.0,
                            "learning_rate": 1e-3, "student": "cnn"},
               "machine": machine_info(), "teacher": data["teacher"], "baseline": tfidf_baseline(data["splits"]),
               "runs": []}
    for seed in args.seeds:
        for keras_version in (2, 3):
            run = train(data, keras_version, seed, args.epochs)
            results["runs"].append(run)
            print(f"seed {seed} Keras {keras_version}: Keras {run['test_accuracy']:.2%}, int8 LiteRT "
                  f"{run['int8_test_accuracy']:.2%} ({run['epochs']} epochs, {run['seconds']:.0f} s)", flush=True)
    results["summary"] = summarise(results["runs"])
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def prepare(work):
    """MR token ids, labels and teacher logits of every split, and the texts for the baseline."""
    work.mkdir(parents=True, exist_ok=True)
    splits = tfkd.data.load("mr")
    vectorizer = tfkd.data.TextVectorizer("word", VOCABULARY_SIZE, SEQUENCE_LENGTH).fit(splits.train.texts)
    teacher = fine_tuned_teacher(splits, epochs=2)
    texts = {split: list(splits[split].texts) for split in SPLITS}
    logits = {split: tfkd.cache_teacher_logits(teacher, texts[split], work / f"logits_{split}_{len(texts[split])}.npz")
              for split in SPLITS}
    labels = {split: np.asarray(splits[split].labels) for split in SPLITS}
    teacher_accuracy = float(np.mean(logits["test"].argmax(-1) == labels["test"]))
    return {"splits": splits, "texts": texts, "labels": labels, "logits": logits,
            "vocabulary": vectorizer.vocabulary_length,
            "ids": {split: vectorizer(texts[split]) for split in SPLITS},
            "teacher": {**teacher.info, "test_accuracy": teacher_accuracy}}


def train(data, keras_version, seed, epochs):
    keras = keras_module(keras_version)
    set_seed(seed)
    student = tfkd.students.build("cnn", data["vocabulary"], SEQUENCE_LENGTH, 2, keras_version=keras_version)
    distiller = tfkd.Distiller(student, None, alpha=0.1, temperature=3.0)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=2, mode="max", restore_best_weights=True)
    start = time.perf_counter()
    history = distiller.fit(dataset(data, "train", shuffle_seed=seed), validation_data=dataset(data, "validation"),
                            epochs=epochs, callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - start
    test_ids, test_labels = data["ids"]["test"], data["labels"]["test"]
    keras_predictions = np.asarray(student.predict(test_ids, batch_size=256, verbose=0)).argmax(-1)
    flatbuffer = tfkd.convert(student, "int8", representative_data=data["ids"]["train"], num_samples=200)
    int8_predictions = tfkd.TFLiteModel(flatbuffer).predict(test_ids).argmax(-1)
    return {"keras_version": keras_version, "distiller": type(distiller).__name__, "seed": seed,
            "test_accuracy": float(np.mean(keras_predictions == test_labels)),
            "int8_test_accuracy": float(np.mean(int8_predictions == test_labels)),
            "int8_bytes": len(flatbuffer), "best_validation_accuracy": float(max(history.history["val_accuracy"])),
            "epochs": len(history.history["loss"]), "seconds": round(seconds, 1),
            "parameters": int(student.count_params())}


def dataset(data, split, shuffle_seed=None):
    return tfkd.logits_dataset(data["ids"][split], data["labels"][split], data["logits"][split], BATCH_SIZE,
                               shuffle=shuffle_seed is not None, seed=shuffle_seed)


def summarise(runs):
    summary = {}
    for keras_version in (2, 3):
        chosen = [run for run in runs if run["keras_version"] == keras_version]
        summary[f"keras{keras_version}"] = {
            key: {"mean": statistics.mean(run[key] for run in chosen),
                  "std": statistics.stdev(run[key] for run in chosen) if len(chosen) > 1 else 0.0}
            for key in ("test_accuracy", "int8_test_accuracy", "epochs", "seconds")}
    return summary


def markdown(results):
    teacher, baseline, summary = results["teacher"], results["baseline"], results["summary"]
    seeds = results["settings"]["seeds"]
    lines = [f"MR test accuracy, CNN student distilled (alpha 0.1, T 3) on cached teacher logits, seeds {seeds} "
             f"(mean ± std); {results['machine'].get('cpu', 'CPU')}, {results['seconds']:.0f} s in all.", "",
             "| model | parameters | Keras (float) | int8 LiteRT (deployed file) | epochs |", "|---|---:|---:|---:|---:|",
             f"| teacher (MiniLM, float32) | {teacher['parameters']:,} | {teacher['test_accuracy']:.2%} | | |",
             f"| {baseline['model']}, C={baseline['C']:g} | {baseline['parameters']:,} | "
             f"{baseline['test_accuracy']:.2%} | | |"]
    for keras_version in (2, 3):
        rows = [run for run in results["runs"] if run["keras_version"] == keras_version]
        stats = summary[f"keras{keras_version}"]
        name = "tf_keras (`Distiller`)" if keras_version == 2 else "Keras 3 (`Keras3Distiller`)"
        lines.append(f"| CNN, {name} | {rows[0]['parameters']:,} | {_mean(stats['test_accuracy'])} | "
                     f"{_mean(stats['int8_test_accuracy'])} ({rows[0]['int8_bytes'] / 1024:.0f} KB) | "
                     f"{stats['epochs']['mean']:.1f} |")
    gap = summary["keras3"]["test_accuracy"]["mean"] - summary["keras2"]["test_accuracy"]["mean"]
    lines += ["", f"Keras 3 minus tf_keras, mean Keras test accuracy: {gap * 100:+.2f} points (one MR test sentence "
              "is 0.10 point). The two frameworks draw initial weights and dropout masks from different random "
              "streams, so one seed gives two different students; the data order is the same. Per seed:", ""]
    for run in results["runs"]:
        lines.append(f"- seed {run['seed']}, Keras {run['keras_version']}: {run['test_accuracy']:.2%} "
                     f"(int8 {run['int8_test_accuracy']:.2%}, {run['epochs']} epochs)")
    return "\n".join(lines)


def _mean(stats):
    return f"{stats['mean']:.2%} ± {stats['std']:.2%}"


if __name__ == "__main__":
    main()
