"""`PipelineConfig`: every setting of the end-to-end run, with defaults, documentation and checks."""

import dataclasses
import hashlib
import json
import math
import pathlib
import typing

import numpy as np

from tfkd.convert.converter import CALIBRATED_MODES, MODES
from tfkd.convert.deploy import TARGETS
from tfkd.data.loader import BUILTIN_DATASETS
from tfkd.data.transfer_texts import CORPORA
from tfkd.distill.losses import DISTILLATION_LOSSES
from tfkd.distill.student_training import MONITORS
from tfkd.students import STUDENTS

DATA_FILE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")
VECTORIZERS = ("word", "wordpiece", "hashed", "mediapipe")
MAX_EMBEDDING_DIM = MAX_UNITS = 1024
# Settings left null are derived from the training texts (`derived_length`, `derived_copies`,
# `derived_teacher_epochs`).
MAX_DERIVED_LENGTH, TRANSFER_SET_TEXTS, MAX_DERIVED_COPIES = 256, 30_000, 40
TEACHER_FIT_TEXTS, MAX_DERIVED_TEACHER_EPOCHS = 8_000, 3
RECIPES_DIR = pathlib.Path(__file__).parent / "recipes"
EMBEDDING_INITS = ("random", "teacher")
LEARNING_RATE_SCHEDULES = ("constant", "cosine")
COMPRESS_DATA = ("labelled", "distill")
QUANTIZATIONS = tuple(mode for mode in MODES if mode != "float32")
# The groups of keys, in the order the run reads them (`tfkd config` prints them so; run_pipeline.Stage.settings).
SETTING_GROUPS = ("data", "teacher", "distill", "compress", "convert", "benchmark")


class ModelFile(typing.NamedTuple):
    """One .tflite file of a run: which model it converts, how, and how it is benchmarked."""

    file: str  # name in the run directory
    row: str  # the report's row name
    inputs: str  # "teacher" (BERT features) or "student" (token ids)
    model: str  # "teacher", "student" (distilled), "pruned" or "quantized" (after QAT)
    mode: str  # conversion mode, one of tfkd.convert.converter.MODES


