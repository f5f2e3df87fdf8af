"""What machine a benchmark ran on, recorded with its results."""

import os
import platform


def machine_info():
    """Platform, CPU model and count, Python and TensorFlow versions, as a dict."""
    from tfkd._keras import tf

    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
    }


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
