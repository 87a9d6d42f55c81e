"""Start and stop the long-running UI servers (Dagster, MLflow, dbt docs) as process groups.

Each server runs in its own session/process group (`start_new_session=True`), because each one
spawns children of its own: `dagster dev` starts the webserver, the daemon and a code server;
`mlflow ui` starts uvicorn workers and huey job consumers. Terminating only the parent leaves
those children behind (still holding ports, and for the code server possibly the DuckDB file),
so stopping always signals the whole group: SIGTERM, then SIGKILL after a grace period.

The report server is Python's `http.server` over CHURN_HOME/reports, a group like the others.

Also the readiness probes the CLI and the browser tests share: Dagster's `/server_info` and its
GraphQL `locationStatusesOrError`, and a plain HTTP probe for MLflow / dbt docs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN_DIR = Path(sys.executable).parent

LOCATION_STATUS_QUERY = """
query {
  locationStatusesOrError {
    __typename
    ... on WorkspaceLocationStatusEntries {
      entries { name loadStatus }
    }
    ... on PythonError { message }
  }
}
"""

LOCATION_ERRORS_QUERY = """
query {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""


def static_server_command(directory: str | os.PathLike, host: str, port: int) -> list[str]:
    """A plain static file server for `directory` (the marketing report): Python's http.server."""
    return [sys.executable, "-m", "http.server", str(port), "--bind", host,
            "--directory", str(directory)]


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a UI child: this one, with the venv's bin first on PATH (dagster-dbt
    looks `dbt` up on PATH; `python -m orchestration.cli` does not put it there)."""
    env = dict(os.environ if base is None else base)
    path = env.get("PATH", "")
    if str(BIN_DIR) not in path.split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (str(BIN_DIR), path) if p)
    return env


def start_group(cmd: Sequence[str], env: Mapping[str, str] | None = None,
                cwd: str | os.PathLike | None = None, stdout=None,
                stderr=None) -> subprocess.Popen:
    """Start `cmd` as the leader of a new session (so a new process group with pgid == pid)."""
    return subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd,
                            stdout=stdout, stderr=stderr, start_new_session=True)


def group_alive(pgid: int) -> bool:
    """True while any non-zombie process remains in the process group `pgid`."""
    proc_dir = Path("/proc")
    if proc_dir.is_dir():
        for entry in proc_dir.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_groups(procs: Sequence[subprocess.Popen | int], timeout: float = 20.0) -> list[bool]:
    """SIGTERM the whole process group of each of `procs` (Popens started by `start_group`, or
    pgids) at once, wait up to `timeout` seconds for every member to exit, then SIGKILL what is
    left. Returns, per group, True when it went away on SIGTERM alone."""
    pgids = [p if isinstance(p, int) else p.pid for p in procs]
    popens = [p for p in procs if not isinstance(p, int)]

    def reap() -> None:
        for popen in popens:
            popen.poll()

    def alive() -> list[int]:
        reap()
        return [g for g in pgids if group_alive(g)]

    for pgid in alive():
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while (left := alive()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pgid in left:
        _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    for popen in popens:
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    return [g not in left for g in pgids]


def stop_group(proc: subprocess.Popen | int, timeout: float = 20.0) -> bool:
    """`stop_groups` for one group."""
    return stop_groups([proc], timeout)[0]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def graphql(base_url: str, query: str, variables: dict | None = None,
            timeout: float = 30.0) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"{base_url.rstrip('/')}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def _alive_or_raise(procs: Sequence[subprocess.Popen], what: str) -> None:
    for proc in procs:
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: process {proc.args!r} exited with {proc.returncode}")


def wait_http(url: str, timeout: float = 180.0,
              procs: Sequence[subprocess.Popen] = ()) -> None:
    """Poll `url` until it answers 2xx/3xx."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        _alive_or_raise(procs, f"waiting for {url}")
        try:
            status, _ = http_get(url, timeout=10)
            if status < 400:
                return
            last = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as exc:
            last = repr(exc)
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s (last: {last})")


def wait_dagster_loaded(base_url: str, timeout: float = 300.0,
                        procs: Sequence[subprocess.Popen] = ()) -> list[dict]:
    """Poll `/server_info`, then GraphQL `locationStatusesOrError` until every code location is
    LOADED. Returns the location entries."""
    deadline = time.monotonic() + timeout
    wait_http(f"{base_url.rstrip('/')}/server_info", timeout=timeout, procs=procs)
    last: object = None
    while time.monotonic() < deadline:
        _alive_or_raise(procs, "waiting for the Dagster code location")
        try:
            data = graphql(base_url, LOCATION_STATUS_QUERY)
            result = data.get("data", {}).get("locationStatusesOrError", {})
            entries = result.get("entries") or []
            last = result
            if entries and all(e.get("loadStatus") == "LOADED" for e in entries):
                workspace = graphql(base_url, LOCATION_ERRORS_QUERY)
                located = (workspace.get("data", {}).get("workspaceOrError") or {})
                errors = [f"{e['name']}: {e['locationOrLoadError'].get('message', '')}"
                          for e in located.get("locationEntries") or []
                          if (e.get("locationOrLoadError") or {}).get("__typename")
                          == "PythonError"]
                if errors:
                    raise RuntimeError("Dagster code location failed to load:\n"
                                       + "\n".join(errors))
                return entries
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last = repr(exc)
        time.sleep(2)
    raise TimeoutError(f"Dagster code location not LOADED within {timeout:.0f}s (last: {last})")
