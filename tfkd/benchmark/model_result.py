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

    def to_dict(self):
        return dataclasses.asdict(self)
