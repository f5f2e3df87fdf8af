"""Builds docs/results.md, the README's results table and docs/results.png from benchmarks/results/.

Every number comes from a committed results file: the `recipe_*.json`
written by `benchmarks/recipe_seeds.py` (each seed a `tfkd run`), and the
other benchmarks' tables (`<name>.md`, each written by its script from its
`<name>.json`). Nothing here is typed by hand; the tests run
`--check`, which fails when a page differs from what this script builds.

    python docs/build_results.py           # rewrite docs/results.md, the README table, docs/results.png
    python docs/build_results.py --check   # exit 1 naming the page that is out of date
"""

import argparse
import json
import pathlib
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE, README, PLOT = ROOT / "docs" / "results.md", ROOT / "README.md", ROOT / "docs" / "results.png"
README_START, README_END = "<!-- results table: built by docs/build_results.py -->", "<!-- end of results table -->"
RECIPES = {"default": "the default recipe (`make demo`)", "best": "the best MR recipe (`tfkd run --config best`)"}
OTHER_DATASETS = {"amazon": "Amazon reviews", "nyt": "NYT snippets", "tweets": "tweets"}
# The other benchmarks, in reading order: file stem -> what it measures (the numbers are in its table).
BENCHMARKS = {
    "recipe_sparsity75_mr": "The default recipe with 75% pruning, the earlier default "
                            "(`python benchmarks/recipe_seeds.py --config default` at that state).",
    "distill_students": "Every zoo student, alone and distilled, in a private training loop "
                        "(`python benchmarks/distill_students.py`).",
    "distill_levers": "More variants per sentence and a larger vocabulary, BiLSTM "
                      "(the second command in `benchmarks/distill_students.py`).",
    "distill_target": "The BiLSTM on 20 variants per sentence plus other-domain text "
                      "(the third command in `benchmarks/distill_students.py`).",
    "distill_target_rerun": "The same command on another machine, with a teacher fine-tuned anew.",
    "distill_target_copies40": "The 96-unit BiLSTM, 40 variants per sentence, word ids, float Keras "
                               "(the fourth command in `benchmarks/distill_students.py`).",
    "teacher_labelling": "How fast the teacher labels transfer texts: length-bucketed batches against padded ones "
                         "(`python benchmarks/teacher_labelling.py`).",
    "compress_students": "Every compression method on the distilled CNN and BiLSTM "
                         "(`python benchmarks/compress_students.py`).",
    "micro_students": "Every zoo student as int8 for TFLite Micro (`python benchmarks/micro_students.py`).",
    "word_representations": "The CNN's word representation: accuracy against bytes "
                            "(`python benchmarks/word_representations.py`).",
    "embedding_students": "Sentence embeddings distilled into tiny students "
                          "(`python benchmarks/embedding_students.py`).",
    "keras3_students": "Keras 3 students against tf_keras ones (`python benchmarks/keras3_students.py`).",
    "mediapipe_tokenizer": "Students on MediaPipe's ids against word ids "
                           "(`python benchmarks/mediapipe_tokenizer.py`).",
    "student_defaults": "The zoo students' default settings (`python benchmarks/student_defaults.py`).",
    "mr_pipeline": "One seed of the pipeline with its stage times (`make benchmark`).",
    "mr5_pipeline": "Five classes, MR's score buckets, end to end (`python benchmarks/mr_pipeline.py --dataset mr5`).",
    "mr_report": "A finished run re-measured over threads and XNNPACK (`python benchmarks/mr_report.py`).",
    "multimodal_students": "Multimodal students on generated data (`python benchmarks/multimodal_students.py`).",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when out of date")
    args = parser.parse_args()
    pages = {PAGE: results_page(), README: readme_with_table(README.read_text(encoding="utf-8"))}
    if args.check:
        stale = [str(path.relative_to(ROOT)) for path, text in pages.items()
                 if path.read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python docs/build_results.py", file=sys.stderr)
            return 1
        return 0
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
    plot(PLOT)
    return 0


def recipe(name, dataset="mr"):
    return json.loads((RESULTS / f"recipe_{name}_{dataset}.json").read_text())


def mean_std(summary, key, style):
    """`mean ± std` of a summary entry, written as `style` says (percent, points, or digits after the point)."""
    mean, std = summary[key]["mean"], summary[key]["std"]
    if style == "percent":
        return f"{mean:.2%} ± {std:.2%}"
    if style == "points":
        return f"{mean:+.2f} ± {std:.2f}"
    return f"{mean:.{style}f} ± {std:.{style}f}"


def readme_table():
    """Teacher, deployed student and TF-IDF + LR of the default and best MR recipes, means over seeds."""
    lines = ["| recipe | model | MR test accuracy | of teacher | parameters | file | latency per sentence |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, words in RECIPES.items():
        results = recipe(name)
        summary, seeds = results["mean_std"], results["seeds"]
        parameters = seeds[0]["deployed_parameters"]
        teacher_ms = statistics.mean(seed["deployed_latency_ms"] * seed["faster_than_teacher"] for seed in seeds)
        lines += [
            f"| {name} | teacher (MiniLM-L6, float32) | {mean_std(summary, 'teacher_accuracy', 'percent')} | 100% | "
            f"{parameters * summary['fewer_parameters']['mean'] / 1e6:.1f} M | - | {teacher_ms:.1f} ms |",
            f"| {name} | **deployed student** ({seeds[0]['config']['student']}, "
            f"{seeds[0]['config']['vectorizer']} ids, pruned + QAT int8) | "
            f"**{mean_std(summary, 'deployed_accuracy', 'percent')}** | {mean_std(summary, 'of_teacher', 'percent')} | "
            f"{parameters / 1e3:.0f} k | {summary['deployed_kib']['mean']:.0f} KiB | "
            f"{summary['deployed_latency_ms']['mean']:.2f} ms |",
            f"| {name} | TF-IDF + logistic regression | {summary['baseline_accuracy']['mean']:.2%} | - | - | "
            f"{seeds[0]['baseline_bytes'] / 2**20:.1f} MiB | - |"]
    runs = "; ".join(f"{name}: seeds {', '.join(str(seed['seed']) for seed in recipe(name)['seeds'])} on a "
                     f"{recipe(name)['machine']['cpu_count']}-core {recipe(name)['machine']['cpu']}"
                     for name in RECIPES)
    lines += ["", f"Mean ± std over seeds ({runs}). Every accuracy is the run's `.tflite` file in LiteRT; latency "
                  "batch 1, one thread. Details, other datasets and every other benchmark: "
                  "[docs/results.md](docs/results.md)."]
    return "\n".join(lines)


def readme_with_table(readme):
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n" + readme_table() + "\n" + readme[end:]


def results_page():
    parts = ["# Results", "",
             "Built by `python docs/build_results.py` from the committed files in "
             "[benchmarks/results/](../benchmarks/results/); do not edit by hand. Each section names the command "
             "that wrote its file; each file records its machine.", ""]
    for name, words in RECIPES.items():
        parts += [f"## MR, {words}: 3 seeds through `tfkd run`", "", _table_of(f"recipe_{name}_mr"), ""]
    parts += ["## The default recipe on text it was not tuned on", "",
              "The Amazon, NYT and tweet sentences shipped with MR, labelled by the sign of their crowd score and "
              "run as CSV files (`python benchmarks/recipe_seeds.py --corpus NAME`); the settings that depend on the "
              "data are derived from it ([cli.md](cli.md#settings-derived-from-the-data)). Earlier states of these "
              "runs: [recipe_trials/](../benchmarks/results/recipe_trials/).", ""]
    for corpus, words in OTHER_DATASETS.items():
        parts += [f"### {words}", "", _table_of(f"recipe_default_{corpus}"), ""]
    parts += ["## Every other benchmark", "",
              "Written by the scripts in `benchmarks/` (most before the recipe was in the pipeline; their "
              "single-seed trials are in [distill_trials/](../benchmarks/results/distill_trials/)).", ""]
    for stem, words in BENCHMARKS.items():
        parts += [f"### {stem}", "", words, "", _table_of(stem), ""]
    return "\n".join(parts).rstrip() + "\n"


def _table_of(stem):
    """A results file's own Markdown, its headings moved two levels down, and its machine."""
    text = (RESULTS / f"{stem}.md").read_text(encoding="utf-8").strip()
    text = "\n".join("###" + line if line.startswith("#") else line for line in text.splitlines())
    machine = json.loads((RESULTS / f"{stem}.json").read_text()).get("machine")
    if isinstance(machine, dict) and "Machine:" not in text:
        text += f"\n\nMachine: {machine.get('cpu')}, {machine.get('cpu_count')} CPUs."
    return text + f"\n\n[{stem}.json](../benchmarks/results/{stem}.json)"


def plot(path):
    """Accuracy against parameters: teacher, deployed student and TF-IDF + LR of each recipe."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6.4, 4.0))
    for name, marker in zip(RECIPES, "os"):
        results = recipe(name)
        summary, parameters = results["mean_std"], results["seeds"][0]["deployed_parameters"]
        points = {"teacher": (parameters * summary["fewer_parameters"]["mean"], summary["teacher_accuracy"]),
                  "deployed student": (parameters, summary["deployed_accuracy"])}
        for label, (count, accuracy) in points.items():
            axes.errorbar(count, 100 * accuracy["mean"], yerr=100 * accuracy["std"], marker=marker, capsize=3,
                          label=f"{name}: {label}")
    axes.axhline(100 * recipe("default")["mean_std"]["baseline_accuracy"]["mean"], color="grey", linestyle="--",
                 label="TF-IDF + logistic regression")
    axes.set(xscale="log", xlabel="parameters", ylabel="MR test accuracy (%)",
             title="Teacher vs deployed int8 student (mean ± std over seeds)")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    pyplot.close(figure)


if __name__ == "__main__":
    sys.exit(main())
