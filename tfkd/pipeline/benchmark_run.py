"""`benchmark_run`: re-measure a finished pipeline run over threads and XNNPACK settings."""

import json
import pathlib

from tfkd.benchmark import TFLiteBenchmark
from tfkd.benchmark.machine import machine_info
from tfkd.convert import TFLiteModel
from tfkd.data import TextVectorizer, load
from tfkd.data.cache import write_bytes_atomic
from tfkd.pipeline.pipeline_config import PipelineConfig
from tfkd.progress import progress
from tfkd.report import human_bytes, plot_tradeoffs, write_csv
from tfkd.teachers import TextClassifierTeacher

QUICK_EXAMPLES, QUICK_RUNS = 200, 20


def benchmark_run(run_directory, output_directory=None, threads=(1, 2), xnnpack=(True, False), quick=False,
                  measure_memory=True, runs=200, seed=0, log=print):
    """Benchmarks every .tflite of a `tfkd run` directory under each thread count and XNNPACK setting.

    Writes into `output_directory` (default `<run>/bench`): `bench.json`
    (every result, confusion matrices, settings, machine), `bench.csv`,
    `bench.md` and two plots (accuracy vs size and vs latency, Pareto front
    marked, from the 1-thread XNNPACK-on rows). Files there are replaced.

    Args:
        run_directory: str or Path, a finished run (config.json, tokenizer/, *.tflite).
        output_directory: str, Path or None.
        threads: tuple of int, interpreter thread counts. Default (1, 2).
        xnnpack: tuple of bool, XNNPACK on/off. Default (True, False).
        quick: bool, the first 200 test examples and 20 timed runs: a smoke run. Default False.
        measure_memory: bool, peak memory per model (a fresh process each). Default True.
        runs: int, timed runs per model and setting. Default 200.
        seed: int, which examples are timed. Default 0.
        log: callable for progress lines. Default `print`.

    Returns:
        list of `ModelResult`.

    Raises:
        FileNotFoundError: not a run directory (the missing file is named).
    """
    run_directory = pathlib.Path(run_directory)
    output_directory = pathlib.Path(output_directory or run_directory / "bench")
    config, inputs, labels = _run_inputs(run_directory, quick)
    results = []
    settings = [(count, flag) for count in threads for flag in xnnpack]
    for file, (name, kind) in config.tflite_files().items():
        path = run_directory / file
        if not path.exists():
            continue
        for count, flag in progress(settings, f"bench {name}"):
            bench = TFLiteBenchmark(num_threads=count, runs=QUICK_RUNS if quick else runs, seed=seed,
                                    use_xnnpack=flag, measure_memory=measure_memory,
                                    measure_arena=kind == "student")  # the teacher is no micro target
            result = bench.run(name, path, inputs[kind], labels)
            results.append(result)
            log(f"   {name}, {count} thread(s), XNNPACK {'on' if flag else 'off'}: accuracy {result.accuracy:.2%}, "
                f"{result.latency_ms_median:.3f} ms")
    _write(output_directory, results, {"run": str(run_directory), "config": config.to_dict(),
                                       "threads": list(threads), "xnnpack": list(xnnpack), "quick": quick,
                                       "runs": QUICK_RUNS if quick else runs, "seed": seed,
                                       "machine": machine_info()})
    return results


def _run_inputs(run_directory, quick):
    config_path = run_directory / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} is missing; expected a directory written by `tfkd run`")
    config = PipelineConfig.from_dict(json.loads(config_path.read_text()))
    test = load(config.dataset).test
    texts, labels = list(test.texts), test.labels
    if quick:
        texts, labels = texts[:QUICK_EXAMPLES], labels[:QUICK_EXAMPLES]
    inputs = {"student": TextVectorizer.load(run_directory / "tokenizer")(texts)}
    teacher_file = run_directory / "teacher_float32.tflite"
    if teacher_file.exists():
        # Only the teacher's tokenizer is used here: the .tflite carries the fine-tuned weights (and its length).
        length = max(shape[-1] for shape, _ in TFLiteModel(teacher_file).input_shapes().values())
        teacher = TextClassifierTeacher.from_preset(config.teacher_preset, sequence_length=int(length))
        inputs["teacher"] = teacher.preprocess(texts)
    return config, inputs, labels


def markdown_sweep(results):
    """One row per model and setting."""
    lines = ["| model | threads | XNNPACK | accuracy | .tflite | peak memory | latency median (ms) | p90 (ms) | "
             "examples/s | TFLM arena |", "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        memory = human_bytes(result.peak_memory_bytes) if result.peak_memory_bytes is not None else "-"
        lines.append(f"| {result.name} | {result.num_threads} | {'on' if result.use_xnnpack else 'off'} | "
                     f"{result.accuracy:.2%} | {human_bytes(result.size_bytes)} | {memory} | "
                     f"{result.latency_ms_median:.3f} | {result.latency_ms_p90:.3f} | "
                     f"{result.throughput_per_second:,.0f} | "
                     f"{human_bytes(result.arena_bytes) if result.arena_bytes is not None else '-'} |")
    return "\n".join(lines)


def _write(directory, results, details):
    document = {**details, "results": [result.to_dict() for result in results]}
    write_bytes_atomic(directory / "bench.json", json.dumps(document, indent=2).encode(), overwrite=True)
    write_csv(results, directory / "bench.csv")
    write_bytes_atomic(directory / "bench.md", (markdown_sweep(results) + "\n").encode(), overwrite=True)
    baseline = [result for result in results if result.num_threads == min(details["threads"])
                and result.use_xnnpack == details["xnnpack"][0]]
    plot_tradeoffs(baseline, directory, prefix="bench")
