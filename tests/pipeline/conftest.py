"""Pipeline fixtures: one small run, shared by the pipeline and benchmark-run tests."""

import numpy as np
import pytest

import tfkd

SMALL = {"teacher_epochs": 1, "teacher_sequence_length": 16, "vocabulary_size": 200, "sequence_length": 16,
         "distill_epochs": 2, "prune_epochs": 1, "target_sparsity": 0.5, "representative_samples": 20,
         "benchmark_runs": 5}


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "moving", "superb"], ["dull", "awful", "tedious"], ["film", "plot", "the", "cast"]
    lines = ["text,label"]
    for i in range(300):
        label = i % 2
        words = list(rng.choice(filler, 5)) + [rng.choice(good if label else bad)]
        rng.shuffle(words)
        lines.append(f"{' '.join(words)},{['neg', 'pos'][label]}")
    path = tmp_path_factory.mktemp("data") / "small.csv"
    path.write_text("\n".join(lines))
    return str(path)


@pytest.fixture(scope="session")
def finished_run(small_dataset, tmp_path_factory):
    output = tmp_path_factory.mktemp("runs") / "small"
    logs = []
    results = tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, log=logs.append)
    return output, results, logs
