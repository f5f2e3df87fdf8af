"""tfkd.data.tfds_source: online datasets say clearly why they cannot load offline."""

import socket

import pytest

import tfkd
from tfkd.data.tfds_source import TFDS_DATASETS


def _online(host):
    try:
        socket.create_connection((host, 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("name", sorted(TFDS_DATASETS))
def test_offline_error_names_the_bundled_dataset(name, tmp_path):
    if _online(TFDS_DATASETS[name][0]):
        pytest.skip("this machine is online; the offline message cannot be checked")
    with pytest.raises(ConnectionError, match=rf"Cannot load tfds dataset '{name}'.*tfkd.data.load\('mr'\)"):
        tfkd.data.load(name, data_dir=str(tmp_path))
