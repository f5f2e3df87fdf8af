"""Teachers: a keras-hub classifier fine-tuned on the task (bundled MiniLM by default), a saved Keras model, or a
file of logits."""

from tfkd.teachers.keras_model_teacher import KerasModelTeacher
from tfkd.teachers.logits_file_teacher import LogitsFileTeacher
from tfkd.teachers.minilm import MINILM_PRESET, minilm_dir
from tfkd.teachers.text_classifier_teacher import TextClassifierTeacher, fine_tuned_teacher

__all__ = ["KerasModelTeacher", "LogitsFileTeacher", "MINILM_PRESET", "TextClassifierTeacher", "fine_tuned_teacher",
           "minilm_dir"]
