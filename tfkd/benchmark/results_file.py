"""Writing a benchmark's results: `<name>.json` with every number and `<name>.md` with its table."""

import json
import pathlib

from tfkd.data.cache import write_bytes_atomic


def write_results(path, results, markdown):
    """Writes `results` as JSON to `path` and the `markdown` text beside it (same stem, .md), each atomically.

    A benchmark's results file: overwritten on purpose (a benchmark rewrites
    it after every measured row, so a stopped run keeps what it measured).

    Args:
        path: str or Path ending in .json.
        results: dict of JSON-serialisable values.
        markdown: str, the table a reader sees.
    """
    path = pathlib.Path(path)
    write_bytes_atomic(path, json.dumps(results, indent=2).encode(), overwrite=True)
    write_bytes_atomic(path.with_suffix(".md"), (markdown + "\n").encode(), overwrite=True)
