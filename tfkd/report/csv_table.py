"""Benchmark results as CSV, one row per model run."""

import csv
import io

from tfkd.data.cache import write_bytes_atomic


def write_csv(results, path, overwrite=True):
    """Writes `ModelResult`s (flat fields; the confusion matrix stays in the JSON) to `path`."""
    rows = [result.to_row() for result in results]
    if not rows:
        raise ValueError("`results` is empty; nothing to write")
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return write_bytes_atomic(path, stream.getvalue().encode("utf-8"), overwrite=overwrite)
