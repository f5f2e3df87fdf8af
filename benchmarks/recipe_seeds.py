"""Benchmark: a recipe as a user runs it, `tfkd run --config RECIPE --seed S`, over seeds (issue 24).

Each seed is one `tfkd run` in its own run directory under benchmarks/runs/:
the teacher fine-tuned with that seed (cached after its first run), the
student distilled, pruned and quantization-aware trained, every file
converted and scored in the LiteRT interpreter, and the report's baseline
row (TF-IDF + logistic regression, C chosen on validation, same splits).
This script only calls the command and reads each run's report.json and
deploy.json; it writes benchmarks/results/recipe_<recipe>_<dataset>.{json,md}:
every seed, then mean ± std.

    python benchmarks/recipe_seeds.py --config default [--dataset mr] [--seeds 0 1 2]
    python benchmarks/recipe_seeds.py --config best    # the seeds share one teacher (teacher_seed: 0)
    python benchmarks/recipe_seeds.py --corpus tweets --seeds 0   # amazon, tweets or nyt, as a CSV

`--corpus` first writes one of the other-domain sets shipped beside MR as
a labelled CSV (`tfkd.data.write_labelled_csv`: the sign of each sentence's
crowd score) under benchmarks/runs/data/, then runs `tfkd run --dataset`
on that file, as a user runs their own data.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

import tfkd
from tfkd.benchmark.machine import machine_info
from tfkd.benchmark import write_results

HERE = pathlib.Path(__file__).resolve().parent
COLUMNS = (  # (title, key in a seed's row, format)
    ("seed", "seed", "{}"),
    ("teacher", "teacher_accuracy", "{:.2%}"),
    ("float student", "student_accuracy", "{:.2%}"),
    ("pruned + int8 (PTQ)", "ptq_accuracy", "{:.2%}"),
    ("deployed (pruned + QAT int8)", "deployed_accuracy", "{:.2%}"),
    ("of teacher", "of_teacher", "{:.2%}"),
    ("compression cost (points)", "compression_points", "{:+.2f}"),
    ("TF-IDF + LR", "baseline_accuracy", "{:.2%}"),
    ("deployed vs baseline (points)", "over_baseline_points", "{:+.2f}"),
    ("deployed .tflite", "deployed_kib", "{:.1f} KiB"),
    ("fewer parameters", "fewer_parameters", "{:.0f}x"),
    ("deployed latency (ms)", "deployed_latency_ms", "{:.3f}"),
    ("faster than teacher", "faster_than_teacher", "{:.0f}x"),
    ("stages (s)", "pipeline_seconds", "{:.0f}"),
    ("teacher fit (s)", "teacher_fit_seconds", "{:.0f}"),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="default", help="a recipe name or YAML file, as `tfkd run --config`")
    parser.add_argument("--dataset", default="mr", help="as `tfkd run --dataset`")
    parser.add_argument("--corpus", choices=["amazon", "tweets", "nyt"], default=None,
                        help="instead of --dataset: an other-domain set of the MR sdist, written as a CSV")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    arguments = parser.parse_args()
    if arguments.corpus:
        arguments.dataset = str(HERE / "runs" / "data" / f"{arguments.corpus}.csv")
        if not pathlib.Path(arguments.dataset).exists():
            tfkd.data.write_labelled_csv(arguments.corpus, arguments.dataset)
    name = f"recipe_{pathlib.Path(arguments.config).stem}_{pathlib.Path(arguments.dataset).stem}"
    dataset = f"{arguments.corpus}.csv" if arguments.corpus else arguments.dataset
    rows = []
    for seed in arguments.seeds:  # the results are written after every seed: a long run keeps what it measured
        rows.append(run_seed(arguments.config, arguments.dataset, seed, HERE / "runs" / f"{name}_seed{seed}"))
        summary = {key: summarize([row[key] for row in rows]) for _, key, _ in COLUMNS[1:]}
        results = {"command": f"tfkd run --config {arguments.config} --dataset {dataset} --seed SEED",
                   "seeds": rows, "mean_std": summary, "machine": machine_info()}
        write_results(HERE / "results" / f"{name}.json", results, markdown(results))
    print(markdown(results))


def run_seed(config, dataset, seed, output):
    """One `tfkd run` (resumed if `output` holds it already); the figures of its report as a flat row."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "tfkd", "run", "--config", config, "--dataset", dataset, "--seed", str(seed),
               "--output", str(output)]
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    report = json.loads((output / "report.json").read_text())
    teacher, student, ptq, deployed = report["results"]
    baseline = report["baseline"]["test_accuracy"]
    return {"seed": seed, "teacher_accuracy": teacher["accuracy"], "student_accuracy": student["accuracy"],
            "ptq_accuracy": ptq["accuracy"], "deployed_accuracy": deployed["accuracy"],
            "of_teacher": deployed["accuracy"] / teacher["accuracy"],
            "compression_points": 100.0 * (deployed["accuracy"] - student["accuracy"]),
            "baseline_accuracy": baseline, "over_baseline_points": 100.0 * (deployed["accuracy"] - baseline),
            "deployed_kib": deployed["size_bytes"] / 1024.0,
            "fewer_parameters": teacher["parameters"] / deployed["parameters"],
            "deployed_parameters": deployed["parameters"], "baseline_bytes": report["baseline"]["size_bytes"],
            "deployed_latency_ms": deployed["latency_ms_median"],
            "faster_than_teacher": teacher["latency_ms_median"] / deployed["latency_ms_median"],
            "pipeline_seconds": round(sum(report["stage_seconds"].values()), 1),
            "wall_seconds": round(wall, 1), "stage_seconds": report["stage_seconds"],
            "teacher_fit_seconds": report["teacher"].get("fit_seconds"), "config": report["config"]}


def summarize(values):
    return {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def markdown(results):
    lines = [f"# `{results['command']}`", "",
             "Every accuracy is measured on the dataset's test split by running the run's .tflite files in the "
             "LiteRT interpreter (latency: median per example, batch 1, 1 thread); the baseline is fitted in the "
             "same run. Stages (s): the run's stage times summed, each from the run that computed it (the "
             "teacher's stage loads it from the cache when an earlier run fine-tuned it: its fit is the next "
             "column).", "",
             "| " + " | ".join(title for title, _, _ in COLUMNS) + " |",
             "|---|" + "---:|" * (len(COLUMNS) - 1)]
    for row in results["seeds"]:
        lines.append("| " + " | ".join(form.format(row[key]) for _, key, form in COLUMNS) + " |")
    cells = ["mean ± std"]
    for _, key, form in COLUMNS[1:]:
        mean, std = results["mean_std"][key]["mean"], results["mean_std"][key]["std"]
        cells.append(f"{form.format(mean)} ± {form.format(std).lstrip('+')}")
    lines.append("| " + " | ".join(cells) + " |")
    machine = results["machine"]
    lines += ["", f"Machine: {machine['cpu']}, {machine['cpu_count']} CPUs, TensorFlow {machine['tensorflow']}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
