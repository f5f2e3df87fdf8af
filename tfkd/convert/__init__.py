"""Conversion to TFLite and running the result in the LiteRT interpreter."""

from tfkd.convert.converter import MODES, convert
from tfkd.convert.tflite_model import TFLiteModel

__all__ = ["MODES", "TFLiteModel", "convert"]
