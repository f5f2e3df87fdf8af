"""Progress bars for long loops (tqdm when installed, else a plain pass-through)."""

import os
import sys


def progress(iterable, description, total=None):
    """Wraps `iterable` in a progress bar on stderr.

    Shown on a terminal only (a log file would fill with redraws); silent
    when TFKD_QUIET=1.
    """
    if os.environ.get("TFKD_QUIET") == "1":
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=description, total=total, leave=False, dynamic_ncols=True, disable=None)


def keras_verbosity():
    """Keras `verbose`: a live progress bar on a terminal, one line per epoch in a log."""
    return 1 if sys.stdout.isatty() else 2
