"""Progress on long loops: a tqdm bar on a terminal or in a notebook, a line a minute in a log."""

import os
import sys
import time

# Seconds between two progress lines in a log; a loop shorter than this prints none.
LOG_INTERVAL_SECONDS = 60


def progress(iterable, description, total=None, work=None):
    """Wraps `iterable` so that a long loop shows how far it is.

    On a terminal or in a notebook: a tqdm bar (when tqdm is installed).
    Elsewhere (a log file, CI) a redrawn bar would fill the log, so a loop
    prints a line to stderr every `LOG_INTERVAL_SECONDS` instead, with its
    share done and the time left, e.g. `teacher logits: 20% (1,000 of
    4,992) after 4 min, about 16 min left`. Silent when TFKD_QUIET=1.

    `work`, when given, is what each item costs (e.g. the tokens in each
    batch, in the loop's order): the share done and the time left are then
    reckoned by the work done, not by the items, so a loop whose items grow
    (batches sorted by length) does not promise an end it cannot keep.
    """
    if os.environ.get("TFKD_QUIET") == "1":
        return iterable
    work = None if work is None else [float(cost) for cost in work]
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if total is None and work is not None:
        total = len(work)
    if work is not None and total != len(work):
        raise ValueError(f"work has {len(work)} costs for a loop of {total} items: give one cost per item")
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _logged(iterable, description, total, work)
    if work is None:
        bar = tqdm(iterable, desc=description, total=total, leave=False, dynamic_ncols=True, disable=None)
        return _logged(iterable, description, total) if bar.disable else bar
    bar = tqdm(desc=description, total=sum(work), leave=False, dynamic_ncols=True, disable=None, unit_scale=True)
    return _logged(iterable, description, total, work) if bar.disable else _advanced_by_work(iterable, work, bar)


def _advanced_by_work(iterable, work, bar):
    """`iterable`, moving the tqdm `bar` (whose total is the summed work) on by each item's cost."""
    with bar:
        for item, cost in zip(iterable, work):
            yield item
            bar.update(cost)


def _logged(iterable, description, total, work=None):
    """`iterable`, with a line on stderr each `LOG_INTERVAL_SECONDS` while it runs."""
    start = last = time.perf_counter()
    all_work, work_done, share = (sum(work), 0.0, None) if work else (None, None, None)
    for done, item in enumerate(iterable, 1):
        yield item
        if all_work:
            work_done += work[done - 1]
            share = work_done / all_work
        now = time.perf_counter()
        if now - last >= LOG_INTERVAL_SECONDS and (total is None or done < total):
            last = now
            print(f"   {description}: {_how_far(done, total, now - start, share)}", file=sys.stderr, flush=True)


def _how_far(done, total, seconds, share=None):
    """E.g. `20% (1,000 of 4,992) after 4 min, about 16 min left`.

    `share`: the part of the work done, where it is not done / total.
    """
    if not total:
        return f"{done:,} after {_duration(seconds)}"
    share = done / total if share is None else share
    left = seconds * (1.0 - share) / share if share else 0.0
    return f"{share:.0%} ({done:,} of {total:,}) after {_duration(seconds)}, about {_duration(left)} left"


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def keras_verbosity():
    """Keras `verbose`: a live progress bar on a terminal, one line per epoch in a log."""
    return 1 if sys.stdout.isatty() else 2
