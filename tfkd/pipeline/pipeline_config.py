"""`PipelineConfig`: every setting of the end-to-end run, with defaults and checks."""

import dataclasses
import json

from tfkd.data.loader import BUILTIN_DATASETS
from tfkd.students import STUDENTS


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Settings of `tfkd.run_pipeline`; the defaults are the README's demo on MR.

    Attributes:
        dataset: "mr", "imdb_reviews", "glue/sst2" or a CSV/TSV/JSONL path.
        seed: int, seeds data order, initialisation and benchmark sampling.
        teacher_preset: "minilm" (bundled) or a keras-hub preset name.
        teacher_sequence_length, teacher_epochs, teacher_learning_rate,
            teacher_batch_size: teacher fine-tuning (AdamW). One epoch keeps
            the demo under 20 minutes on 2 cores: it took 497 s and reached
            85.4% MR validation accuracy (benchmarks/results/mr_pipeline.json);
            a second epoch doubles that time (its gain is not benchmarked yet).
        vectorizer: "word" or "wordpiece"; vocabulary_size; sequence_length.
            Word ids are the default here: on MR (seed 0) the distilled CNN
            scored 77.1% test accuracy with 8,000 words against 75.2% with
            WordPiece (2,926 pieces; benchmarks/results/student_defaults.json),
            and they skip WordPiece's 40-50 s of vocabulary learning.
        student: a zoo name ("average_embedding", "bilstm", "cnn", "transformer").
        alpha: weight of the hard (label) loss in [0, 1]; temperature > 0.
        distill_epochs: most epochs of distillation (early stopping on
            validation accuracy restores the best); batch_size; learning_rate.
        target_sparsity: final sparsity in [0, 1) of pruning while distilling;
            prune_epochs: epochs of that fine-tuning.
        qat_epochs: epochs of pruning-preserving quantization-aware training
            while distilling, after pruning (the final int8 student); 0 skips it.
        representative_samples: int8 calibration examples from training data.
        benchmark_runs: timed runs per model (after 20 warm-up runs).
    """

    dataset: str = "mr"
    seed: int = 0
    teacher_preset: str = "minilm"
    teacher_sequence_length: int = 64
    teacher_epochs: int = 1
    teacher_learning_rate: float = 5e-5
    teacher_batch_size: int = 32
    vectorizer: str = "word"
    vocabulary_size: int = 8000
    sequence_length: int = 64
    student: str = "cnn"
    alpha: float = 0.1
    temperature: float = 3.0
    distill_epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    target_sparsity: float = 0.75
    prune_epochs: int = 4
    qat_epochs: int = 1
    representative_samples: int = 200
    benchmark_runs: int = 200

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            expected = float if field.type in (float, "float") else (int if field.type in (int, "int") else str)
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, field.name, float(value))
            elif not isinstance(value, expected) or isinstance(value, bool):
                raise ValueError(f"config key {field.name!r} must be a {expected.__name__}; "
                                 f"received {field.name}={value!r}")
        if self.student not in STUDENTS:
            raise ValueError(f"config key 'student' must be one of {sorted(STUDENTS)}; received {self.student!r}")
        if self.dataset not in BUILTIN_DATASETS and not self.dataset.lower().endswith((".csv", ".tsv", ".jsonl", ".json")):
            raise ValueError(f"config key 'dataset' must be one of {list(BUILTIN_DATASETS)} or a data file path; "
                             f"received {self.dataset!r}")

    @classmethod
    def from_dict(cls, values):
        """Builds a config from a dict, rejecting unknown keys by name."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; allowed keys: {sorted(known)}")
        return cls(**values)

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)
