"""The `tfkd` command.

    tfkd run       data -> teacher -> distill -> prune/QAT -> convert (mobile, micro) -> benchmark -> report
    tfkd teacher   ... up to the cached teacher logits      tfkd distill   ... up to the distilled student
    tfkd compress  ... up to pruning and QAT                tfkd convert   ... up to the mobile/micro files
    tfkd bench     re-measure a run's .tflite files over threads and XNNPACK settings
    tfkd config    print every config key with its default and meaning (a YAML file to edit)

The pipeline verbs share one run directory and one config (YAML file, then
flags): each reuses the stages already done there, so `tfkd distill` then
`tfkd run` trains nothing twice.
"""

import argparse
import dataclasses
import sys

from tfkd.pipeline import PipelineConfig, benchmark_run, run_pipeline
from tfkd.pipeline.pipeline_config import recipes
from tfkd.pipeline.run_pipeline import STAGES, VERBS, RunDirectoryLocked

VERB_HELP = {stage.verb: stage.verb_help for stage in STAGES if stage.verb}
COMMON = ("dataset", "student", "target_sparsity", "quantization", "targets", "seed")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfkd", description="Distill a text classifier into a TFLite student and measure it.",
        epilog="Every pipeline verb takes --config FILE (YAML; `tfkd config` prints a documented one) and a flag "
               "per config key; flags win over the file.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS:
        _add_pipeline_verb(verbs, verb)
    _add_bench_verb(verbs)
    verbs.add_parser("config", help="print every config key with its default and meaning, as YAML")
    return parser


def _add_pipeline_verb(verbs, verb):
    command = verbs.add_parser(verb, help=VERB_HELP[verb], description=VERB_HELP[verb])
    command.add_argument("--config", help="YAML config file, or a shipped recipe's name: "
                                          f"{', '.join(recipes())}; keys left out take their defaults")
    command.add_argument("--output", help="run directory (default: tflite_models/<dataset>-<student>-<config key>)")
    common = command.add_argument_group("common settings")
    rest = command.add_argument_group("other settings (see `tfkd config`)")
    for field in dataclasses.fields(PipelineConfig):
        group = common if field.name in COMMON else rest
        flag = "--" + field.name.replace("_", "-")
        shown_default = ", ".join(field.default) if isinstance(field.default, tuple) else field.default
        extra = {"nargs": "+"} if field.type is tuple else {"type": {"int": int, "float": float}.get(field.type.__name__, str)}
        group.add_argument(flag, dest=field.name, default=None, **extra,
                           help=f"{field.metadata['help']} (default: {shown_default})".replace("%", "%%"))


def _add_bench_verb(verbs):
    bench = verbs.add_parser("bench", help="re-measure a finished run's .tflite files over threads and XNNPACK "
                                           "settings: bench.md/json/csv and trade-off plots")
    bench.add_argument("run_directory", help="a directory written by `tfkd run` (or `tfkd convert`)")
    bench.add_argument("--output", default=None, help="default: <run_directory>/bench")
    bench.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="default: 1 2")
    bench.add_argument("--xnnpack", choices=["on", "off"], nargs="+", default=["on", "off"], help="default: on off")
    bench.add_argument("--runs", type=int, default=200, help="timed runs per model and setting (default: 200)")
    bench.add_argument("--quick", action="store_true", help="200 test examples and 20 timed runs: a smoke run")
    bench.add_argument("--no-memory", action="store_true", help="skip the peak-memory probe")


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    if arguments.verb == "config":
        print(PipelineConfig.describe(), end="")
        return 0
    try:
        return _bench(arguments) if arguments.verb == "bench" else _pipeline(arguments)
    except (FileNotFoundError, ValueError, RunDirectoryLocked) as error:
        print(f"tfkd: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ntfkd: interrupted; run the same command again to resume from the last finished epoch",
              file=sys.stderr)
        return 130


def _pipeline(arguments):
    overrides = {field.name: getattr(arguments, field.name) for field in dataclasses.fields(PipelineConfig)
                 if getattr(arguments, field.name) is not None}
    if arguments.config:
        config = PipelineConfig.from_yaml(arguments.config, overrides)
    else:
        config = PipelineConfig.from_dict(overrides)
    output = arguments.output or config.default_output()
    run_pipeline(config, output, until=VERBS[arguments.verb])
    if arguments.verb == "run":
        print(f"\nReport: {output}/report.md")
    else:
        print(f"\nStages up to '{VERBS[arguments.verb]}' are done in {output}; the next verbs reuse them, e.g. "
              f"tfkd run --output {output}" + (f" --config {arguments.config}" if arguments.config else ""))
    return 0


def _bench(arguments):
    benchmark_run(arguments.run_directory, arguments.output, tuple(arguments.threads),
                  tuple(flag == "on" for flag in arguments.xnnpack), arguments.quick,
                  not arguments.no_memory, arguments.runs)
    print(f"\nReport: {arguments.output or arguments.run_directory + '/bench'}/bench.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
