"""Benchmark: the MediaPipe-reproducible tokenizer and the float-output int8 file against today's, on MR (issue 20).

For each word tokenizer, `TextVectorizer("word")` (today's mobile default:
lowercased words and punctuation tokens) and `TextVectorizer("mediapipe")`
(the ids MediaPipe Tasks' TextClassifier computes in the app), and each
seed: the zoo CNN distilled by `tfkd.Distiller` on cached teacher logits
(alpha 0.1, T 3, Adam 1e-3, batch 64, early stopping on validation accuracy,
patience 2), then converted to full int8 twice, with today's int8 output and
with `output_type="float32"` (int8 inside, float scores out, the output
MediaPipe accepts). Each file is scored and timed by `TFLiteBenchmark`
(LiteRT, 1 thread, 200 timed runs after 20 warm-up). Beside them, in the
same run: the teacher (`fine_tuned_teacher(splits, epochs=2)`, cached) and
TF-IDF + logistic regression (C chosen on validation).

    python benchmarks/mediapipe_tokenizer.py [--seeds 0 1 2]
"""

import argparse
import pathlib
import statistics
import time

import numpy as np

import tfkd
from tfkd._keras import keras, set_seed
from tfkd.benchmark import tfidf_baseline
from tfkd.benchmark.machine import machine_info
from tfkd.teachers import fine_tuned_teacher
from tfkd.benchmark import write_results

HERE = pathlib.Path(__file__).resolve().parent
BATCH_SIZE, SEQUENCE_LENGTH, VOCABULARY_SIZE = 64, 64, 8000
SPLITS = ("train", "validation", "test")
KINDS = ("word", "mediapipe")
OUTPUTS = ("int8", "float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--output", default=str(HERE / "results" / "mediapipe_tokenizer.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    splits = tfkd.data.load("mr")
    teacher = fine_tuned_teacher(splits, epochs=2)
    work = HERE / "runs" / "mediapipe_tokenizer"
    work.mkdir(parents=True, exist_ok=True)
    texts = {split: list(splits[split].texts) for split in SPLITS}
    logits = {split: tfkd.cache_teacher_logits(teacher, texts[split], work / f"logits_{split}_{len(texts[split])}.npz")
              for split in SPLITS}
    labels = {split: np.asarray(splits[split].labels) for split in SPLITS}
    results = {"settings": {**vars(args), "batch_size": BATCH_SIZE, "sequence_length": SEQUENCE_LENGTH,
                            "vocabulary_size": VOCABULARY_SIZE, "alpha": 0.1, "temperature": 3.0, "student": "cnn",
                            "latency": "TFLiteBenchmark(num_threads=1, warmup=20, runs=200), XNNPACK on"},
               "machine": machine_info(),
               "teacher": {**teacher.info, "test_accuracy": float(np.mean(logits["test"].argmax(-1) == labels["test"]))},
               "baseline": tfidf_baseline(splits), "runs": []}
    for kind in KINDS:
        vectorizer = tfkd.data.TextVectorizer(kind, VOCABULARY_SIZE, SEQUENCE_LENGTH).fit(texts["train"])
        ids = {split: vectorizer(texts[split]) for split in SPLITS}
        for seed in args.seeds:
            run = train(kind, vectorizer.vocabulary_length, ids, labels, logits, seed, args.epochs)
            results["runs"].append(run)
            print(f"{kind:>9} seed {seed}: " + ", ".join(
                f"{output} {run[output]['accuracy']:.2%} {run[output]['size_bytes']:,} B "
                f"{run[output]['latency_ms_median']:.3f} ms" for output in OUTPUTS), flush=True)
    results["summary"] = summarise(results["runs"])
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def train(kind, vocabulary, ids, labels, logits, seed, epochs):
    set_seed(seed)
    student = tfkd.students.build("cnn", vocabulary, SEQUENCE_LENGTH, 2)
    distiller = tfkd.Distiller(student, None, alpha=0.1, temperature=3.0)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=2, mode="max", restore_best_weights=True)
    data = {split: tfkd.logits_dataset(ids[split], labels[split], logits[split], BATCH_SIZE,
                                       shuffle=split == "train", seed=seed) for split in ("train", "validation")}
    history = distiller.fit(data["train"], validation_data=data["validation"], epochs=epochs, callbacks=[stop],
                            verbose=0)
    run = {"tokenizer": kind, "seed": seed, "epochs": len(history.history["loss"]),
           "keras_test_accuracy": float(np.mean(student.predict(ids["test"], batch_size=256, verbose=0).argmax(-1)
                                                == labels["test"]))}
    benchmark = tfkd.TFLiteBenchmark(num_threads=1, warmup=20, runs=200)
    for output in OUTPUTS:
        flatbuffer = tfkd.convert(student, "int8", ids["train"], output_type=output)
        result = benchmark.run(f"{kind} {output}", flatbuffer, ids["test"], labels["test"])
        run[output] = {"accuracy": result.accuracy, "size_bytes": result.size_bytes,
                       "latency_ms_median": result.latency_ms_median, "latency_ms_p90": result.latency_ms_p90}
    return run


def summarise(runs):
    summary = {}
    for kind in KINDS:
        chosen = [run for run in runs if run["tokenizer"] == kind]
        summary[kind] = {f"{output}_{key}": _stats([run[output][key] for run in chosen])
                         for output in OUTPUTS for key in ("accuracy", "size_bytes", "latency_ms_median")}
        summary[kind]["keras_test_accuracy"] = _stats([run["keras_test_accuracy"] for run in chosen])
    return summary


def _stats(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def markdown(results):
    summary, seeds = results["summary"], results["settings"]["seeds"]
    lines = [f"MR test split, CNN student distilled on cached teacher logits, seeds {seeds} (mean ± std); int8 files "
             f"in LiteRT, 1 thread; {results['machine'].get('cpu', 'CPU')}, {results['seconds']:.0f} s in all.", "",
             "| model | tokenizer | output | accuracy | .tflite | latency median (ms) |", "|---|---|---|---:|---:|---:|",
             f"| teacher (MiniLM, float32) | WordPiece | float32 | {results['teacher']['test_accuracy']:.2%} | | |",
             f"| {results['baseline']['model']}, C={results['baseline']['C']:g} | scikit-learn | | "
             f"{results['baseline']['test_accuracy']:.2%} | | |"]
    for kind in KINDS:
        for output in OUTPUTS:
            stats = summary[kind]
            lines.append(f"| CNN int8 | {kind} | {output} | {_percent(stats[f'{output}_accuracy'])} | "
                         f"{stats[f'{output}_size_bytes']['mean'] / 1024:.1f} KB | "
                         f"{stats[f'{output}_latency_ms_median']['mean']:.3f} |")
    gap = summary["mediapipe"]["float32_accuracy"]["mean"] - summary["word"]["int8_accuracy"]["mean"]
    lines += ["", f"MediaPipe tokenizer + float output (the file MediaPipe loads) minus today's word tokenizer + int8 "
              f"output: {gap * 100:+.2f} points of accuracy (one MR test sentence is 0.10 point)."]
    return "\n".join(lines)


def _percent(stats):
    return f"{stats['mean']:.2%} ± {stats['std']:.2%}"


if __name__ == "__main__":
    main()
