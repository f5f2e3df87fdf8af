"""Benchmark: tiny students distilled from MiniLM's sentence embeddings, for semantic search on device (issue 8).

The teacher is the pretrained all-MiniLM-L6-v2 (bundled, not fine-tuned):
its mean-pooled sentence embeddings (384 dimensions, 64 BERT tokens) of
MR's 8,516 training sentences are the targets; the validation split
stops training. Each student (word ids, 8,000 words, 64 tokens) outputs
384 numbers and is trained with `tfkd.distill.distill_embeddings`
(cosine loss, Adam 1e-3, batch 64, at most 30 epochs, early stopping on
validation loss, patience 3, seed 0); "+emb" rows start the embedding table
from the teacher's word vectors (`transfer_embeddings`). Measured on MR's
1,015 held-out test sentences, for the Keras float student and its int8
.tflite (LiteRT): Spearman correlation of all 514,605 pairwise cosine
similarities with the teacher's, and recall@1/@5 of each sentence's
nearest neighbour under the teacher. Sizes are .tflite bytes; latency is
the median of 200 single-sentence runs (1 thread, XNNPACK, after 20
warm-up runs); the teacher's is its float32 .tflite (the fine-tunable
classifier: the backbone plus a 770-weight head).

    python benchmarks/embedding_students.py [--quick]
"""

import argparse
import json
import pathlib
import time

import numpy as np

import tfkd
from tfkd._keras import keras
from tfkd.benchmark import embedding_agreement
from tfkd.benchmark.machine import machine_info
from tfkd.data.cache import write_bytes_atomic
from tfkd.distill import distill_embeddings
from tfkd.students import transfer_embeddings
from tfkd.teachers import TextClassifierTeacher

HERE = pathlib.Path(__file__).resolve().parent
RECIPES = {"average_embedding": ("average_embedding", False), "average_embedding+emb": ("average_embedding", True),
           "cnn": ("cnn", False), "cnn+emb": ("cnn", True)}
SEQUENCE_LENGTH, VOCABULARY_SIZE, SEED = 64, 8000, 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--quick", action="store_true", help="500 sentences, 2 epochs, 20 runs: a smoke run")
    parser.add_argument("--output", default=str(HERE / "results" / "embedding_students.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    splits = tfkd.data.load("mr")
    texts = {split: list(splits[split].texts)[:500 if args.quick else None] for split in ("train", "validation", "test")}
    teacher = TextClassifierTeacher.from_preset("minilm", sequence_length=SEQUENCE_LENGTH)
    targets = _teacher_embeddings(teacher, texts, args.quick)
    vectorizer = tfkd.data.TextVectorizer("word", VOCABULARY_SIZE, SEQUENCE_LENGTH).fit(texts["train"])
    ids = {split: vectorizer(texts[split]) for split in texts}
    runs = 20 if args.quick else 200
    bench = tfkd.TFLiteBenchmark(num_threads=1, runs=runs, seed=SEED)
    teacher_file = tfkd.convert(teacher.model, "float32", sequence_length=SEQUENCE_LENGTH)
    rows = [{"model": "teacher all-MiniLM-L6-v2 (float32)", "parameters": int(teacher.model.backbone.count_params()),
             "tflite_bytes": len(teacher_file), "spearman": 1.0, "recall@1": 1.0, "recall@5": 1.0,
             **bench.latency(teacher_file, teacher.preprocess(texts["test"][:runs]))}]
    word_vectors = teacher.word_vectors(vectorizer.vocabulary) if any(RECIPES[r][1] for r in args.recipes) else None
    for recipe in args.recipes:
        rows += _student_rows(recipe, ids, targets, word_vectors, vectorizer, bench, 2 if args.quick else 30)
        print(_markdown(rows))
    document = {"settings": {"recipes": args.recipes, "seed": SEED, "quick": args.quick, "teacher": "minilm (pretrained)",
                             "sequence_length": SEQUENCE_LENGTH, "vocabulary_size": VOCABULARY_SIZE,
                             "test_sentences": len(texts["test"]), "timed_runs": runs},
                "machine": machine_info(), "seconds": round(time.perf_counter() - started, 1), "rows": rows}
    output = pathlib.Path(args.output)
    write_bytes_atomic(output, json.dumps(document, indent=2).encode(), overwrite=True)
    write_bytes_atomic(output.with_suffix(".md"), (_markdown(rows) + "\n").encode(), overwrite=True)
    print(f"wrote {output} and {output.with_suffix('.md')}")


def _teacher_embeddings(teacher, texts, quick):
    cache = HERE / "runs" / "embedding_students" / f"teacher{'_quick' if quick else ''}.npz"
    if cache.exists():
        return dict(np.load(cache))
    embeddings = {split: teacher.sentence_embeddings(texts[split]) for split in texts}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **embeddings)
    return embeddings


def _student_rows(recipe, ids, targets, word_vectors, vectorizer, bench, epochs):
    architecture, seeded = RECIPES[recipe]
    keras.utils.set_random_seed(SEED)
    student = tfkd.students.build(architecture, vectorizer.vocabulary_length, SEQUENCE_LENGTH, num_classes=384)
    if seeded:
        transfer_embeddings(student, word_vectors)
    stop = keras.callbacks.EarlyStopping("val_loss", patience=3, restore_best_weights=True)
    start = time.perf_counter()
    history = distill_embeddings(student, ids["train"], targets["train"], (ids["validation"], targets["validation"]),
                                 epochs=epochs, callbacks=[stop], verbose=2, seed=SEED)
    fit_seconds = round(time.perf_counter() - start, 1)
    rows = []
    for mode in ("float32", "int8"):
        flatbuffer = tfkd.convert(student, mode, ids["train"])
        embeddings = tfkd.TFLiteModel(flatbuffer).predict(ids["test"])
        agreement = embedding_agreement(embeddings, targets["test"])
        rows.append({"model": f"{recipe} ({mode})", "parameters": int(student.count_params()),
                     "tflite_bytes": len(flatbuffer), "spearman": agreement["spearman"],
                     "recall@1": agreement["recall@1"], "recall@5": agreement["recall@5"],
                     "epochs": len(history.history["loss"]), "fit_seconds": fit_seconds,
                     **bench.latency(flatbuffer, ids["test"])})
    return rows


def _markdown(rows):
    teacher = rows[0]
    lines = ["| model | parameters | .tflite bytes | smaller | Spearman vs teacher | recall@1 | recall@5 | "
             "latency median (ms) | faster |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['parameters']:,} | {row['tflite_bytes']:,} | "
                     f"{teacher['tflite_bytes'] / row['tflite_bytes']:.0f}x | {row['spearman']:.3f} | "
                     f"{row['recall@1']:.1%} | {row['recall@5']:.1%} | {row['latency_ms_median']:.3f} | "
                     f"{teacher['latency_ms_median'] / row['latency_ms_median']:.0f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
