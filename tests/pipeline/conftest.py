"""Pipeline fixtures: one small run on `small_dataset`, shared by the pipeline and benchmark-run tests."""

import pytest

import tfkd
from tests.conftest import SMALL


@pytest.fixture(scope="session")
def finished_run(small_dataset, tmp_path_factory):
    output = tmp_path_factory.mktemp("runs") / "small"
    logs = []
    results = tfkd.run_pipeline({"dataset": small_dataset, **SMALL}, output, log=logs.append)
    return output, results, logs
