"""Benchmark: the MR pipeline run's models under 1 and 2 threads, XNNPACK on and off (issue 6).

Re-measures the .tflite files of `benchmarks/runs/mr_seed<seed>` (written by
`benchmarks/mr_pipeline.py`, which runs `tfkd run` from scratch; it is run
first when the directory is missing) with `tfkd.pipeline.benchmark_run`:
accuracy, confusion matrix, size, peak memory, latency median/p90/p99 and
throughput per setting. Copies bench.{json,csv,md} and the two trade-off
plots to `benchmarks/results/mr_report.*`.

    python benchmarks/mr_report.py [--seed 0] [--quick]
"""

import argparse
import pathlib
import shutil
import subprocess
import sys

from tfkd.pipeline import benchmark_run

HERE = pathlib.Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="200 test examples, 20 timed runs")
    args = parser.parse_args()
    run = HERE / "runs" / f"mr_seed{args.seed}"
    if not (run / "report.json").exists():
        subprocess.run([sys.executable, str(HERE / "mr_pipeline.py"), "--seed", str(args.seed)], check=True)
    output = HERE / "runs" / f"mr_seed{args.seed}_bench"
    benchmark_run(run, output, threads=(1, 2), xnnpack=(True, False), quick=args.quick, seed=args.seed)
    results = HERE / "results"
    for name in ("bench.json", "bench.csv", "bench.md", "bench_size.png", "bench_latency.png"):
        shutil.copyfile(output / name, results / name.replace("bench", "mr_report"))
    print((results / "mr_report.md").read_text())


if __name__ == "__main__":
    main()
