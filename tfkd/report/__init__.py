"""Report: benchmark results as Markdown and JSON."""

from tfkd.report.markdown import human_bytes, markdown_table, write_report

__all__ = ["human_bytes", "markdown_table", "write_report"]
