"""A bounded, seeded fuzz of tfkd's loaders and CLI: no input may end the process or escape as a raw traceback.

Each input kind runs in a child process (a crash there is a signal, not
the end of pytest): mutated `.tflite` files through `TFLiteModel` (XNNPACK
on and off) and `MicroModel`; mutated CSV and JSONL files through
`tfkd.data.load`; mutated YAML configs through `PipelineConfig.from_yaml`
and, for a few, the `tfkd run` command line. An input may be refused, but
only as tfkd's own error: a ValueError, FileNotFoundError or RuntimeError
whose message names the file. Everything is seeded; a failure prints the
seed and the input to reproduce it.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras

CHILD_TIMEOUT_SECONDS = 300

# The child: reads a JSON list of [kind, path] cases, runs each, prints one JSON line per case.
_CHILD = r"""
import json, sys, traceback
import numpy as np
import tfkd
from tfkd.convert import MicroModel

ALLOWED = (ValueError, FileNotFoundError, RuntimeError)
ids = np.random.default_rng(0).integers(0, 50, (3, 16)).astype("int32")


def tflite(path):
    for xnnpack in (False, True):  # XNNPACK off first: the interpreter that crashes on some damaged files
        tfkd.TFLiteModel(path, use_xnnpack=xnnpack).predict(ids)
    micro = MicroModel(path, arena_limit=64 * 1024)
    micro.arena_bytes()
    micro.predict(ids)


def config(path):
    tfkd.PipelineConfig.from_yaml(path)


RUN = {"tflite": tflite, "csv": tfkd.data.load, "jsonl": tfkd.data.load, "yaml": config}
for kind, path in json.load(open(sys.argv[1])):
    print(json.dumps({"case": path, "started": True}), flush=True)  # the last line names a case that crashed
    try:
        RUN[kind](path)
        outcome = "accepted"
    except ALLOWED as error:
        named = path.rsplit("/", 1)[-1] in str(error)
        outcome = "refused" if named else f"unnamed {type(error).__name__}: {error}"
    except Exception as error:
        outcome = "raw " + "".join(traceback.format_exception(error))[-1500:]
    print(json.dumps({"case": path, "outcome": outcome}), flush=True)
