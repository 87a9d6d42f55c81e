"""A PostgreSQL server for the session, started from the distribution's binaries."""

from __future__ import annotations

import pytest

from postgres_server import find_binary, start_server


@pytest.fixture(scope="session")
def postgres():
    """A running throwaway server (trust auth on 127.0.0.1, free port); stopped and removed at
    the end of the session. Fails when initdb / pg_ctl are missing (.ci/run installs Debian's
    `postgresql`): the production profile is a feature, not an optional extra."""
    if not (find_binary("initdb") and find_binary("pg_ctl")):
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
                    "Debian's postgresql folders; install Debian's `postgresql` package")
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
