import pytest

from addons.lab import start_moto, stop


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    """A real moto server on loopback, signature checks on."""
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    stop(server.proc)
