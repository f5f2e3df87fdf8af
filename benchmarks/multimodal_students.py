"""Benchmark: one teacher per modality, one multimodal student, on generated data (issue 8, part 4).

No real multimodal dataset is reachable offline: the data come from
`tfkd.data.synthetic_multimodal` (text ids + a 16x16 image + a 20x8
"spectrogram", 8 classes, each modality carrying one bit of the label, its
cue missing in 10% of examples; 6,000 train / 1,000 validation / 2,000
test examples, seed 0). The numbers show the wiring works and what the
mixture of per-modality teachers gives a student; they say nothing about
real photos or speech.

Rows: each single-modality teacher (a tf_keras model that sees only its
input, trained on the labels), their mixture (`MultiTeacher`, fixed
weights, T=2), the `build_multimodal` student trained on labels alone, on
the mixture alone (alpha=0: unlabeled data) and distilled from the mixture
(alpha=0.1, T=2), and the last as a
full-int8 .tflite run in LiteRT and TFLite Micro (ops checked, arena
measured, C array size).

    python benchmarks/multimodal_students.py [--epochs 10]
"""

import argparse
import pathlib

import numpy as np

import tfkd
from tfkd._keras import keras, set_seed
from tfkd.benchmark.machine import machine_info
from tfkd.convert import MicroModel, verify_conversion
from tfkd.distill import MultiTeacher

from tfkd.benchmark import write_results

HERE = pathlib.Path(__file__).resolve().parent
SEED, TEMPERATURE = 0, 2.0
MODALITIES = ("token_ids", "image", "audio")
SIZES = {"train": 6000, "validation": 1000, "test": 2000}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--output", default=str(HERE / "results" / "multimodal_students.json"))
    args = parser.parse_args()
    data = {split: tfkd.data.synthetic_multimodal(size, MODALITIES, noise=0.1, seed=SEED + index)
            for index, (split, size) in enumerate(SIZES.items())}
    test_inputs, test_labels = data["test"]
    rows, teachers = [], []
    for name in MODALITIES:
        teacher = modality_teacher(name, data, args.epochs)
        teachers.append(teacher)
        rows.append(row(f"teacher: {name} only", accuracy(teacher, test_inputs[name], test_labels),
                        teacher.count_params()))
    ensemble = MultiTeacher(teachers, input_keys=list(MODALITIES), temperature=TEMPERATURE)
    rows.append(row("teachers' mixture (MultiTeacher)", accuracy(ensemble, test_inputs, test_labels),
                    sum(teacher.count_params() for teacher in teachers)))
    for label, teacher, alpha in (("student: labels only", None, 1.0),
                                  ("student: mixture only, no labels (alpha=0)", ensemble, 0.0),
                                  ("student: distilled from the mixture (alpha=0.1)", ensemble, 0.1)):
        student = trained_student(data, teacher, alpha, args.epochs)
        rows.append(row(label, accuracy(student, test_inputs, test_labels), student.count_params()))
    rows.append(deployed(student, data))
    results = {"settings": {**vars(args), "seed": SEED, "temperature": TEMPERATURE, "alpha": 0.1,
                            "sizes": SIZES, "noise": 0.1, "data": "generated (tfkd.data.synthetic_multimodal)"},
               "machine": machine_info(), "rows": rows}
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def modality_teacher(name, data, epochs):
    """A teacher for one modality: bigger than the student's branch for it, trained on the 8-class labels."""
    set_seed(SEED)
    inputs, labels = data["train"]
    tensor = keras.Input(shape=inputs[name].shape[1:], dtype=inputs[name].dtype, name=name)
    if name == "token_ids":
        hidden = keras.layers.Embedding(50, 64)(tensor)
        hidden = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(64, 3, activation="relu")(hidden))
    elif name == "image":
        hidden = keras.layers.Conv2D(32, 3, activation="relu")(tensor)
        hidden = keras.layers.Flatten()(keras.layers.MaxPooling2D(2)(hidden))
    else:
        hidden = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(64, 3, activation="relu")(tensor))
    hidden = keras.layers.Dense(64, activation="relu")(hidden)
    teacher = keras.Model(tensor, keras.layers.Dense(8)(hidden), name=f"{name}_teacher")
    teacher.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(inputs[name], labels, epochs=epochs, batch_size=64, verbose=0)
    return teacher


def trained_student(data, teacher, alpha, epochs):
    set_seed(SEED)
    student = tfkd.students.build_multimodal(50, 16, 8, image_shape=(16, 16, 1), audio_shape=(20, 8))
    if teacher is None:
        model = student
        model.compile(optimizer=keras.optimizers.Adam(3e-3), metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    else:
        model = tfkd.Distiller(student, teacher, alpha=alpha, temperature=TEMPERATURE)
        model.compile(optimizer=keras.optimizers.Adam(3e-3), metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=3, mode="max", restore_best_weights=True)
    model.fit(*data["train"], validation_data=data["validation"], batch_size=64, epochs=epochs, callbacks=[stop],
              verbose=0)
    return student


def deployed(student, data):
    flatbuffer = tfkd.convert(student, "int8", data["train"][0], num_samples=300)
    micro = MicroModel(flatbuffer)
    micro.check_ops()
    test_inputs, test_labels = data["test"]
    report = verify_conversion(student, flatbuffer, test_inputs, micro=True, min_agreement=0.95)
    litert = float(np.mean(tfkd.TFLiteModel(flatbuffer).predict(test_inputs).argmax(-1) == test_labels))
    return {**row("student distilled (alpha=0.1), int8 .tflite (LiteRT)", litert, student.count_params()),
            "tflite_bytes": len(flatbuffer), "arena_bytes": micro.arena_bytes(),
            "litert_top1_agreement": report["litert"]["top1_agreement"],
            "tflm_top1_agreement": report["tflm"]["top1_agreement"],
            "tflm_vs_litert_agreement": report["tflm_vs_litert_agreement"]}


def accuracy(model, inputs, labels):
    logits = model.predict(inputs, batch_size=256, verbose=0) if hasattr(model, "predict") else model(inputs)
    return float(np.mean(np.asarray(logits).argmax(-1) == labels))


def row(name, value, parameters):
    print(f"{name:>42}: {value:.2%} ({parameters:,} parameters)", flush=True)
    return {"model": name, "test_accuracy": value, "parameters": int(parameters)}


def markdown(results):
    lines = ["Generated data (tfkd.data.synthetic_multimodal: 8 classes, one bit per modality, 10% of cues "
             "missing), not a real multimodal set. Seed 0.", "",
             "| model | test accuracy | parameters |", "|---|---:|---:|"]
    lines += [f"| {row['model']} | {row['test_accuracy']:.2%} | {row['parameters']:,} |" for row in results["rows"]]
    final = results["rows"][-1]
    lines += ["", f"int8 file: {final['tflite_bytes']:,} B, TFLM arena {final['arena_bytes']:,} B; top-1 agreement "
                  f"with Keras: LiteRT {final['litert_top1_agreement']:.2%}, TFLM {final['tflm_top1_agreement']:.2%}; "
                  f"TFLM = LiteRT on {final['tflm_vs_litert_agreement']:.2%}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
