"""What the CLI shows on the terminal, and the log file that gets everything else.

A `Console` opens `CHURN_HOME/logs/<command>-<timestamp>.log` and, while it is active, sends
there whatever is not said to the user on purpose: Python logging (the root logger, which
Dagster's `dagster.builtin`, dbt, MLflow and Great Expectations propagate to), warnings, and
file descriptors 1 and 2 themselves (`os.dup2`), so that what libraries print and what
subprocesses write (dbt's output) lands in the file too. `say` writes to the real terminal (a
duplicate of the original stdout taken before the redirection) and to the log.

A `Transient` message (a stage that is starting) is a status line on a terminal, replaced by
the next message; when the output is not a terminal it goes to the log only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CLEAR = "\r\033[K"


class Transient(str):
    """A progress message the next one replaces (e.g. "[dbt] materializing ...")."""


def log_path(logs_dir: Path, command: str, now: datetime | None = None) -> Path:
    """`<logs_dir>/<command>-<YYYYmmdd-HHMMSS>.log`, with a suffix if that name is taken."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = logs_dir / f"{command}-{stamp}.log"
    n = 2
    while path.exists():
        path = logs_dir / f"{command}-{stamp}-{n}.log"
        n += 1
    return path


def _own_fd_stream(stream: TextIO, fd: int) -> TextIO | None:
    """A new stream on a duplicate of `fd` when `stream` writes to `fd` (a real terminal, pipe
    or file); None when it does not (pytest's capsys, a StringIO): then it is used as it is."""
    try:
        if stream.fileno() != fd:
            return None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    stream.flush()
    return open(os.dup(fd), "w", buffering=1, encoding=getattr(stream, "encoding", None)
                or "utf-8", errors="replace")


class Console:
    """The terminal and the log file of one CLI run. Without a log path (`--verbose`), `say`
    prints and nothing is redirected."""

    def __init__(self, log_file: Path | None = None):
        self.log_file = log_file
        self.active = False
        self._log: TextIO | None = None
        self._out: TextIO | None = None  # while active; else whatever sys.stdout is now
        self._err: TextIO | None = None
        self._owned: list[TextIO] = []
        self._saved_fds: list[int] = []
        self._saved_logging: tuple | None = None
        self._status = False  # a transient line is on the terminal

    # -- what people see ------------------------------------------------------------------------

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout

    @property
    def err(self) -> TextIO:
        return self._err or sys.stderr

    @property
    def is_tty(self) -> bool:
        try:
            return self.out.isatty()
        except (AttributeError, ValueError):
            return False

    def say(self, message: str) -> None:
        """One message for the terminal (and the log)."""
        text = str(message)
        self._to_log(text)
        if isinstance(message, Transient) and self.log_file is not None:
            if self.is_tty:
                self.out.write(_CLEAR + text)
                self.out.flush()
                self._status = True
            return
        self._end_status()
        self.out.write(text + "\n")
        self.out.flush()

    def error(self, sentence: str) -> None:
        """`error: <sentence>` on stderr (and in the log)."""
        self._to_log(f"error: {sentence}")
        self._end_status()
        self.err.write(f"error: {sentence}\n")
        self.err.flush()

    def log_exception(self) -> None:
        """The exception being handled, with its traceback, into the log only."""
        self._to_log(traceback.format_exc().rstrip())

    def _end_status(self) -> None:
        if self._status:
            self.out.write(_CLEAR)
            self.out.flush()
            self._status = False

    def _to_log(self, text: str) -> None:
        if self._log is not None:
            self._log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} >>> {text}\n")
            self._log.flush()

    # -- the redirection ------------------------------------------------------------------------

    def __enter__(self) -> "Console":
        if self.log_file is None:
            return self
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        # Append mode: this stream, fds 1 and 2 and the subprocesses all write at the end.
        self._log = open(self.log_file, "a", buffering=1, encoding="utf-8", errors="replace")
        for stream, fd, attr in ((sys.stdout, 1, "_out"), (sys.stderr, 2, "_err")):
            own = _own_fd_stream(stream, fd)
            if own is not None:
                self._owned.append(own)
            setattr(self, attr, own or stream)
        root = logging.getLogger()
        self._saved_logging = (root.handlers[:], root.level)
        handler = logging.StreamHandler(self._log)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.handlers = [handler]
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        for fd in (1, 2):
            self._saved_fds.append(os.dup(fd))
            os.dup2(self._log.fileno(), fd)
        self.active = True
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.log_file is None or not self.active:
            return
        if exc_type is not None and not issubclass(exc_type, (SystemExit, KeyboardInterrupt)):
            self._to_log("".join(traceback.format_exception(exc_type, exc, tb)).rstrip())
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, saved in zip((1, 2), self._saved_fds, strict=True):
            os.dup2(saved, fd)
            os.close(saved)
        self._saved_fds = []
        self._end_status()
        logging.captureWarnings(False)
        root = logging.getLogger()
        handlers, level = self._saved_logging
        root.handlers = handlers
        root.setLevel(level)
        for own in self._owned:
            with contextlib.suppress(Exception):
                own.close()
        self._owned = []
        self._out = self._err = None
        self._log.close()
        self._log = None
        self.active = False
