"""Report: benchmark results as Markdown, JSON, CSV, trade-off plots and sparsity sweeps."""

from tfkd.report.csv_table import write_csv
from tfkd.report.markdown import human_bytes, markdown_table, untimed_row, write_report
from tfkd.report.plots import pareto_front, plot_sparsity_sweep, plot_tradeoffs

__all__ = ["human_bytes", "markdown_table", "pareto_front", "plot_sparsity_sweep", "plot_tradeoffs", "untimed_row",
           "write_csv", "write_report"]
