"""Benchmark: how fast the teacher labels transfer texts, length-bucketed against padded batches (issue 24, item 8).

Labelling the transfer set is the recipe's largest cost. `TextClassifierTeacher.logits`
sorts the texts by length and cuts each batch to its longest text (padding is
masked in BERT, so the logits are those of full padding); the keras-hub
classifier's own `predict` pads every text to the sequence length. Both label
the same texts (MR's training sentences' TextAugmenter variants, seed 0) with
the default recipe's teacher (MiniLM, 1 epoch, 64 tokens; cached after the
first run); texts per second are the median of `--repeats` timed passes
after a warm-up pass, and the two are checked to give the same labels.

    python benchmarks/teacher_labelling.py [--texts 4000] [--repeats 3]
"""

import argparse
import pathlib
import statistics
import time

import numpy as np

import tfkd
from tfkd.benchmark import write_results
from tfkd.benchmark.machine import machine_info
from tfkd.teachers import fine_tuned_teacher

HERE = pathlib.Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--output", default=str(HERE / "results" / "teacher_labelling.json"))
    args = parser.parse_args()
    splits = tfkd.data.load("mr")
    teacher = fine_tuned_teacher(splits, epochs=1)
    texts = tfkd.data.TextAugmenter(seed=0)(splits.train.texts, copies=1)[:args.texts]
    ways = {f"length-bucketed, batch {size}": lambda size=size: teacher.logits(texts, batch_size=size)
            for size in args.batch_sizes}
    ways["padded to 64 tokens, batch 64 (keras-hub predict)"] = lambda: teacher.model.predict(
        texts, batch_size=64, verbose=0)
    rows, reference = [], None
    for name, label in ways.items():
        logits = np.asarray(label())  # warm-up: traces every batch shape once
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            label()
            seconds.append(time.perf_counter() - start)
        reference = logits if reference is None else reference
        rows.append({"way": name, "texts_per_second": len(texts) / statistics.median(seconds),
                     "seconds": [round(value, 2) for value in seconds],
                     "same_labels": float(np.mean(logits.argmax(-1) == reference.argmax(-1))),
                     "largest_logit_difference": float(np.abs(logits - reference).max())})
        print(f"{name}: {rows[-1]['texts_per_second']:.0f} texts/s", flush=True)
    mean_tokens = float(np.mean(teacher.preprocess(texts)["padding_mask"].sum(axis=1)))
    results = {"settings": {**vars(args), "teacher": teacher.info, "mean_tokens": mean_tokens},
               "machine": machine_info(), "rows": rows}
    write_results(args.output, results, markdown(results))
    print(markdown(results))


def markdown(results):
    settings = results["settings"]
    lines = [f"{settings['texts']:,} MR variants (mean {settings['mean_tokens']:.1f} BERT tokens, of 64), "
             f"median of {settings['repeats']} passes after a warm-up; labels compared with the first row.", "",
             "| way | texts per second | same labels | largest logit difference |", "|---|---:|---:|---:|"]
    for row in results["rows"]:
        lines.append(f"| {row['way']} | {row['texts_per_second']:.0f} | {row['same_labels']:.2%} | "
                     f"{row['largest_logit_difference']:.1e} |")
    machine = results["machine"]
    lines += ["", f"Machine: {machine['cpu']}, {machine['cpu_count']} CPUs, TensorFlow {machine['tensorflow']}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
