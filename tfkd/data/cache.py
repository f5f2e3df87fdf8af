"""Where tfkd keeps what it downloads or computes once, and atomic writes."""

import contextlib
import os
import pathlib
import tempfile


def cache_dir(subdir=None):
    """The tfkd cache directory, created if needed.

    `$TFKD_CACHE_DIR` if set, else `~/.cache/tfkd`.

    Args:
        subdir: str or None, a folder inside the cache.

    Returns:
        pathlib.Path of the (existing) directory.
    """
    root = pathlib.Path(os.environ.get("TFKD_CACHE_DIR") or pathlib.Path.home() / ".cache" / "tfkd")
    path = root / subdir if subdir else root
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_path(path, overwrite=False):
    """Yields a temporary path beside `path`, renamed to `path` on success.

    A reader never sees a half-written file, and a failure leaves whatever
    was at `path` untouched.

    Raises:
        FileExistsError: `path` exists and `overwrite` is False.
        PermissionError / NotADirectoryError: the folder cannot be created or
            written (the folder is named).
    """
    path = pathlib.Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; refusing to overwrite it (pass overwrite=True to replace it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (PermissionError, NotADirectoryError, FileExistsError) as error:
        raise type(error)(f"cannot write {path.name} into {path.parent}: {error.strerror or error}; "
                          "choose a writable output directory") from error
    os.close(handle)
    try:
        yield pathlib.Path(temporary)
        if os.path.isfile(temporary):  # mkstemp makes it 0600; the file gets what the user's umask gives
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _umask():
    mask = os.umask(0)  # reading the umask means setting it: set it straight back
    os.umask(mask)
    return mask


def write_bytes_atomic(path, data, overwrite=False):
    """Writes `data` to `path` through a temporary file; returns the path."""
    with atomic_path(path, overwrite=overwrite) as temporary:
        temporary.write_bytes(data)
    return pathlib.Path(path)
