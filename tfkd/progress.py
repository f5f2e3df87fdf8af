"""Progress on long loops: a tqdm bar on a terminal or in a notebook, a line a minute in a log."""

import os
import sys
import time

# Seconds between two progress lines in a log; a loop shorter than this prints none.
LOG_INTERVAL_SECONDS = 60


def progress(iterable, description, total=None):
    """Wraps `iterable` so that a long loop shows how far it is.

    On a terminal or in a notebook: a tqdm bar (when tqdm is installed).
    Elsewhere (a log file, CI) a redrawn bar would fill the log, so a loop
    prints a line to stderr every `LOG_INTERVAL_SECONDS` instead, with its
    share done and the time left, e.g. `teacher logits: 20% (1,000 of
    4,992) after 4 min, about 16 min left`. Silent when TFKD_QUIET=1.
    """
    if os.environ.get("TFKD_QUIET") == "1":
        return iterable
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _logged(iterable, description, total)
    bar = tqdm(iterable, desc=description, total=total, leave=False, dynamic_ncols=True, disable=None)
    return _logged(iterable, description, total) if bar.disable else bar


def _logged(iterable, description, total):
    """`iterable`, with a line on stderr each `LOG_INTERVAL_SECONDS` while it runs."""
    start = last = time.perf_counter()
    for done, item in enumerate(iterable, 1):
        yield item
        now = time.perf_counter()
        if now - last >= LOG_INTERVAL_SECONDS and (total is None or done < total):
            last = now
            print(f"   {description}: {_how_far(done, total, now - start)}", file=sys.stderr, flush=True)


def _how_far(done, total, seconds):
    """E.g. `20% (1,000 of 4,992) after 4 min, about 16 min left`."""
    if not total:
        return f"{done:,} after {_duration(seconds)}"
    left = seconds * (total - done) / done
    return f"{done / total:.0%} ({done:,} of {total:,}) after {_duration(seconds)}, about {_duration(left)} left"


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def keras_verbosity():
    """Keras `verbose`: a live progress bar on a terminal, one line per epoch in a log."""
    return 1 if sys.stdout.isatty() else 2
