"""Benchmark: every zoo student as int8 TFLite for a microcontroller, on MR (issue 5).

Each student is distilled as `distill_students.py`'s `distilled+aug+emb`
(teacher logits, 3 augmented variants per training sentence in
`tfkd.distill.TransferSet`, embeddings seeded from the teacher,
`tfkd.distill.train_student` for at most 4 epochs; seed 0), then converted to float32 and full-int8 TFLite. Reported
on MR's 1,015 test sentences: Keras float accuracy, LiteRT float32 and int8
accuracy, TFLM int8 accuracy and its top-1 agreement with LiteRT, file
(flash) bytes and the TFLM tensor arena measured by the recording
allocator. The `cnn_micro_*` rows are the CNN shrunk towards a
Cortex-M4-class budget (<= 256 KB flash, <= 64 KB arena): a 5,000- or
6,500-word vocabulary, or 24-dimensional embeddings.

    python benchmarks/micro_students.py [--quick]
"""

import argparse
import pathlib
import time

import numpy as np

import tfkd
from tfkd._keras import set_seed
from tfkd.benchmark import write_results
from tfkd.benchmark.machine import machine_info
from tfkd.convert import MicroModel, verify_conversion
from tfkd.distill import TransferSet, train_student
from tfkd.teachers import fine_tuned_teacher

HERE = pathlib.Path(__file__).resolve().parent
BATCH_SIZE, SEQUENCE_LENGTH, EPOCHS = 64, 64, 4

CONFIGS = {  # name: (architecture, vocabulary size, builder settings)
    "average_embedding": ("average_embedding", 8000, {}),
    "bilstm": ("bilstm", 8000, {}),
    "cnn": ("cnn", 8000, {}),
    "cnn_micro_v5000": ("cnn", 5000, {}),
    "cnn_micro_v6500": ("cnn", 6500, {}),
    "cnn_micro_d24": ("cnn", 8000, {"embedding_dim": 24}),
    "transformer": ("transformer", 8000, {}),
}
FLASH_BUDGET, ARENA_BUDGET, ACCURACY_TARGET, AGREEMENT_TARGET = 256_000, 64_000, 0.80, 0.99


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--quick", action="store_true", help="cnn_micro_v5000 only, 1 epoch, 1 copy: a smoke run")
    parser.add_argument("--output", default=str(HERE / "results" / "micro_students.json"))
    args = parser.parse_args()
    configs = ["cnn_micro_v5000"] if args.quick else args.configs
    started = time.perf_counter()
    results = {"settings": {"configs": configs, "seed": 0, "recipe": "distilled+aug+emb", "quick": args.quick,
                            "budgets": {"flash_bytes": FLASH_BUDGET, "arena_bytes": ARENA_BUDGET,
                                        "accuracy": ACCURACY_TARGET, "tflm_litert_agreement": AGREEMENT_TARGET}},
               "machine": machine_info(), "students": []}
    splits = tfkd.data.load("mr")
    teacher = fine_tuned_teacher(splits, epochs=2)
    # distill_students.py's transfer set: its cached logits are reused
    transfer = TransferSet.build(splits, teacher, HERE / "runs" / "distill_students", copies=1 if args.quick else 3)
    for name in configs:
        architecture, vocabulary_size, student_settings = CONFIGS[name]
        vectorizer = tfkd.data.TextVectorizer("word", vocabulary_size, SEQUENCE_LENGTH).fit(splits.train.texts)
        set_seed(0)
        start = time.perf_counter()
        student = tfkd.students.build(architecture, vectorizer.vocabulary_length, SEQUENCE_LENGTH, 2,
                                      **student_settings)
        tfkd.students.transfer_embeddings(student, teacher.word_vectors(vectorizer.vocabulary))
        history = train_student(student, transfer.dataset(vectorizer, transfer.transfer_splits, BATCH_SIZE, 0),
                                transfer.dataset(vectorizer, ["validation"], BATCH_SIZE), 1 if args.quick else EPOCHS)
        row = measure(name, student, transfer, vectorizer)
        row.update(epochs=len(history.history["loss"]), seconds=round(time.perf_counter() - start, 1),
                   parameters=int(student.count_params()),
                   best_validation_accuracy=float(max(history.history["val_accuracy"])))
        results["students"].append(row)
        print(f"{name:>17}: int8 {row['int8_accuracy']:.2%}, TFLM {row['tflm_accuracy']:.2%}, "
              f"flash {row['flash_bytes']:,} B, arena {row['arena_bytes']:,} B", flush=True)
        write_results(args.output, results, markdown(results))
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def measure(name, student, transfer, vectorizer):
    ids = {split: vectorizer(transfer.texts[split]) for split in ("train", "validation", "test")}
    test, labels = ids["test"], transfer.labels["test"]
    float_model = tfkd.convert(student, "float32")
    int8_model = tfkd.convert(student, "int8", ids["train"], num_samples=500)
    micro = MicroModel(int8_model)
    micro.check_ops()
    keras_logits = student.predict(test, batch_size=256, verbose=0)
    litert_int8 = tfkd.TFLiteModel(int8_model).predict(test)
    tflm_int8 = micro.predict(test)
    accuracy = {name: float(np.mean(logits.argmax(-1) == labels)) for name, logits in (
        ("keras", keras_logits), ("float", tfkd.TFLiteModel(float_model).predict(test)),
        ("int8", litert_int8), ("tflm", tflm_int8))}
    verification = verify_conversion(student, int8_model, ids["validation"], micro=True, min_agreement=0.95,
                                     num_examples=300)
    row = {"student": name, "keras_accuracy": accuracy["keras"], "float_accuracy": accuracy["float"],
           "int8_accuracy": accuracy["int8"], "tflm_accuracy": accuracy["tflm"],
           "tflm_litert_agreement": float(np.mean(tflm_int8.argmax(-1) == litert_int8.argmax(-1))),
           "float_bytes": len(float_model), "flash_bytes": micro.flash_bytes, "arena_bytes": micro.arena_bytes(),
           "verification": verification, "vocabulary": vectorizer.vocabulary_length,
           "embedding_dim": int(student.get_layer("embedding").output_dim)}
    row["within_budget"] = bool(row["flash_bytes"] <= FLASH_BUDGET and row["arena_bytes"] <= ARENA_BUDGET
                                and row["int8_accuracy"] >= ACCURACY_TARGET
                                and row["tflm_litert_agreement"] >= AGREEMENT_TARGET)
    return row


def markdown(results):
    lines = ["| student | vocabulary x width | validation (Keras) | Keras float | .tflite float | int8 (LiteRT) | int8 (TFLM) | TFLM = LiteRT | "
             "float bytes | int8 flash bytes | TFLM arena bytes | M4 budget |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in results["students"]:
        lines.append(f"| {row['student']} | {row['vocabulary']:,} x {row['embedding_dim']} | "
                     f"{row['best_validation_accuracy']:.2%} | {row['keras_accuracy']:.2%} | "
                     f"{row['float_accuracy']:.2%} | {row['int8_accuracy']:.2%} | {row['tflm_accuracy']:.2%} | "
                     f"{row['tflm_litert_agreement']:.1%} | {row['float_bytes']:,} | {row['flash_bytes']:,} | "
                     f"{row['arena_bytes']:,} | {'yes' if row['within_budget'] else 'no'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
