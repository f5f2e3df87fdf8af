"""The `tfkd` command: `tfkd run` runs the whole pipeline, `tfkd bench` re-measures a finished run."""

import argparse
import dataclasses
import sys

from tfkd.pipeline import PipelineConfig, benchmark_run, run_pipeline


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfkd", description="Distill a text classifier into a TFLite student and measure it.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help="data -> teacher -> distill -> prune -> int8 TFLite -> benchmark -> report")
    run.add_argument("--output", default="tflite_models/mr_demo", help="run directory (default: %(default)s)")
    for field in dataclasses.fields(PipelineConfig):
        flag = "--" + field.name.replace("_", "-")
        run.add_argument(flag, dest=field.name, type=_field_type(field), default=None,
                         help=f"default: {field.default}")
    bench = verbs.add_parser("bench", help="re-measure a finished run's .tflite files over threads and XNNPACK "
                                           "settings: bench.md/json/csv and trade-off plots")
    bench.add_argument("run_directory", help="a directory written by `tfkd run`")
    bench.add_argument("--output", default=None, help="default: <run_directory>/bench")
    bench.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="default: 1 2")
    bench.add_argument("--xnnpack", choices=["on", "off"], nargs="+", default=["on", "off"], help="default: on off")
    bench.add_argument("--runs", type=int, default=200, help="timed runs per model and setting (default: 200)")
    bench.add_argument("--quick", action="store_true", help="200 test examples and 20 timed runs: a smoke run")
    bench.add_argument("--no-memory", action="store_true", help="skip the peak-memory probe")
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    if arguments.verb == "bench":
        return _bench(arguments)
    overrides = {name: value for name, value in vars(arguments).items()
                 if name not in ("verb", "output") and value is not None}
    try:
        config = PipelineConfig.from_dict(overrides)
    except ValueError as error:
        print(f"tfkd: error: {error}", file=sys.stderr)
        return 2
    run_pipeline(config, arguments.output)
    print(f"\nReport: {arguments.output}/report.md")
    return 0


def _bench(arguments):
    try:
        benchmark_run(arguments.run_directory, arguments.output, tuple(arguments.threads),
                      tuple(flag == "on" for flag in arguments.xnnpack), arguments.quick,
                      not arguments.no_memory, arguments.runs)
    except FileNotFoundError as error:
        print(f"tfkd: error: {error}", file=sys.stderr)
        return 2
    print(f"\nReport: {arguments.output or arguments.run_directory + '/bench'}/bench.md")
    return 0


def _field_type(field):
    return {"int": int, "float": float}.get(getattr(field.type, "__name__", str(field.type)), str)


if __name__ == "__main__":
    sys.exit(main())
