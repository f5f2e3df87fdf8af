"""tfkd.cli: the `tfkd` command's verbs, config file and errors."""

import json
import subprocess
import sys

from tests.conftest import SMALL
from tfkd import PipelineConfig
from tfkd.cli import main


def _yaml(path, values):
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in values.items()))
    return path


def test_config_verb_prints_the_documented_defaults(capsys, tmp_path):
    assert main(["config"]) == 0
    (tmp_path / "defaults.yaml").write_text(capsys.readouterr().out)
    assert PipelineConfig.from_yaml(tmp_path / "defaults.yaml") == PipelineConfig()


def test_verbs_share_a_run_directory_and_flags_win_over_the_file(small_dataset, tmp_path, capsys):
    config = _yaml(tmp_path / "small.yaml", {"dataset": small_dataset, **SMALL, "alpha": 0.9})
    output = tmp_path / "run"
    assert main(["distill", "--config", str(config), "--output", str(output), "--alpha", "0.2"]) == 0
    assert json.loads((output / "config.json").read_text())["alpha"] == 0.2
    assert (output / "student.keras").exists() and not (output / "student_pruned.keras").exists()
    assert f"Stages up to 'distill' are done in {output}" in capsys.readouterr().out
    student_bytes = (output / "student.keras").read_bytes()
    assert main(["compress", "--config", str(config), "--output", str(output), "--alpha", "0.2"]) == 0
    assert (output / "student.keras").read_bytes() == student_bytes  # reused, not retrained
    assert (output / "student_pruned.keras").exists() and not (output / "student_float32.tflite").exists()
    assert "resuming the run in" in capsys.readouterr().out
    # The same directory with the file's alpha (0.9) is another config: refused, naming the key.
    assert main(["run", "--config", str(config), "--output", str(output)]) == 2
    assert "holds a run with a different config (keys ['alpha'] differ)" in capsys.readouterr().err


def test_bad_input_exits_2_naming_the_problem(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("student: cnn\nsparsity: [0.5\n")
    cases = [
        (["run", "--config", str(tmp_path / "missing.yaml")], "config file '" + str(tmp_path / "missing.yaml")
         + "' does not exist"),
        (["teacher", "--config", str(tmp_path / "bad.yaml")], "is not valid YAML at line 3, column 1"),
        (["distill", "--dataset", "sst5"], "'dataset' must be one of ['mr', 'mr3', 'mr5', 'imdb_reviews', "
                                           "'glue/sst2'] or a data file path"),
        (["run", "--student", "gpt"], "'student' must be one of ['average_embedding', 'bilstm', 'cnn', "
                                      "'transformer']; received 'gpt'"),
        (["convert", "--targets", "phone"], "'targets' must be one of ['mobile', 'micro']; received 'phone'"),
    ]
    for argv, message in cases:
        assert main(argv + ["--output", str(tmp_path / "never")]) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert not (tmp_path / "never").exists()


def test_the_console_entry_point_lists_every_verb():
    result = subprocess.run([sys.executable, "-m", "tfkd", "--help"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for verb in ("teacher", "distill", "compress", "convert", "run", "bench", "config"):
        assert f"\n    {verb} " in result.stdout, verb