"""


def _mutated(data, seed, edits):
    """`data` with `edits` random byte edits (flip a bit, drop, insert a byte seen nearby, cut the tail)."""
    rng = np.random.default_rng(seed)
    data = bytearray(data)
    for _ in range(edits):
        position = int(rng.integers(0, max(len(data), 1)))
        action = rng.integers(0, 4)
        if not data:
            break
        if action == 0:
            data[position] ^= 1 << int(rng.integers(0, 8))
        elif action == 1:
            del data[position]
        elif action == 2:
            data.insert(position, data[int(rng.integers(0, len(data)))])
        else:
            del data[max(position, 8):]
    return bytes(data)


def _text_edits(text, seed, pieces):
    """`text` with a few edits drawn from `pieces` (quotes, separators, line breaks, NUL, long runs)."""
    rng = np.random.default_rng(seed)
    for _ in range(int(rng.integers(1, 5))):
        position = int(rng.integers(0, len(text) + 1))
        text = text[:position] + pieces[int(rng.integers(0, len(pieces)))] + text[position + int(rng.integers(0, 3)):]
    return text


def _run_child(cases, tmp_path):
    case_file = tmp_path / "cases.json"
    case_file.write_text(json.dumps(cases))
    result = subprocess.run([sys.executable, "-c", _CHILD, str(case_file)], capture_output=True, text=True,
                            timeout=CHILD_TIMEOUT_SECONDS, env={**os.environ, "TFKD_QUIET": "1"})
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    last = lines[-1]["case"] if lines else "before the first case"
    assert result.returncode == 0, (f"the child ended with status {result.returncode} on {last}:\n"
                                    f"{result.stderr[-2000:]}")
    outcomes = {line["case"]: line["outcome"] for line in lines if "outcome" in line}
    assert len(outcomes) == len(cases)
    bad = {case: outcome for case, outcome in outcomes.items() if outcome not in ("accepted", "refused")}
    assert not bad, "\n\n".join(f"{case}: {outcome}" for case, outcome in bad.items())
    return outcomes


def _flipped(data, seed, flips):
    """`data` with `flips` bits flipped in place (offsets intact, so many such files still load)."""
    rng = np.random.default_rng(seed)
    data = bytearray(data)
    for _ in range(flips):
        data[int(rng.integers(8, len(data)))] ^= 1 << int(rng.integers(0, 8))
    return bytes(data)


def _rewired(flatbuffer, operator):
    """A valid flatbuffer whose op `operator` writes into the model's input: several crash LiteRT."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    subgraph = model.subgraphs[0]
    subgraph.operators[operator].outputs = np.array([subgraph.inputs[0]], np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def test_mutated_tflite_files_are_refused_or_run_never_crash(tmp_path):
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("cnn", 50, 16, 2)
    int8 = tfkd.convert(student, "int8", np.random.default_rng(0).integers(0, 50, (20, 16)).astype("int32"))
    files = {f"flipped_{seed}": _flipped(int8, seed, flips=1 + seed % 4) for seed in range(16)}
    files.update({f"edited_{seed}": _mutated(int8, seed, edits=2) for seed in range(4)})
    files.update({f"rewired_op_{operator}": _rewired(int8, operator) for operator in range(6)})
    cases = []
    for name, content in files.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(content)
        cases.append(["tflite", str(path)])
    outcomes = _run_child(cases, tmp_path)
    assert {"accepted", "refused"} <= set(outcomes.values())  # the mutations reach the checks and past them


def test_mutated_data_files_and_configs_are_refused_or_loaded(small_dataset, tmp_path):
    csv = open(small_dataset, encoding="utf-8").read()
    rows = [line.rsplit(",", 1) for line in csv.splitlines()[1:]]
    jsonl = "\n".join(json.dumps({"text": text, "label": label}) for text, label in rows)
    config = (tfkd.pipeline.pipeline_config.RECIPES_DIR / "best.yaml").read_text()
    pieces = {"csv": ['"', ",", "\n", '"\n', "\x00", "\r", "x" * 140_000, ",,,", "1.5", "\ufeff", "\udcff"],
              "jsonl": ['"', "{", "}", "[", "]", "\n", "null", "1.5", ":", ",", "\x00"],
              "yaml": [":", "\n", "  ", "- ", "[", "{", ".nan", "-1", "'", "\t", "seed: 3\n", "dataset: x\n"]}
    cases = []
    for kind, text in (("csv", csv), ("jsonl", jsonl), ("yaml", config)):
        for seed in range(40):
            path = tmp_path / f"mutated_{seed}.{kind}"
            data = _text_edits(text, seed, pieces[kind]).encode("utf-8", "surrogateescape")
            path.write_bytes(_mutated(data, seed, edits=seed % 3) if seed % 4 == 3 else data)
            cases.append([kind, str(path)])
    outcomes = _run_child(cases, tmp_path)
    for kind in ("csv", "jsonl", "yaml"):
        assert "refused" in {outcome for case, outcome in outcomes.items() if case.endswith(kind)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_command_line_refuses_mutated_configs_with_one_line(tmp_path, seed):
    # The data file has too few rows to split, so a config that passes its checks stops at the data stage.
    data = tmp_path / "two_rows.csv"
    data.write_text("text,label\ngood film,pos\nbad film,neg\n")
    config = (tfkd.pipeline.pipeline_config.RECIPES_DIR / "quick.yaml").read_text()
    path = tmp_path / "mutated.yaml"
    path.write_text(_text_edits(config, seed, [":", "\n", "[", ".nan", "-1", "'", "distill_epochs: 0\n"]))
    result = subprocess.run([sys.executable, "-m", "tfkd", "run", "--config", str(path), "--dataset", str(data),
                             "--output", str(tmp_path / "run")], capture_output=True, text=True,
                            timeout=CHILD_TIMEOUT_SECONDS, env={**os.environ, "TFKD_QUIET": "1"})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("tfkd: error: ")