def _setting(default, stage, help_text):
    return dataclasses.field(default=default, metadata={"stage": stage, "help": help_text})


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Settings of `tfkd.run_pipeline` and the `tfkd` command; the defaults are the README's demo on MR.

    Every field is documented in its `help` metadata (`PipelineConfig.describe()`
    prints them as a commented YAML file, `tfkd config` too; docs/config.md
    is that file). Build one from keyword arguments, `from_dict` or
    `from_yaml`; unknown keys and bad values raise `ValueError` naming them.

    Example:
        >>> config = PipelineConfig(student="bilstm", target_sparsity=0.5)
        >>> PipelineConfig.from_dict(config.to_dict()) == config
        True
    """

    dataset: str = _setting("mr", "data", "'mr' (bundled, offline; 'mr3'/'mr5': 3 or 5 score buckets), 'imdb_reviews' "
                                          "or 'glue/sst2' (tfds, online), or a .csv/.tsv/.jsonl file with 'text' "
                                          "and 'label' columns")
    seed: int = _setting(0, "data", "seeds data order, initialisation and which examples are timed")
    teacher_seed: int = _setting(None, "teacher", "seeds the teacher's fine-tuning and the transfer texts' "
                                                  "variants; null: the value of 'seed'. Fixed, runs with other "
                                                  "seeds share one teacher and its logits (labelled once)")
    teacher_preset: str = _setting("minilm", "teacher", "'minilm' (bundled all-MiniLM-L6-v2, offline), a keras-hub "
                                                        "preset name or folder, or a saved Keras model (.keras or "
                                                        ".h5) that maps raw texts to logits: used as it is, not "
                                                        "fine-tuned; needs embedding_init 'random'")
    teacher_logits: str = _setting(None, "teacher", "instead of a teacher model: an .npz file of a teacher's logits "
                                                  "written by any framework (arrays 'texts' and 'logits'; "
                                                  "tfkd.pipeline.texts_to_label lists the texts to label); no "
                                                  "teacher is loaded or fine-tuned; needs embedding_init 'random'")
    teacher_sequence_length: int = _setting(None, "teacher", "BERT tokens per text; null: derived from the data, "
                                                             "enough for 99% of the training texts (rounded up to "
                                                             f"a multiple of 16, in [16, {MAX_DERIVED_LENGTH}])")
    teacher_epochs: int = _setting(None, "teacher", "fine-tuning epochs (AdamW); 0 needs teacher_preset to be a "
                                                    "folder written by TextClassifierTeacher.save; null: derived "
                                                    f"from the data, enough to see about {TEACHER_FIT_TEXTS:,} "
                                                    f"texts (in [1, {MAX_DERIVED_TEACHER_EPOCHS}])")
    teacher_learning_rate: float = _setting(5e-5, "teacher", "fine-tuning learning rate")
    teacher_batch_size: int = _setting(32, "teacher", "fine-tuning batch size")
    vectorizer: str = _setting("mediapipe", "distill", "student tokenizer: 'word' (lowercased words and "
                                                       "punctuation), 'mediapipe' (the ids MediaPipe Tasks' "
                                                       "TextClassifier computes itself: mobile/student.tflite then "
                                                       "carries standard TFLite Metadata and loads with no app "
                                                       "code), 'wordpiece' or 'hashed' (words hashed into "
                                                       "vocabulary_size - 2 buckets, no vocabulary file)")
    vocabulary_size: int = _setting(8000, "distill", "student vocabulary size")
    sequence_length: int = _setting(None, "distill", "student tokens per text; null: derived from the data, "
                                                     "enough for the longest training text (rounded up to a "
                                                     f"multiple of 16, in [16, {MAX_DERIVED_LENGTH}])")
    student: str = _setting("cnn", "distill", f"zoo student: one of {sorted(STUDENTS)}")
    embedding_dim: int = _setting(24, "distill", "width of the student's embedding table, which holds most of "
                                                 f"its weights; in [1, {MAX_EMBEDDING_DIM}]")
    units: int = _setting(64, "distill", "the student's width: LSTM units per direction (bilstm), filters per "
                                         "kernel size (cnn), hidden units (average_embedding), feed-forward "
                                         f"units (transformer); in [1, {MAX_UNITS}]")
    embedding_init: str = _setting("teacher", "distill", "the student's embedding table at the start: 'random', "
                                                        "or 'teacher': the teacher's vector for each vocabulary "
                                                        "token, reduced by PCA to the table's width (needs "
                                                        "vectorizer 'mediapipe', 'word' or 'wordpiece')")
    transfer_copies: int = _setting(None, "distill", "perturbed variants of each training text (masking and n-gram "
                                                  "sampling, tfkd.data.TextAugmenter) labelled by the teacher and "
                                                  "added to the distill stage's data (and to pruning's and QAT's "
                                                  "with compress_data 'distill'); 0 adds none; null: derived "
                                                  f"from the data, enough for about {TRANSFER_SET_TEXTS:,} texts with "
                                                  f"the training texts (in [1, {MAX_DERIVED_COPIES}])")
    transfer_corpora: tuple = _setting((), "distill", f"other-domain sentences, any of {list(CORPORA)} (shipped "
                                                      "with MR, offline), labelled by the teacher and added to "
                                                      "the distill stage's data; texts of the dataset's splits "
                                                      "are left out")
    corpus_copies: int = _setting(0, "distill", "perturbed variants of each transfer_corpora sentence, labelled "
                                                "by the teacher and added too; 0 adds none")
    alpha: float = _setting(0.1, "distill", "weight of the hard (label) loss in [0, 1]; 1 - alpha weighs the "
                                            "soft (teacher) loss")
    temperature: float = _setting(3.0, "distill", "softmax temperature of the soft loss, > 0")
    distillation_loss: str = _setting("kl", "distill", "the soft loss of distill, prune and QAT: 'kl' (the "
                                                       "softened distributions at temperature) or 'mse' (squared "
                                                       "error of the raw logits; temperature unused)")
    distill_epochs: int = _setting(10, "distill", "most epochs of distillation; early stopping on monitor "
                                                  "(after patience epochs, none with a cosine "
                                                  "learning_rate_schedule) restores the best")
    patience: int = _setting(2, "distill", "epochs of distillation without a better monitor before it stops, "
                                           ">= 1 (a cosine learning_rate_schedule runs them all)")
    monitor: str = _setting("val_accuracy", "distill", "what picks the epoch that distill, prune and QAT keep: "
                                                       "'val_accuracy' (highest) or 'val_loss' (lowest blended "
                                                       "loss against labels and teacher logits: continuous, "
                                                       "where accuracy on a small validation split moves in "
                                                       "steps of one text)")
    batch_size: int = _setting(32, "distill", "student batch size (distill, prune and QAT)")
    learning_rate: float = _setting(1e-3, "distill", "student Adam learning rate")
    learning_rate_schedule: str = _setting("constant", "distill", "the distill stage's learning rate over its "
                                                                  "epochs: 'constant', or 'cosine': from "
                                                                  "learning_rate down to 0 at the end of "
                                                                  "distill_epochs, which then all run (no "
                                                                  "early stop; the best epoch is still kept). "
                                                                  "Pruning and QAT keep compress_learning_rate")
    target_sparsity: float = _setting(0.5, "compress", "final share of zero weights in [0, 1), polynomial decay "
                                                        "while distilling; 0 skips pruning")
    prune_epochs: int = _setting(4, "compress", "epochs of pruning while distilling; the best epoch at the "
                                                "final sparsity (by monitor) is kept")
    compress_learning_rate: float = _setting(3e-4, "compress", "student Adam learning rate while pruning and "
                                                               "in QAT: they start from the distilled weights")
    compress_data: str = _setting("labelled", "compress", "what pruning and QAT train on: 'labelled' (the "
                                                          "training split: short stages) or 'distill' (the "
                                                          "distill stage's data, the transfer texts too: an "
                                                          "epoch lasts as long as a distill epoch, so set "
                                                          "prune_epochs and qat_epochs low)")
    qat_epochs: int = _setting(1, "compress", "epochs of (pruning-preserving) quantization-aware training while "
                                              "distilling; 0 skips it; needs quantization 'int8'")
    quantization: str = _setting("int8", "convert", f"the compressed student's .tflite: one of {list(QUANTIZATIONS)}")
    representative_samples: int = _setting(200, "convert", "training examples that calibrate int8 ranges")
    targets: tuple = _setting(("mobile", "micro"), "convert", "deploy folders written for the final student: "
                                                              f"any of {list(TARGETS)} ('micro' needs a "
                                                              "calibrated quantization: int8 or int16x8)")
    benchmark_runs: int = _setting(200, "benchmark", "timed runs per model, after 20 warm-up runs")

    def __post_init__(self):
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, _checked_type(field, getattr(self, field.name)))
        self._check_choices()
        self._check_ranges()

    def _check_choices(self):
        _one_of("student", self.student, sorted(STUDENTS))
        _one_of("vectorizer", self.vectorizer, VECTORIZERS)
        _one_of("embedding_init", self.embedding_init, EMBEDDING_INITS)
        _one_of("learning_rate_schedule", self.learning_rate_schedule, LEARNING_RATE_SCHEDULES)
        _one_of("distillation_loss", self.distillation_loss, DISTILLATION_LOSSES)
        _one_of("monitor", self.monitor, list(MONITORS))
        _one_of("compress_data", self.compress_data, COMPRESS_DATA)
        if self.embedding_init == "teacher" and self.vectorizer == "hashed":
            raise ValueError("config key 'embedding_init' 'teacher' needs a vocabulary to look up, i.e. vectorizer "
                             "'word', 'mediapipe' or 'wordpiece'; received vectorizer='hashed' (set "
                             "embedding_init: random)")
        if self.teacher_model_file and self.embedding_init == "teacher":
            raise ValueError("config key 'embedding_init' 'teacher' takes word vectors from a keras-hub teacher; a "
                             f"saved Keras model has none (teacher_preset={self.teacher_preset!r}): use "
                             "embedding_init: random")
        if self.teacher_logits is not None:
            if not self.teacher_logits.lower().endswith(".npz"):
                raise ValueError(f"config key 'teacher_logits' must be an .npz file; received {self.teacher_logits!r}")
            if self.embedding_init == "teacher":
                raise ValueError("config key 'embedding_init' 'teacher' needs a teacher model to take word vectors "
                                 "from; with teacher_logits set, use embedding_init: random")
        _one_of("quantization", self.quantization, QUANTIZATIONS)
        for target in self.targets:
            _one_of("targets", target, TARGETS)
        for corpus in self.transfer_corpora:
            _one_of("transfer_corpora", corpus, CORPORA)
        if self.corpus_copies and not self.transfer_corpora:
            raise ValueError(f"config key 'corpus_copies' > 0 needs 'transfer_corpora' (any of {list(CORPORA)}); "
                             f"received corpus_copies={self.corpus_copies} with transfer_corpora=[]")
        if self.dataset not in BUILTIN_DATASETS and not self.dataset.lower().endswith(DATA_FILE_SUFFIXES):
            raise ValueError(f"config key 'dataset' must be one of {list(BUILTIN_DATASETS)} or a data file path "
                             f"({'/'.join(DATA_FILE_SUFFIXES)}); received {self.dataset!r}")
        if self.qat_epochs and self.quantization != "int8":
            raise ValueError(f"config key 'qat_epochs' > 0 needs quantization 'int8'; received qat_epochs="
                             f"{self.qat_epochs} with quantization={self.quantization!r} (set qat_epochs: 0)")
        if "micro" in self.targets and self.quantization not in CALIBRATED_MODES:
            raise ValueError(f"config key 'targets' holds 'micro', which needs quantization one of "
                             f"{list(CALIBRATED_MODES)}; received quantization={self.quantization!r}")

    def _check_ranges(self):
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"config key 'alpha' must be in [0, 1]; received alpha={self.alpha!r}")
        if not 0.0 <= self.target_sparsity < 1.0:
            raise ValueError(f"config key 'target_sparsity' must be in [0, 1); "
                             f"received target_sparsity={self.target_sparsity!r}")
        for name, largest in (("embedding_dim", MAX_EMBEDDING_DIM), ("units", MAX_UNITS)):
            if not 1 <= getattr(self, name) <= largest:
                raise ValueError(f"config key {name!r} must be in [1, {largest}]; "
                                 f"received {name}={getattr(self, name)!r}")
        for name in ("temperature", "teacher_learning_rate", "learning_rate", "compress_learning_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"config key {name!r} must be a finite number > 0; received {name}={value!r}")
        for name in ("teacher_sequence_length", "teacher_batch_size", "vocabulary_size", "sequence_length",
                     "distill_epochs", "patience", "batch_size", "representative_samples", "benchmark_runs"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"config key {name!r} must be >= 1; received {name}={getattr(self, name)!r}")
        for name in ("seed", "teacher_seed", "teacher_epochs", "transfer_copies", "corpus_copies", "prune_epochs",
                     "qat_epochs"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ValueError(f"config key {name!r} must be >= 0; received {name}={getattr(self, name)!r}")

    @classmethod
    def from_dict(cls, values):
        """Builds a config from a dict, rejecting unknown keys by name (missing keys take their defaults)."""
        known = [field.name for field in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; allowed keys: {sorted(known)}")
        return cls(**values)

    @classmethod
    def from_yaml(cls, path, overrides=None):
        """Reads a YAML config file (a mapping of keys to values) or a shipped recipe by name.

        Args:
            path: str or Path of a YAML file, or the name of a recipe in
                `recipes()` (e.g. "quick"); a file of that name wins.
            overrides: dict or None; its keys win over the file's.

        Raises:
            FileNotFoundError: `path` is neither a file nor a recipe name (the recipes are named).
            ValueError: the YAML does not parse (its line is named), is not a
                mapping, repeats a key, or holds an unknown key or bad value.
        """
        import yaml

        path = pathlib.Path(path)
        if not path.is_file():
            if str(path) not in recipes():
                raise FileNotFoundError(f"config file {str(path)!r} does not exist, and it is not a recipe name: "
                                        f"one of {sorted(recipes())}")
            path = recipes()[str(path)]
        try:
            values = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_key_loader())
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise ValueError(f"config file {str(path)!r} is not valid YAML{where}: {problem}") from error
        values = {} if values is None else values
        if not isinstance(values, dict):
            raise ValueError(f"config file {str(path)!r} must hold a mapping of keys to values; "
                             f"received a {type(values).__name__}")
        try:
            return cls.from_dict({**values, **(overrides or {})})
        except ValueError as error:
            raise ValueError(f"config file {str(path)!r}: {error}") from error

    def to_dict(self):
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @property
    def resolved_teacher_seed(self):
        """`teacher_seed`, or `seed` where it is None."""
        return self.seed if self.teacher_seed is None else self.teacher_seed

    @property
    def key(self):
        """8 hex digits naming this config (the default run directory ends with it)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:8]

    def default_output(self):
        """`tflite_models/<dataset>-<student>-<key>`: a run directory of its own for every config."""
        return pathlib.Path("tflite_models") / f"{pathlib.Path(self.dataset).stem}-{self.student}-{self.key}"

    def model_files(self):
        """The run's .tflite files in benchmark order, each a `ModelFile`: teacher (when `teacher_converted`),
        float student, compressed ones."""
        teacher = "MiniLM" if self.teacher_preset == "minilm" else pathlib.Path(self.teacher_preset).name
        compressed = f"student pruned {self.target_sparsity:.0%}" if self.target_sparsity else "student"
        stem = "student_pruned" if self.target_sparsity else "student"
        files = [] if not self.teacher_converted else [
            ModelFile("teacher_float32.tflite", f"teacher ({teacher}, float32)", "teacher", "teacher", "float32")]
        files += [ModelFile("student_float32.tflite", f"student ({self.student}, float32)", "student", "student",
                            "float32"),
                  ModelFile(f"{stem}_{self.quantization}.tflite", f"{compressed} + {self.quantization}", "student",
                            "pruned", self.quantization)]
        if self.qat_epochs:
            files.append(ModelFile(f"{stem}_qat_int8.tflite", f"{compressed} + QAT int8", "student", "quantized",
                                   "int8"))
        return tuple(files)

    @property
    def teacher_model_file(self):
        """Whether `teacher_preset` is a saved Keras model file (.keras or .h5), used as it is."""
        return pathlib.Path(self.teacher_preset).suffix.lower() in (".keras", ".h5")

    @property
    def teacher_converted(self):
        """Whether the run converts and times the teacher: not for a logits file or a saved Keras model."""
        return not self.teacher_logits and not self.teacher_model_file

    def tflite_files(self):
        """{file name: (row name, "teacher" or "student" inputs)} of `model_files()`, in benchmark order."""
        return {spec.file: (spec.row, spec.inputs) for spec in self.model_files()}

    @classmethod
    def group(cls, key):
        """The group of `SETTING_GROUPS` that config key `key` belongs to."""
        return cls.__dataclass_fields__[key].metadata["stage"]

    @classmethod
    def describe(cls):
        """The documented schema: every key with its default, as a commented YAML file grouped by stage."""
        lines = ["# tfkd pipeline config: every key with its default. Keys left out take these values.",
                 "# Use: tfkd run --config this.yaml   (command-line flags win over the file)"]
        for group in SETTING_GROUPS:
            lines += ["", f"# --- {group} ---"]
            for field in dataclasses.fields(cls):
                if field.metadata["stage"] == group:
                    lines.append(f"# {field.metadata['help']}")
                    lines.append(f"{field.name}: {_yaml_value(field.default)}")
        return "\n".join(lines) + "\n"


