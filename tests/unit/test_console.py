"""The CLI's console: a few lines on the terminal, everything else in CHURN_HOME/logs; expected
failures as one `error:` sentence naming the step and the log, without a traceback."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.console import Console, Transient, log_path
from orchestration.runner import PipelineError, error_reason

# A process whose stdout and stderr are pipes, as under CI or `| tee`: only what is said
# reaches them; prints, logging, warnings and a subprocess's output go to the log.
_SCRIPT = textwrap.dedent("""
    import logging, os, subprocess, sys, warnings
    from pathlib import Path
    from orchestration.console import Console, Transient

    with Console(Path(sys.argv[1])) as console:
        print("a library prints")
        print("to stderr too", file=sys.stderr)
        logging.getLogger("dagster.builtin").info("dagster logs")
        logging.getLogger("mlflow").warning("mlflow warns")
        warnings.warn("a warning")
        subprocess.run(["sh", "-c", "echo dbt writes; echo dbt errs >&2"], check=True)
        console.say(Transient("[dbt] materializing ..."))
        console.say("[dbt] 28 assets, 291 checks in 41.2s")
        console.error("something failed")
    print("after: back on the terminal")
""")


def test_only_what_is_said_reaches_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "run.log"
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(log)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[dbt] 28 assets, 291 checks in 41.2s",
                                        "after: back on the terminal"]
    assert done.stderr.splitlines() == ["error: something failed"]
    text = log.read_text()
    for line in ("a library prints", "to stderr too", "INFO dagster.builtin: dagster logs",
                 "WARNING mlflow: mlflow warns", "a warning", "dbt writes", "dbt errs",
                 ">>> [dbt] materializing ...", ">>> [dbt] 28 assets, 291 checks in 41.2s",
                 ">>> error: something failed"):
        assert line in text, line
    assert "after: back on the terminal" not in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_transient_is_a_status_line_on_a_terminal(tmp_path: Path) -> None:
    with Console(tmp_path / "run.log") as console:
        console._out = terminal = _Terminal()
        console.say(Transient("[ml] materializing ..."))
        console.say("[ml] 3 assets in 29.5s")
        console._out = None
    assert terminal.getvalue() == "\r\033[K[ml] materializing ...\r\033[K[ml] 3 assets in 29.5s\n"


def test_without_a_log_everything_is_printed(capsys) -> None:
    console = Console()
    console.say(Transient("[raw] materializing ..."))
    console.say("[raw] 10 assets in 7.9s")
    assert capsys.readouterr().out == "[raw] materializing ...\n[raw] 10 assets in 7.9s\n"


def test_log_names_are_unique(tmp_path: Path) -> None:
    first = log_path(tmp_path, "demo")
    first.write_text("")
    second = log_path(tmp_path, "demo")
    assert first.name.startswith("demo-") and second != first and second.suffix == ".log"


# -- the sentence of a failed stage --------------------------------------------------------------


def _error(cls_name: str, message: str, cause=None):
    from dagster._utils.error import SerializableErrorInfo

    return SerializableErrorInfo(message=message, stack=[], cls_name=cls_name, cause=cause)


def test_reason_is_what_the_asset_raised() -> None:
    raised = _error("ValueError", "ValueError: no labelled snapshot\n")
    wrapper = _error("DagsterExecutionStepExecutionError",
                     "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred "
                     "while executing op \"churn_model\"::\n", cause=raised)
    assert error_reason(wrapper) == "ValueError: no labelled snapshot"
    dbt = _error("DagsterDbtCliRuntimeError",
                 "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with "
                 "command\n\n`dbt build ...`\n\nfailed with exit code `1`.\n\n"
                 "Errors parsed from dbt logs:\n\nRuntime Error in model stg_orders (x.sql)\n"
                 "  Binder Error: column foo not found\n")
    assert error_reason(dbt) == ("Runtime Error in model stg_orders (x.sql): Binder Error: "
                                 "column foo not found")
    dbt_failure = _error("DagsterDbtCliRuntimeError",
                         "DagsterDbtCliRuntimeError: failed\n\nErrors parsed from dbt logs:\n\n"
                         "15 of 19 ERROR creating sql table model marts.recall_segments ...... "
                         "[\x1b[31mERROR\x1b[0m in 0.46s]\n\n\x1b[31mFailure in model "
                         "recall_segments (models/recall_segments.sql)\x1b[0m\n\n  Runtime "
                         "Error in model recall_segments (models/recall_segments.sql)\n  Catalog "
                         "Error: Table with name x does not exist!\n  \n  LINE 42: ...\n")
    assert error_reason(dbt_failure) == (
        "Runtime Error in model recall_segments (models/recall_segments.sql): Catalog Error: "
        "Table with name x does not exist!")
    dbt_test = _error("DagsterDbtCliRuntimeError",
                      "x\nErrors parsed from dbt logs:\n\n3 of 9 FAIL 2 not_null_orders_id ... "
                      "[FAIL 2 in 0.1s]\n\nFailure in test not_null_orders_id (models/x.yml)\n"
                      "  Got 2 results, configured to fail if != 0\n")
    assert error_reason(dbt_test) == ("Failure in test not_null_orders_id (models/x.yml): Got 2 "
                                      "results, configured to fail if != 0")
    assert len(error_reason(_error("RuntimeError", "RuntimeError: " + "x" * 900))) == 300
    assert error_reason(None) is None


def test_pipeline_error_sentence() -> None:
    one = PipelineError("stage ml failed (run r)\nlong traceback", stage="ml",
                        steps=["churn_model"], reason="ValueError: bad")
    assert one.sentence == "stage ml failed at step churn_model (ValueError: bad)"
    many = PipelineError("x", stage="raw", steps=["a", "b", "c", "d", "e"])
    assert many.sentence == "stage raw failed at steps a, b, c and 2 more"
    assert PipelineError("plain message\nmore").sentence == "plain message"


# -- main(): what a failing command prints -------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "churn"
    monkeypatch.setenv("CHURN_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.setenv("CHURN_DUCKDB_PATH", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_USE_COLORS", "false")  # main() sets it; undone after the test
    monkeypatch.setattr(cli, "_prepare_dbt", lambda: None)  # no dbt parse in a unit test
    return home


def _only_log(home: Path) -> Path:
    logs = list((home / "logs").glob("materialize-*.log"))
    assert len(logs) == 1, logs
    return logs[0]


def test_failed_stage_is_one_sentence_naming_step_and_log(home: Path, monkeypatch,
                                                          capsys) -> None:
    def fails(args):
        cli._say("[raw] 10 assets in 7.9s")
        raise PipelineError("stage ml failed (run r); failed checks: none\nthe whole traceback",
                            stage="ml", steps=["churn_model"], reason="ValueError: bad input")

    monkeypatch.setattr(cli, "cmd_materialize", fails)
    assert cli.main(["materialize"]) == 1
    out, err = capsys.readouterr()
    log = _only_log(home)
    assert out == "[raw] 10 assets in 7.9s\n"
    assert err == (f"error: stage ml failed at step churn_model (ValueError: bad input); "
                   f"see {log}\n")
    assert "the whole traceback" in log.read_text() and "Traceback" in log.read_text()


def test_invalid_setting_and_refusal(home: Path, capsys) -> None:
    assert cli.main(["materialize", "--set", "holdout_share=7"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid settings: holdout_share=7.0") and "Traceback" not in err
    log = _only_log(home)
    assert err.rstrip().endswith(f"; see {log}") and len(err.splitlines()) == 1
    log.unlink()
    with pytest.raises(SystemExit) as refused:  # no warehouse yet
        cli.main(["materialize"])
    assert refused.value.code == 1
    err = capsys.readouterr().err
    assert err == f"error: no warehouse at {home / 'warehouse.duckdb'}: run `churn-recall demo` " \
                  f"or `churn-recall load DIR` first; see {_only_log(home)}\n"


def test_unexpected_error_keeps_its_traceback_and_names_the_log(home: Path, monkeypatch,
                                                                capsys) -> None:
    def breaks(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "cmd_materialize", breaks)
    with pytest.raises(ZeroDivisionError):
        cli.main(["materialize"])
    log = _only_log(home)
    assert capsys.readouterr().err == f"error: unexpected failure; see {log}\n"
    assert "ZeroDivisionError: a bug" in log.read_text()
