"""Conversion to TFLite, verified in the LiteRT and TFLite Micro interpreters.

`tfkd.convert` is this subpackage and, called, the conversion function:
`tfkd.convert(model, "int8", data)` is `tfkd.convert.convert(model, "int8", data)`,
and `tfkd.convert.deploy`, `tfkd.convert.strip_tensor_names`, ... are its other names.
"""

import sys
import types

from tfkd.convert.converter import MODES, convert, strip_tensor_names
from tfkd.convert.deploy import TARGETS, deploy
from tfkd.convert.micro_model import MicroModel
from tfkd.convert.mobile_metadata import attach_metadata, read_metadata
from tfkd.convert.onnx_export import export_onnx
from tfkd.convert.tflite_metadata import attach_tflite_metadata, read_tflite_metadata
from tfkd.convert.tflite_model import TFLiteModel
from tfkd.convert.verification import verify_conversion

__all__ = ["MODES", "MicroModel", "TARGETS", "TFLiteModel", "attach_metadata", "attach_tflite_metadata", "convert",
           "deploy", "export_onnx", "read_metadata", "read_tflite_metadata", "strip_tensor_names", "verify_conversion"]


class _CallableModule(types.ModuleType):
    """The subpackage's module type: calling the module converts, so one name serves both uses."""

    def __call__(self, *args, **kwargs):
        return convert(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
