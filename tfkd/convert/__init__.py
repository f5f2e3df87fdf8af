"""Conversion to TFLite, verified in the LiteRT and TFLite Micro interpreters."""

from tfkd.convert.converter import MODES, convert
from tfkd.convert.micro_model import MicroModel
from tfkd.convert.tflite_model import TFLiteModel
from tfkd.convert.verification import verify_conversion

__all__ = ["MODES", "MicroModel", "TFLiteModel", "convert", "verify_conversion"]
