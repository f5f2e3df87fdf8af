"""Teachers: a keras-hub classifier fine-tuned on the task (bundled MiniLM by default)."""

from tfkd.teachers.minilm import MINILM_PRESET, minilm_dir
from tfkd.teachers.text_classifier_teacher import TextClassifierTeacher, fine_tuned_teacher

__all__ = ["MINILM_PRESET", "TextClassifierTeacher", "fine_tuned_teacher", "minilm_dir"]