def derived_length(lengths, share):
    """Tokens per text that fit `share` of `lengths` (token counts), rounded up to 16, in [16, MAX_DERIVED_LENGTH]."""
    needed = float(np.percentile(lengths, 100.0 * share)) if len(lengths) else 1.0
    return int(min(max(16 * math.ceil(needed / 16), 16), MAX_DERIVED_LENGTH))


def derived_copies(training_texts):
    """Variants per training text so that they and the texts make about `TRANSFER_SET_TEXTS` texts.

    MR's 8,516 training sentences get 3 (the measured default); a set of
    3,000 gets 9: a small set needs the teacher's labels on more variants.
    """
    return int(min(max(math.ceil(TRANSFER_SET_TEXTS / max(training_texts, 1)) - 1, 1), MAX_DERIVED_COPIES))


def derived_teacher_epochs(training_texts):
    """Fine-tuning epochs in which the teacher sees about `TEACHER_FIT_TEXTS` texts: 1 for MR, 3 for 3,000 texts.

    One epoch of a small set is too few steps for the teacher to learn the task.
    """
    return int(min(max(math.ceil(TEACHER_FIT_TEXTS / max(training_texts, 1)), 1), MAX_DERIVED_TEACHER_EPOCHS))


def recipes():
    """The shipped recipes, `tfkd run --config NAME`: {name: path of its YAML file}."""
    return {path.stem: path for path in sorted(RECIPES_DIR.glob("*.yaml"))}


def _unique_key_loader():
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """A safe loader that refuses a key given twice (plain YAML keeps the last silently)."""

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    mark = key_node.start_mark
                    raise yaml.constructor.ConstructorError(
                        None, None, f"config key {key!r} is given twice", mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def _checked_type(field, value):
    expected = {"float": float, "int": int, "tuple": tuple}.get(getattr(field.type, "__name__", field.type), str)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is float and isinstance(value, str):  # YAML 1.1 reads 5e-5 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if expected is tuple and isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if expected is tuple and isinstance(value, str):  # from the command line: "mobile,micro"
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if value is None and field.default is None:
        return value
    if not isinstance(value, expected) or isinstance(value, bool):
        kind = "list of str" if expected is tuple else expected.__name__
        raise ValueError(f"config key {field.name!r} must be a {kind}; received {field.name}={value!r}")
    return value


def _one_of(key, value, allowed):
    if value not in allowed:
        raise ValueError(f"config key {key!r} must be one of {list(allowed)}; received {value!r}")


def _yaml_value(value):
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, float) and "e" in repr(value) and "." not in repr(value):
        return repr(value).replace("e", ".0e")  # 5e-05 would read back as a string in YAML 1.1
    return json.dumps(value) if isinstance(value, str) else repr(value)
