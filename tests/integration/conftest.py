"""A PostgreSQL server for the session, started from the distribution's binaries."""

from __future__ import annotations

import os

import pytest

from postgres_server import find_binary, start_server


@pytest.fixture(scope="session")
def postgres():
    """A running throwaway server (trust auth on 127.0.0.1, free port); stopped and removed at
    the end of the session. Skips when initdb / pg_ctl are missing, unless
    CHURN_REQUIRE_POSTGRES is set (.ci/run sets it, after installing Debian's `postgresql`)."""
    if not (find_binary("initdb") and find_binary("pg_ctl")):
        message = ("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
                   "/usr/lib/postgresql/*/bin; install Debian's `postgresql` package")
        if os.environ.get("CHURN_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
