"""Benchmark: the CNN student's word representation, accuracy against bytes, on MR (issue 8, part 2).

The embedding table is most of a small student (8,000 words x 32 = 256,000
of the CNN's 287,426 weights). Every variant is the Kim CNN distilled from
the cached MiniLM logits of `distill_students.py` (alpha=0.1, T=3, Adam 1e-3,
batch 64, the 8,516 training sentences, early stopping on validation
accuracy with patience 2, at most `--epochs`; seed 0), then converted to
float32 and full-integer int8 .tflite files and measured in LiteRT on MR's
1,015 test sentences:

- trained tables: words (8,000 x 32, the default; 8,000 x 16), WordPiece
  (learned from the training set, x 32), hashed words (`kind="hashed"`,
  4,000 and 1,000 buckets, x 32: no vocabulary file);
- from the trained 8,000 x 32 student, each followed by one fine-tuning
  epoch (Adam 3e-4, same logits, `tfkd.distill.train_student` keeping the
  best validation epoch; the control row is that epoch alone):
  vocabulary pruned to the 2,000 and 1,000
  most frequent words (`prune_vocabulary`), the table factorised to rank 8
  (`low_rank`), the table alone pruned to 75% zeros (`prune(layers=...)`,
  2 epochs, sparsity reached at 70% of them).

The int8 columns are the int8 table (1 byte per weight, per-tensor scale)
on top of each variant. "table weights" are the embedding's own (table and,
for low rank, its projection), "non-zero" of those.

    python benchmarks/word_representations.py [--epochs 10] [--quick]
"""

import argparse
import pathlib
import time

import numpy as np

import tfkd
from tfkd._keras import keras, set_seed
from tfkd.benchmark.machine import machine_info
from tfkd.benchmark import write_results
from tfkd.compress import compression_report, low_rank, prune_vocabulary, pruning_callbacks, strip_pruning
from tfkd.compress.pruning import first_epoch_at_target
from tfkd.distill import TransferSet, train_student
from tfkd.teachers import fine_tuned_teacher

HERE = pathlib.Path(__file__).resolve().parent
BATCH_SIZE, SEQUENCE_LENGTH = 64, 64

SEED = 0
SPLITS = ("train", "validation", "test")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="1 epoch per variant: a smoke run")
    parser.add_argument("--output", default=str(HERE / "results" / "word_representations.json"))
    args = parser.parse_args()
    if args.quick:
        args.epochs = 1
    splits = tfkd.data.load("mr")
    teacher = fine_tuned_teacher(splits, epochs=2)
    # the labelled splits' logits of distill_students.py, reused from its cache
    inputs = TransferSet.build(splits, teacher, HERE / "runs" / "distill_students")
    base_vectorizer = tfkd.data.TextVectorizer("word", 8000, SEQUENCE_LENGTH).fit(splits.train.texts)
    rows, base = [], None
    for name, vectorizer, dim in trained_variants(inputs, base_vectorizer):
        start = time.perf_counter()
        model = distilled(inputs, vectorizer, dim, args.epochs)
        rows.append(measure(name, model, vectorizer, inputs, time.perf_counter() - start))
        if vectorizer is base_vectorizer and dim == 32:
            base = model
    for name, derive in derived_variants(inputs, base_vectorizer):
        start = time.perf_counter()
        model, vectorizer = derive(base)
        rows.append(measure(name, model, vectorizer, inputs, time.perf_counter() - start))
    results = {"settings": {**vars(args), "seed": SEED, "batch_size": BATCH_SIZE, "sequence_length": SEQUENCE_LENGTH,
                            "alpha": 0.1, "temperature": 3.0, "student": "cnn"},
               "machine": machine_info(), "teacher": {**teacher.info, "test_accuracy": inputs.teacher_accuracy()},
               "rows": rows}
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def trained_variants(inputs, vectorizer):
    texts = inputs.texts["train"]
    return [
        ("words 8000 x 32 (default)", vectorizer, 32),
        ("words 8000 x 16", vectorizer, 16),
        ("WordPiece x 32", tfkd.data.TextVectorizer("wordpiece", 8000, SEQUENCE_LENGTH).fit(texts), 32),
        ("hashed 4000 x 32", tfkd.data.TextVectorizer("hashed", 4000, SEQUENCE_LENGTH), 32),
        ("hashed 1000 x 32", tfkd.data.TextVectorizer("hashed", 1000, SEQUENCE_LENGTH), 32),
    ]


