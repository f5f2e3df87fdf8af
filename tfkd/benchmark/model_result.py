"""`ModelResult`: what a benchmark measured for one model."""

import dataclasses
from typing import Optional


@dataclasses.dataclass
class ModelResult:
    """Size, accuracy and latency of one .tflite model, measured in the LiteRT interpreter.

    Latencies are per example (batch 1) in milliseconds, after warm-up.
    """

    name: str
    path: str
    size_bytes: int
    gzip_bytes: int
    accuracy: float
    macro_f1: float
    examples: int
    latency_ms_median: float
    latency_ms_p90: float
    latency_ms_p99: float
    num_threads: int
    parameters: Optional[int] = None
    nonzero_parameters: Optional[int] = None
    use_xnnpack: bool = True
    throughput_per_second: Optional[float] = None
    confusion_matrix: Optional[list] = None  # rows: true class, columns: predicted class
    peak_memory_bytes: Optional[int] = None
    arena_bytes: Optional[int] = None

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_row(self):
        """The flat fields (no confusion matrix), for a CSV row."""
        return {key: value for key, value in self.to_dict().items() if key != "confusion_matrix"}
