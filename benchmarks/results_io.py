"""Writing a benchmark's results: `<name>.json` with every number and `<name>.md` with its table."""

import json
import pathlib

from tfkd.data.cache import write_bytes_atomic


def write_results(path, results, markdown):
    """Writes `results` as JSON to `path` and the `markdown` text beside it (same stem, .md), each atomically."""
    path = pathlib.Path(path)
    write_bytes_atomic(path, json.dumps(results, indent=2).encode(), overwrite=True)
    write_bytes_atomic(path.with_suffix(".md"), (markdown + "\n").encode(), overwrite=True)
