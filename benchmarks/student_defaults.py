"""Benchmark: which token ids and student the MR pipeline defaults to, and what distillation adds.

Uses the cached teacher logits of a finished `benchmarks/mr_pipeline.py` run
(benchmarks/runs/mr_seed0/) and trains each combination of token ids (word,
WordPiece) x student (cnn, average_embedding) x training (labels alone,
alpha=1; distilled, alpha=0.1 and T=3), early-stopped on validation accuracy
(patience 2, at most 10 epochs). Reports Keras test accuracy on MR.

    python benchmarks/student_defaults.py [--seeds 0 1 2]
"""

import argparse
import json
import pathlib
import time

import numpy as np

import tfkd
from tfkd._keras import keras
from tfkd.benchmark.machine import machine_info

HERE = pathlib.Path(__file__).resolve().parent
RUN = HERE / "runs" / "mr_seed0"


def train(vectorizer, ids, splits, logits, student, alpha, seed):
    keras.utils.set_random_seed(seed)
    model = tfkd.students.build(student, vectorizer.vocabulary_length, vectorizer.sequence_length, splits.num_classes)
    distiller = tfkd.Distiller(model, alpha=alpha, temperature=3.0)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    data = {split: tfkd.logits_dataset(ids[split], splits[split].labels, logits[split], 32,
                                       shuffle=split == "train", seed=seed) for split in ("train", "validation")}
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=2, mode="max", restore_best_weights=True)
    start = time.perf_counter()
    history = distiller.fit(data["train"], validation_data=data["validation"], epochs=10, callbacks=[stop], verbose=0)
    predictions = model.predict(ids["test"], verbose=0).argmax(-1)
    return {"test_accuracy": float(np.mean(predictions == splits.test.labels)),
            "best_validation_accuracy": float(max(history.history["val_accuracy"])),
            "epochs": len(history.history["loss"]), "parameters": int(model.count_params()),
            "seconds": round(time.perf_counter() - start, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    arguments = parser.parse_args()
    if not (RUN / "teacher_logits_train.npz").exists():
        raise SystemExit(f"{RUN} has no cached teacher logits; run benchmarks/mr_pipeline.py first")
    splits = tfkd.data.load("mr")
    logits = {split: tfkd.distill.teacher_logits.load_teacher_logits(RUN / f"teacher_logits_{split}.npz",
                                                                      splits[split].texts)
              for split in ("train", "validation")}
    rows = []
    for kind in ("word", "wordpiece"):
        vectorizer = tfkd.data.TextVectorizer(kind, 8000, 64).fit(splits.train.texts)
        ids = {split: vectorizer(splits[split].texts) for split in ("train", "validation", "test")}
        for student in ("cnn", "average_embedding"):
            for training, alpha in (("labels alone", 1.0), ("distilled", 0.1)):
                for seed in arguments.seeds:
                    row = {"ids": kind, "vocabulary": vectorizer.vocabulary_length, "student": student,
                           "training": training, "alpha": alpha, "seed": seed,
                           **train(vectorizer, ids, splits, logits, student, alpha, seed)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    teacher = json.loads((RUN / "report.json").read_text())["results"][0]
    document = {"teacher_test_accuracy_tflite": teacher["accuracy"], "temperature": 3.0, "machine": machine_info(),
                "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "student_defaults.json").write_text(json.dumps(document, indent=2))
    lines = ["| ids | student | training | seeds | test accuracy (mean) |", "|---|---|---|---:|---:|"]
    for kind in ("word", "wordpiece"):
        for student in ("cnn", "average_embedding"):
            for training in ("labels alone", "distilled"):
                scores = [r["test_accuracy"] for r in rows
                          if (r["ids"], r["student"], r["training"]) == (kind, student, training)]
                lines.append(f"| {kind} | {student} | {training} | {len(scores)} | {np.mean(scores):.2%} |")
    (HERE / "results" / "student_defaults.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
