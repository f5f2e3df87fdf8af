"""Argument checks shared by the public API, with messages that name the value."""

import numbers


def check_integer(name, value, least):
    """Returns `value` as int, or raises ValueError unless it is an integer >= `least` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"`{name}` must be an integer >= {least}; received {name}={value!r}")
    return int(value)
