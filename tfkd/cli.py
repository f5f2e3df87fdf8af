"""The `tfkd` command: `tfkd run` runs the whole pipeline (more verbs come with the CLI issue)."""

import argparse
import dataclasses
import sys

from tfkd.pipeline import PipelineConfig, run_pipeline


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
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
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


def _field_type(field):
    return {"int": int, "float": float}.get(getattr(field.type, "__name__", str(field.type)), str)


if __name__ == "__main__":
    sys.exit(main())
