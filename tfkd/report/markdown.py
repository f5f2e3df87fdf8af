"""Reports: benchmark results as a Markdown table and a JSON document."""

import json

from tfkd.data.cache import write_bytes_atomic

COLUMNS = (
    ("model", "{name}"),
    ("accuracy", "{accuracy:.2%}"),
    ("macro-F1", "{macro_f1:.3f}"),
    ("params", "{parameters_text}"),
    ("non-zero", "{nonzero_text}"),
    (".tflite", "{size_text}"),
    ("gzip", "{gzip_text}"),
    ("latency median (ms)", "{latency_ms_median:.3f}"),
    ("p90 (ms)", "{latency_ms_p90:.3f}"),
    ("size vs teacher", "{size_ratio}"),
    ("speed vs teacher", "{speed_ratio}"),
)


def markdown_table(results, baseline=None):
    """A Markdown table of `ModelResult`s; ratios are against the row named `baseline`."""
    reference = next((result for result in results if result.name == baseline), None)
    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|"]
    for result in results:
        values = {**result.to_dict(), **_texts(result, reference)}
        lines.append("| " + " | ".join(template.format(**values) for _, template in COLUMNS) + " |")
    return "\n".join(lines)


def untimed_row(name, accuracy, macro_f1, parameters, size_bytes, size_note=""):
    """A `markdown_table` row for a model that is not a .tflite (the TF-IDF baseline): '-' where nothing was
    timed, and for `parameters` or `size_bytes` given as None (a teacher known by its logits)."""
    size = "-" if size_bytes is None else human_bytes(size_bytes) + size_note
    cells = [name, f"{accuracy:.2%}", f"{macro_f1:.3f}", "-" if parameters is None else f"{parameters:,}", "-", size]
    return "| " + " | ".join(cells + ["-"] * (len(COLUMNS) - len(cells))) + " |"


def write_report(directory, results, header, details, baseline=None, overwrite=True, footer="", extra_rows=()):
    """Writes report.md (header, table, footer) and report.json (results, settings, machine) into `directory`.

    `extra_rows` (Markdown rows, e.g. from `untimed_row`) end the table.
    """
    table = "\n".join([markdown_table(results, baseline), *extra_rows])
    body = f"{header}\n\n{table}\n" + (f"\n{footer}\n" if footer else "")
    document = {**details, "results": [result.to_dict() for result in results]}
    write_bytes_atomic(directory / "report.md", body.encode("utf-8"), overwrite=overwrite)
    write_bytes_atomic(directory / "report.json", json.dumps(document, indent=2).encode("utf-8"), overwrite=overwrite)
    return table


def human_bytes(count):
    """1234567 -> '1.18 MiB'."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1024.0
    return str(count)


def _texts(result, reference):
    texts = {
        "parameters_text": f"{result.parameters:,}" if result.parameters is not None else "-",
        "nonzero_text": f"{result.nonzero_parameters:,}" if result.nonzero_parameters is not None else "-",
        "size_text": human_bytes(result.size_bytes),
        "gzip_text": human_bytes(result.gzip_bytes),
        "size_ratio": "-",
        "speed_ratio": "-",
    }
    if reference is not None:
        texts["size_ratio"] = f"{reference.size_bytes / result.size_bytes:.1f}x smaller"
        texts["speed_ratio"] = f"{reference.latency_ms_median / result.latency_ms_median:.1f}x faster"
    return texts
