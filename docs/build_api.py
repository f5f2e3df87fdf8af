"""Builds the API reference (HTML, under docs/api/) from tfkd's docstrings with pdoc: `make docs`.

    python docs/build_api.py [OUTPUT_DIRECTORY]

The public modules are those a user imports (tfkd and its stage
subpackages); the tests build it into a temporary folder and check that
every page it links to exists and every `tfkd.` name a docstring quotes
resolves.
"""

import pathlib
import sys
import warnings

MODULES = ("tfkd", "tfkd.distill", "tfkd.benchmark", "tfkd.report", "tfkd.pipeline")  # the rest are in tfkd.__all__
DEFAULT_OUTPUT = pathlib.Path(__file__).resolve().parent / "api"


def build(output_directory=DEFAULT_OUTPUT):
    """Writes the reference into `output_directory`; returns pdoc's warnings as strings."""
    import pdoc

    import tfkd

    tfkd.distill.Keras3Distiller  # noqa: B018  (imported on first use; pdoc reads the module's namespace)
    pdoc.render.configure(docformat="google", footer_text=f"tfkd {tfkd.__version__}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=pathlib.Path(output_directory))
    return [str(warning.message) for warning in caught if "pdoc" in warning.filename]


if __name__ == "__main__":
    output = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    problems = build(output)
    print("\n".join(problems) or f"API reference written to {output}/index.html")
    sys.exit(1 if problems else 0)