def derived_variants(inputs, vectorizer):
    train_texts = inputs.texts["train"]

    def vocabulary(keep):
        def derive(model):
            small, small_vectorizer = prune_vocabulary(model, vectorizer, keep, texts=train_texts)
            return fine_tuned(small, inputs, small_vectorizer), small_vectorizer
        return derive

    def factorised(model):
        small, _ = low_rank(model, rank=8, layers=["embedding"])
        return fine_tuned(small, inputs, vectorizer), vectorizer

    def pruned_table(model):
        steps = int(np.ceil(len(train_texts) / BATCH_SIZE))
        wrapped = tfkd.prune(_copy(model), 0.75, steps_per_epoch=steps, epochs=2, layers=["embedding"])
        return strip_pruning(fine_tuned(wrapped, inputs, vectorizer, epochs=2, callbacks=pruning_callbacks(),
                                        start_from_epoch=first_epoch_at_target(steps, 2))), vectorizer

    def control(model):  # the same extra epoch, nothing removed: what the epoch alone is worth
        return fine_tuned(_copy(model), inputs, vectorizer), vectorizer

    return [("words 8000 x 32 + 1 epoch (control)", control),
            ("words pruned to 2000", vocabulary(2000)), ("words pruned to 1000", vocabulary(1000)),
            ("words 8000, table rank 8", factorised), ("words 8000, table 75% zeros", pruned_table)]


def _copy(model):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _data(inputs, vectorizer, split, shuffle=False):
    return inputs.dataset(vectorizer, [split], BATCH_SIZE, shuffle_seed=SEED if shuffle else None)


def distilled(inputs, vectorizer, dim, epochs):
    set_seed(SEED)
    student = tfkd.students.build("cnn", vectorizer.vocabulary_length, SEQUENCE_LENGTH, 2, embedding_dim=dim)
    train_student(student, _data(inputs, vectorizer, "train", shuffle=True), _data(inputs, vectorizer, "validation"),
                  epochs)
    return student


def fine_tuned(model, inputs, vectorizer, epochs=1, callbacks=(), start_from_epoch=0):
    """`epochs` more epochs at Adam 3e-4; the best validation epoch (from `start_from_epoch`) is kept."""
    set_seed(SEED)
    train_student(model, _data(inputs, vectorizer, "train", shuffle=True), _data(inputs, vectorizer, "validation"),
                  epochs, 3e-4, patience=epochs, callbacks=callbacks, start_from_epoch=start_from_epoch)
    return model


def measure(name, model, vectorizer, inputs, seconds):
    ids = {split: vectorizer(inputs.texts[split]) for split in SPLITS}
    labels = inputs.labels["test"]
    files = {"float32": tfkd.convert(model, "float32"),
             "int8": tfkd.convert(model, "int8", ids["train"], num_samples=500)}
    table = [weight.numpy() for weight in model.get_layer("embedding").weights]
    row = {"variant": name, "vocabulary": vectorizer.kind, "rows": vectorizer.vocabulary_length,
           "table_weights": int(sum(value.size for value in table)),
           "table_nonzero": int(sum(np.count_nonzero(value) for value in table)),
           "parameters": int(model.count_params()), "seconds": round(seconds, 1),
           "unknown_test_tokens": round(float(np.mean(ids["test"][ids["test"] > 0] == 1)), 4)}
    for mode, content in files.items():
        predictions = tfkd.TFLiteModel(content).predict(ids["test"]).argmax(-1)
        row[f"{mode}_accuracy"] = float(np.mean(predictions == labels))
    row["files"] = compression_report(model, files)["files"]
    print(f"{name:>28}: float32 {row['float32_accuracy']:.2%}, int8 {row['int8_accuracy']:.2%}, "
          f"int8 {row['files']['int8']['bytes']:,} B (gzip {row['files']['int8']['gzip_bytes']:,} B)", flush=True)
    return row


def markdown(results):
    lines = [f"Teacher: {results['teacher']['test_accuracy']:.2%} on MR test. CNN student, seed "
             f"{results['settings']['seed']}, at most {results['settings']['epochs']} distillation epochs.", "",
             "| word representation | table weights | non-zero | unknown test tokens | float32 acc | int8 acc | "
             "float32 bytes | int8 bytes | int8 gzip |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in results["rows"]:
        files = row["files"]
        lines.append(f"| {row['variant']} | {row['table_weights']:,} | {row['table_nonzero']:,} | "
                     f"{row['unknown_test_tokens']:.1%} | {row['float32_accuracy']:.2%} | {row['int8_accuracy']:.2%} | "
                     f"{files['float32']['bytes']:,} | {files['int8']['bytes']:,} | {files['int8']['gzip_bytes']:,} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
