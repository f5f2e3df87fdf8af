"""tfkd.data.cache: atomic writes that never overwrite silently, and clear errors for unwritable places."""

import os
import stat

import pytest

from tfkd.data.cache import write_bytes_atomic


def test_write_is_atomic_and_refuses_to_overwrite(tmp_path):
    path = write_bytes_atomic(tmp_path / "a" / "file.bin", b"first")
    assert path.read_bytes() == b"first"
    with pytest.raises(FileExistsError, match="file.bin already exists; refusing to overwrite it"):
        write_bytes_atomic(path, b"second")
    assert path.read_bytes() == b"first"
    write_bytes_atomic(path, b"third", overwrite=True)
    assert path.read_bytes() == b"third"
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.bin"]  # no temporary left


def test_a_folder_that_is_a_file_is_named(tmp_path):
    blocker = tmp_path / "models"
    blocker.write_bytes(b"not a folder")
    with pytest.raises((NotADirectoryError, FileExistsError),
                       match=r"cannot write model.tflite into .*models.*choose a writable output directory"):
        write_bytes_atomic(blocker / "model.tflite", b"x")
    assert blocker.read_bytes() == b"not a folder"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
                         ids=["022", "077", "002"])
def test_written_files_get_the_users_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        path = write_bytes_atomic(tmp_path / "model.tflite", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == mode
