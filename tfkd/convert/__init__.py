"""Conversion to TFLite, verified in the LiteRT and TFLite Micro interpreters."""

from tfkd.convert.converter import MODES, convert, strip_tensor_names
from tfkd.convert.deploy import TARGETS, deploy
from tfkd.convert.micro_model import MicroModel
from tfkd.convert.mobile_metadata import attach_metadata, read_metadata
from tfkd.convert.onnx_export import export_onnx
from tfkd.convert.tflite_metadata import attach_tflite_metadata, read_tflite_metadata
from tfkd.convert.tflite_model import TFLiteModel
from tfkd.convert.verification import verify_conversion

__all__ = ["MODES", "MicroModel", "TARGETS", "TFLiteModel", "attach_metadata", "attach_tflite_metadata", "convert", "deploy", "export_onnx",
           "read_metadata", "read_tflite_metadata", "strip_tensor_names", "verify_conversion"]
