"""tfkd.pipeline.pipeline_config: unknown keys and bad values are named."""

import pytest

from tfkd import PipelineConfig


def test_defaults_round_trip_through_a_dict():
    config = PipelineConfig()
    assert PipelineConfig.from_dict(config.to_dict()) == config


def test_integers_are_accepted_for_float_settings():
    assert PipelineConfig(alpha=1).alpha == 1.0


@pytest.mark.parametrize("values, message", [
    ({"studnet": "cnn"}, r"unknown config key\(s\) \['studnet'\]; allowed keys: \['alpha', "),
    ({"student": "gpt"}, r"'student' must be one of \['average_embedding', 'bilstm', 'cnn', 'transformer'\]; received 'gpt'"),
    ({"dataset": "sst5"}, r"'dataset' must be one of \['mr', 'imdb_reviews', 'glue/sst2'\] or a data file path"),
    ({"distill_epochs": "ten"}, r"'distill_epochs' must be a int; received distill_epochs='ten'"),
    ({"seed": True}, r"'seed' must be a int; received seed=True"),
], ids=["unknown-key", "student", "dataset", "type", "bool"])
def test_bad_config_is_named(values, message):
    with pytest.raises(ValueError, match=message):
        PipelineConfig.from_dict(values)
