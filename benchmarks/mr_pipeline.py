"""Benchmark: the README's end-to-end MR run, results committed under benchmarks/results/.

Runs `tfkd.run_pipeline` with the default config (the same run as `make demo`)
into benchmarks/runs/<dataset>_seed<SEED>/ and copies its report to
benchmarks/results/<dataset>_pipeline.{json,md}. Every number comes from the
LiteRT interpreter running the .tflite files of that run. `--dataset mr5`
runs the same path on MR's 5 score buckets (multi-class).

    python benchmarks/mr_pipeline.py [--dataset mr] [--seed 0] [--quick]
"""

import argparse
import json
import pathlib
import shutil

import tfkd

HERE = pathlib.Path(__file__).resolve().parent
QUICK = {"teacher_epochs": 1, "distill_epochs": 3, "prune_epochs": 2, "benchmark_runs": 50}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mr", choices=["mr", "mr3", "mr5"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help=f"smoke settings: {QUICK}")
    arguments = parser.parse_args()
    settings = {"dataset": arguments.dataset, "seed": arguments.seed, **(QUICK if arguments.quick else {})}
    name = f"{arguments.dataset}_seed{arguments.seed}" + ("_quick" if arguments.quick else "")
    tfkd.run_pipeline(settings, HERE / "runs" / name)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stem = f"{arguments.dataset}_pipeline" + ("_quick" if arguments.quick else "")
    shutil.copyfile(HERE / "runs" / name / "report.md", results / f"{stem}.md")
    report = json.loads((HERE / "runs" / name / "report.json").read_text())
    # Stage times are those of the run that computed each stage (a resumed run reuses them).
    report["pipeline_seconds"] = round(sum(report["stage_seconds"].values()), 1)
    (results / f"{stem}.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {results / stem}.json and .md")


if __name__ == "__main__":
    main()
