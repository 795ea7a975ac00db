"""The `sitrep` command line: run the pipeline, load files, query the warehouse, report."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from flows.kinds import UnknownKindError, check_kind, kind_names
from flows.settings import ConfigError, Settings, SourceConfig, quiet_environment
from flows.terminal_text import cell, visible
from transforms.errors import did_you_mean, expected, one_line
from transforms.redaction import redact

HELP = """sitrep: displacement statistics and news into one DuckDB warehouse and a report.

Examples:

  sitrep run                                  # every source in ./sitrep.toml

  sitrep load dtm data/samples/dtm/displacement-admin1-tcd.json

  sitrep query --name latest-idps --param iso3=TCD

  sitrep status

  sitrep report --country COD
"""


class _Commands(typer.core.TyperGroup):
    """The commands, with flags shown bare in help: Typer labels every option with its type,
    and a flag such as `--force <bool>` reads as if it took a value."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _bare_flags(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _bare_flags(command.get_params(ctx))
        return command


def _bare_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


app = typer.Typer(
    cls=_Commands,
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    # A bug gets Python's own traceback: no locals printed (they can hold credentials).
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Load again even when the inputs are unchanged.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress lines (errors still print).")
]
SummaryFormatOpt = Annotated[
    str,
    typer.Option(
        "--format", help="table (counts on the terminal) or json (one summary object on stdout)."
    ),
]
FORMATS = ("table", "csv", "json", "parquet")
SUMMARY_FORMATS = ("table", "json")


class UsageError(Exception):
    """Bad usage or input: exit code 2."""


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"sitrep {version('sitrep')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Options for every command."""


def fail(message: object, code: int = 2) -> typer.Exit:
    """Print one `error:` line (the message folded, never read as markup); the exit to raise."""
    say_error(message)
    return typer.Exit(code)


def say_error(message: object) -> None:
    line = escape(visible(redact(one_line(message))))
    err.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)


# Prefect's own console lines are kept for warnings; the Prefect UI still gets every log line.
CONSOLE_LOGGING = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "WARNING",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "WARNING",
}


def _settings(config: Path | None = None) -> Settings:
    try:
        settings = Settings(config=config) if config else Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SITREP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"settings: {problems}") from None
    if "PREFECT_HOME" not in os.environ:
        prefect_home = (settings.home / "prefect").resolve()
        prefect_home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(prefect_home)
    quiet_environment()
    return settings


@app.command()
def run(
    config: ConfigOpt = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Only this configured source (repeatable)."),
    ] = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    fmt: SummaryFormatOpt = "table",
) -> None:
    """Run the whole pipeline for the configured sources.

    A source whose inputs are the very bytes of its last successful load (same settings and
    sitrep version) is recorded as unchanged and not loaded again; --force loads it anyway.

    Examples:
      sitrep run --config sitrep.toml --source dtm
      sitrep run --quiet --format json
    """
    _check_format(fmt, SUMMARY_FORMATS)
    settings = _settings(config)
    try:
        sources = settings.sources()
    except ConfigError as exc:
        raise fail(str(exc)) from None
    if source:
        unknown = sorted(set(source) - {s.name for s in sources})
        if unknown:
            names = ", ".join(s.name for s in sources)
            raise fail(f"no configured source named {', '.join(unknown)}; configured: {names}")
        sources = [s for s in sources if s.name in source]
    _check_kinds(sources)
    failed = _run_pipeline(settings, sources, force, _Summary(fmt, quiet))
    raise typer.Exit(1 if failed else 0)


@app.command()
def load(
    kind: Annotated[str, typer.Argument(help=f"Source kind: {', '.join(kind_names())}.")],
    paths: Annotated[list[str], typer.Argument(help="Files, folders or URLs of that kind.")],
    name: Annotated[str | None, typer.Option(help="Source name to record (default: kind).")] = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    fmt: SummaryFormatOpt = "table",
) -> None:
    """Ingest files or URLs of one kind through the same pipeline.

    Examples:
      sitrep load dtm data/samples/dtm/displacement-admin1-tcd.json
      sitrep load dtm data/samples/dtm/ --quiet --format json
    """
    _check_format(fmt, SUMMARY_FORMATS)
    settings = _settings()
    try:
        check_kind(kind)
    except UnknownKindError as exc:
        raise fail(exc) from None
    locations = []
    for p in paths:
        if "://" not in p and not Path(p).exists():
            raise fail(f"{p}: no such file or folder")
        locations.append(p if "://" in p else str(Path(p).resolve()))
    source = SourceConfig(name=name or kind, kind=kind, location=locations)
    failed = _run_pipeline(settings, [source], force, _Summary(fmt, quiet))
    raise typer.Exit(2 if failed else 0)


def _check_kinds(sources: list[SourceConfig]) -> None:
    """Refuse an unknown kind before anything starts (no source module is imported)."""
    for s in sources:
        try:
            check_kind(s.kind)
        except UnknownKindError as exc:
            raise fail(f"source {s.name}: {exc}") from None


@dataclass(frozen=True)
class _Summary:
    """How `run` and `load` tell what happened: counts format, and progress or not."""

    fmt: str = "table"
    quiet: bool = False


def _check_format(fmt: str, choices: tuple[str, ...]) -> None:
    """The one check of every command's --format, before anything is opened."""
    if fmt not in choices:
        raise fail(f"unknown format {fmt!r}{did_you_mean(fmt, choices)}; use {', '.join(choices)}")


def _run_pipeline(
    settings: Settings, sources: list[SourceConfig], force: bool, summary: _Summary
) -> bool:
    """Run the flow, print the counts (table or JSON) and where things are; True when failed."""
    from flows.progress import show_progress
    from warehouse.status import run_counts

    for key, value in CONSOLE_LOGGING.items():
        os.environ.setdefault(key, value)
    started = time.time()
    with show_progress(not summary.quiet):
        state = _run_flow(settings, sources, force, summary.quiet)
    flow_run_id = str(state.state_details.flow_run_id)
    rows = run_counts(settings.warehouse, flow_run_id, settings.warehouse_limits)
    failed = bool(state.is_failed())
    lines = _failure_lines(state) if failed else []
    report = settings.reports_dir / "index.html"
    fresh, report_error = _report_outcome(settings, started)
    if summary.fmt == "json":
        found = report.resolve() if report.exists() else None
        run = _RunResult(flow_run_id, failed, rows, lines, settings.warehouse.resolve(), found)
        typer.echo(json.dumps(run_json(run, sources) | {"report_error": report_error}))
        for line in lines + ([f"report: {report_error}"] if report_error else []):
            say_error(line)
        return failed
    _print_rows(rows, title="Rows per source and table")
    for line in lines:
        say_error(line)
    if report_error:
        say_error(f"report FAILED (the data is loaded; `sitrep report` retries): {report_error}")
    out.print(f"warehouse: {settings.warehouse.resolve()}", highlight=False, soft_wrap=True)
    if report.exists():
        note = "" if fresh else "  (not rewritten: nothing new was loaded)"
        note = "  (an earlier report: this one failed)" if report_error else note
        out.print(f"report:    {report.resolve()}{note}", highlight=False, soft_wrap=True)
    return failed


def _report_outcome(settings: Settings, started: float) -> tuple[bool, str | None]:
    """Whether the run wrote the report, and its error when it failed (the run's data is
    loaded all the same), as the report's state file says (`warehouse.report_state`)."""
    from warehouse.report_state import ended_since

    ended = ended_since(settings.reports_dir, started)
    if ended is None:
        return False, None
    return ended.status == "completed", ended.error if ended.status == "failed" else None


@dataclass(frozen=True)
class _RunResult:
    """What a pipeline run did, as the CLI read it back from the warehouse."""

    flow_run_id: str
    failed: bool
    counts: list[dict[str, Any]]
    errors: list[str]
    warehouse: Path
    report: Path | None


def run_json(run: _RunResult, sources: list[SourceConfig]) -> dict[str, Any]:
    """The run as one JSON object: status, per source its tables' counts and its error."""
    per_source = []
    for s in sources:
        counts = [r for r in run.counts if r["source"] == s.name]
        mine = [e.removeprefix(f"{s.name}: ") for e in run.errors if e.startswith(f"{s.name}: ")]
        status = counts[0]["status"] if counts else ("failed" if mine else "not run")
        tables = [
            {
                "table": r["table"],
                "rows_in": r["in"],
                "rows_loaded": r["loaded"],
                "rows_quarantined": r["quarantined"],
            }
            for r in counts
            if r["table"] is not None
        ]
        error = "; ".join(mine) or None
        per_source.append(
            {"source": s.name, "kind": s.kind, "status": status, "tables": tables, "error": error}
        )
    return {
        "status": "failed" if run.failed else "completed",
        "flow_run_id": run.flow_run_id,
        "sources": per_source,
        "warehouse": str(run.warehouse),
        "report": str(run.report) if run.report else None,
        "errors": run.errors,
    }


def _run_flow(settings: Settings, sources: list[SourceConfig], force: bool, quiet: bool) -> Any:
    """The pipeline's final state; a temporary Prefect API boots while the pipeline imports."""
    from flows.api_server import api_set, prefect_api
    from flows.server import ServerStartError

    if not api_set() and not quiet:
        err.print(
            "Starting a temporary Prefect API (set PREFECT_API_URL to use a running server)…",
            style="dim",
        )
    try:
        with prefect_api(Path(os.environ["PREFECT_HOME"])) as serving:
            from prefect import tags

            from expectations.runner import prewarm
            from flows.console import quiet_expected_failures
            from flows.pipeline import pipeline

            quiet_expected_failures()
            prewarm()  # Great Expectations imports on a thread meanwhile
            with serving():
                if not quiet:
                    names = ", ".join(s.name for s in sources)
                    err.print(f"Running {len(sources)} source(s): {names}", style="dim")
                home = str(settings.home.resolve())
                with tags("sitrep", "cli"):  # found by the UI filter, like served runs
                    return pipeline(sources, home, force=force, return_state=True)
    except ServerStartError as exc:
        raise fail(str(exc), code=1) from None


def _failure_lines(state: Any) -> list[str]:
    """What failed, one line each: the pipeline's own lines, else the exception's message."""
    from flows.run_states import state_result

    error = state_result(state)
    lines = getattr(error, "lines", None)
    if lines is None:
        lines = [one_line(error)] if isinstance(error, BaseException) else []
    return lines or [f"the pipeline failed ({one_line(state.message)}); see the Prefect UI"]


@app.command()
def query(
    sql: Annotated[
        str | None,
        typer.Argument(help="One SQL statement (read-only); with --describe, a table or view."),
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read SQL from a file.")] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="A named query.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="key=value bound to $key in the query (repeatable)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or parquet.")] = "table",
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write csv/json/parquet to this file (not in SITREP_HOME)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv", help="CSV text cells as stored: no ' before a leading = + - @ tab or CR."
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds before the query is stopped (default SITREP_QUERY_TIMEOUT, 60)."
        ),
    ] = None,
    describe: Annotated[
        bool, typer.Option("--describe", help="The column dictionary of the tables and views.")
    ] = False,
    list_queries: Annotated[
        bool, typer.Option("--list", help="The named queries and their parameters.")
    ] = False,
) -> None:
    """Read-only SQL on the warehouse: one SELECT, no file access, parameters always bound.

    A query stops after --timeout seconds; --format csv puts ' before text cells a spreadsheet
    would run as a formula (--raw-csv keeps them as stored).

    Examples:
      sitrep query "select iso3, metric, unit, count(*) from displacement group by all"
      sitrep query --name latest-idps --param iso3=COD --format csv
      sitrep query --name news-vs-official --format parquet --out news.parquet
      sitrep query --describe preferred_idp_figure
      sitrep query --list
    """
    from flows.output_files import OutputPathError, checked_file
    from warehouse.db import WarehouseMissingError
    from warehouse.query import QueryError

    if list_queries:
        _list_named_queries()
        return
    _check_output(fmt, out_file)
    settings = _settings()
    try:
        text, params = _query_text(sql, file, name, param or [], describe)
        target = checked_file(out_file, settings, force) if out_file is not None else None
        request = _Output(
            fmt, target, force, raw_csv, settings.query_timeout if timeout is None else timeout
        )
        with _terminate_as_interrupt():
            count = _run_to_output(settings, text, params, request)
    except (QueryError, UsageError, WarehouseMissingError, OutputPathError, OSError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted: the query was stopped", code=130) from None
    if out_file is not None:
        err.print(f"wrote {count} rows to {out_file}", highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class _Output:
    """Where and how `sitrep query` writes its result."""

    fmt: str
    target: Path | None
    force: bool
    raw_csv: bool
    timeout: float


def _run_to_output(
    settings: Settings, text: str, params: dict[str, Any] | None, request: _Output
) -> int:
    """Run the query into its output; the number of rows."""
    from flows import query_output
    from flows.output_files import written_whole
    from warehouse.query import Result, run

    def go(consume: Callable[[Result], Any]) -> Any:
        return run(
            settings.warehouse, text, params, consume, request.timeout, settings.warehouse_limits
        )

    if request.fmt == "table":
        columns, rows = go(lambda r: (r.columns, [row for c in r.chunks() for row in c]))
        _print_table(columns, rows)
        return len(rows)
    if request.target is None:
        if request.fmt == "json":
            return int(go(lambda r: query_output.write_json(r, sys.stdout)))
        tty = sys.stdout.isatty()
        return int(go(lambda r: query_output.write_csv(r, sys.stdout, request.raw_csv, tty)))
    with written_whole(request.target, request.force) as tmp:
        if request.fmt == "parquet":
            return int(go(lambda r: query_output.write_parquet(r, tmp)))
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            if request.fmt == "json":
                return int(go(lambda r: query_output.write_json(r, fh)))
            return int(go(lambda r: query_output.write_csv(r, fh, request.raw_csv)))


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a query as Ctrl-C does: DuckDB interrupted, spill folder removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_output(fmt: str, out_file: Path | None) -> None:
    _check_format(fmt, FORMATS)
    if fmt == "parquet" and out_file is None:
        raise fail("--format parquet needs --out FILE.parquet")
    if fmt == "table" and out_file is not None:
        raise fail("--out writes csv, json or parquet: add --format csv|json|parquet")


def _query_text(
    sql: str | None, file: Path | None, name: str | None, pairs: list[str], describe: bool
) -> tuple[str, dict[str, Any] | None]:
    """The statement to run and its bound parameters, from exactly one of the inputs."""
    from warehouse.query import bind, named_query, placeholders

    values = _param_values(pairs)
    if describe:
        if file or name or values:
            raise UsageError("--describe takes only an optional table or view name")
        named = named_query("column-dictionary")
        return named.sql, bind(named, {"object": sql} if sql else {})
    if sum(x is not None for x in (sql, file, name)) != 1:
        raise UsageError("give exactly one of: SQL text, --file F.sql or --name NAME")
    if name is not None:
        named = named_query(name)
        return named.sql, bind(named, values)
    text = sql if sql is not None else Path(str(file)).read_text()
    params: dict[str, Any] = {key: values.get(key) for key in placeholders(text)}
    unknown = sorted(set(values) - set(params))
    if unknown:
        raise UsageError(f"--param {', '.join(unknown)}: the query has no such $placeholder")
    return text, params or None


def _param_values(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--param takes key=value, got {pair!r}")
        values[key] = value
    return values


def _list_named_queries() -> None:
    from warehouse.query import named_queries, placeholders

    out.print("Named queries: sitrep query --name NAME [--param key=value]...", highlight=False)
    for q in named_queries():
        params = " ".join(f"--param {p}=…" for p in placeholders(q.sql))
        out.print(f"  {q.name:<20} {params:<18} {q.summary}", highlight=False, soft_wrap=True)


@app.command()
def status(
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Per source: its last run, its last load and counts, rows held, how old its data is.

    A run that found nothing new (unchanged) does not hide the counts of the last load. The
    table folds columns together; csv and json give each as it is.

    Examples:
      sitrep status
      sitrep status --format json
    """
    from warehouse.db import WarehouseMissingError
    from warehouse.status import source_status

    _check_format(fmt, FORMATS[:3])
    settings = _settings()
    try:
        rows = source_status(settings.warehouse, settings.warehouse_limits)
    except WarehouseMissingError as exc:
        raise fail(str(exc)) from None
    rows = _with_next_run(rows)
    if fmt != "table":
        _write_rows(rows, fmt)
        return
    errors = [(r["source"], r["error"]) for r in rows]
    _print_rows([_status_line(r) for r in rows], title=f"Sources in {settings.warehouse}")
    for name, error in errors:
        if error:
            line = Text.assemble((f"{visible(name)}:", "red"), " ", visible(redact(error)))
            err.print(line, soft_wrap=True)


@app.command()
def report(
    country: Annotated[str | None, typer.Option(help="ISO3 code of one country.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the report (not SITREP_HOME or its data folders)."),
    ] = None,
) -> None:
    """Write the situation report: Markdown and self-contained HTML per country, and an overview.

    Pages in the folder with the report's own names (index.*, ISO3.*, ISO3-*.png) are replaced,
    each one whole; --out may not be SITREP_HOME or a folder sitrep keeps its data in.

    Examples:
      sitrep report                       # every country, in SITREP_HOME/reports/
      sitrep report --country COD --out reports/
    """
    from flows.output_files import OutputPathError, checked_report_folder
    from flows.progress import say, show_progress
    from warehouse.db import WarehouseMissingError
    from warehouse.preferences import PreferencesError
    from warehouse.report import ReportError, write_report

    settings = _settings()
    iso3 = country.strip().upper() if country else None
    try:
        folder = checked_report_folder(out_dir, settings) if out_dir is not None else None
        with show_progress():
            path = write_report(settings, iso3, folder, progress=say)
    except (ReportError, PreferencesError, WarehouseMissingError, OutputPathError) as exc:
        raise fail(str(exc)) from None
    out.print(f"report: {path.resolve()}", highlight=False, soft_wrap=True)
    out.print(f"        {path.with_suffix('.md').resolve()}", highlight=False, soft_wrap=True)


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="CSV with an id column and a text column.")],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")],
    id_column: Annotated[str, typer.Option(help="Column holding the id.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Output CSV (default stdout; not in SITREP_HOME).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    title_column: Annotated[
        str | None, typer.Option(help="Column holding a title: context for the places.")
    ] = None,
    url_column: Annotated[
        str | None, typer.Option(help="Column holding a URL: its path is context too.")
    ] = None,
) -> None:
    """Displacement facts found in each text of a CSV, one row per fact, most salient first.

    Example: sitrep extract texts.csv --text-column excerpt --id-column excerpt_id --out f.csv
    """
    from flows.output_files import OutputPathError, checked_file, written_whole
    from transforms.extract.rows import (
        OUTPUT_COLUMNS,
        MissingColumnError,
        check_columns,
        extract_rows,
    )

    csv.field_size_limit(sys.maxsize)
    try:
        target = checked_file(out_file, Settings(), force) if out_file is not None else None
    except OutputPathError as exc:
        raise fail(str(exc)) from None
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            context = [c for c in (title_column, url_column) if c]
            check_columns(reader.fieldnames or [], text_column, id_column, *context)
            notes: list[str] = []
            rows = list(
                extract_rows(reader, text_column, id_column, notes, title_column, url_column)
            )
    except (OSError, UnicodeDecodeError, MissingColumnError, csv.Error) as exc:
        raise fail(f"{file}: {exc}") from None
    for note in notes:
        err.print(f"{file}: {note}", highlight=False, markup=False)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if target is None:
        sys.stdout.write(buf.getvalue())
        return
    try:
        with written_whole(target, force) as tmp:
            tmp.write_text(buf.getvalue(), encoding="utf-8")
    except (OSError, OutputPathError) as exc:
        raise fail(str(exc)) from None
    err.print(f"wrote {len(rows)} facts to {out_file}", highlight=False)


@app.command()
def serve(
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(help="Flow runs at most at once.")] = 1,
    start_server: Annotated[
        bool, typer.Option("--start-server", help="Start a local Prefect server too (make ui).")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --start-server.")] = 4200,
) -> None:
    """Serve one deployment per source and one for all, on their cron schedules; Ctrl-C stops.

    Needs a Prefect server: set PREFECT_API_URL, or pass --start-server for one on 127.0.0.1.
    Example: PREFECT_API_URL=http://127.0.0.1:4200/api sitrep serve
    """
    from flows.deploy import plans
    from flows.server import ServerStartError, local_server

    settings = _settings(config)
    chosen = plans(settings, _sources_or_fail(settings))
    if not start_server:
        _serve_plans(chosen, limit, _api_url_or_fail())
        return
    try:
        with local_server(Path(os.environ["PREFECT_HOME"]), port) as api:
            os.environ["PREFECT_API_URL"] = api
            _serve_plans(chosen, limit, api)
    except ServerStartError as exc:
        raise fail(f"{exc}; see {os.environ['PREFECT_HOME']}/server.log") from None


@app.command()
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="Work pool the deployments go to.")],
    config: ConfigOpt = None,
    source: Annotated[
        Path, typer.Option("--source", help="Where workers find this project's code.")
    ] = Path(__file__).resolve().parents[1],
) -> None:
    """Register the same deployments on a work pool, for workers on other machines.

    Each worker reads its own sitrep.toml and SITREP_HOME.
    Example: prefect work-pool create sitrep --type process && sitrep deploy --pool sitrep
    """
    from prefect.exceptions import ObjectNotFound

    from flows.deploy import deploy as register
    from flows.deploy import plans

    settings = _settings(config)
    chosen = plans(settings, _sources_or_fail(settings), portable=True)
    _api_url_or_fail()
    try:
        register(chosen, pool, source)
    except ObjectNotFound:
        raise fail(
            f"no work pool {pool!r}: prefect work-pool create {pool} --type process"
        ) from None
    _print_plans(chosen, f"Deployments on work pool {pool}")


def _sources_or_fail(settings: Settings) -> list[SourceConfig]:
    try:
        sources = settings.sources()
    except ConfigError as exc:
        raise fail(str(exc)) from None
    _check_kinds(sources)
    return sources


def _api_url_or_fail() -> str:
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise fail(
            "no Prefect server: set PREFECT_API_URL=http://127.0.0.1:4200/api "
            "(`make ui` starts one) or pass --start-server"
        )
    return str(url)


def _serve_plans(chosen: list[Any], limit: int, api: str) -> None:
    from flows.deploy import serve as serve_deployments

    _print_plans(chosen, "Served deployments of sitrep-pipeline")
    out.print(f"Prefect UI: {api.removesuffix('/api')}  (Ctrl-C stops serving)")
    serve_deployments(chosen, limit)


def _print_plans(chosen: list[Any], title: str) -> None:
    rows = [
        {
            "deployment": f"sitrep-pipeline/{p.name}",
            "cron (UTC)": p.cron or "on demand",
            "tags": ", ".join(p.tags),
        }
        for p in chosen
    ]
    _print_rows(rows, title=title)


def _print_rows(rows: list[dict[str, Any]], title: str | None = None) -> None:
    columns = list(rows[0]) if rows else []
    _print_table(columns, [tuple(r[c] for c in columns) for r in rows], title)


def _status_line(row: dict[str, Any]) -> dict[str, Any]:
    """One source's status folded into five columns that fit a terminal."""

    def n(value: Any) -> str:
        return "?" if value is None else f"{value:,}"

    load = "never"
    if row["last_loaded"] is not None:
        load = f"{n(row['loaded'])} of {n(row['in'])}"
        if row["last_loaded"] != row["last_run"]:  # a later run found nothing new, or failed
            load += f" ({row['last_loaded']})"
    age = ""
    if row["data_as_of"] is not None:
        age = f"{row['data_as_of']}, {n(row['days_old'])} d{', stale' if row['stale'] else ''}"
    return {
        "source": row["source"],
        "last run": f"{row['last_status']} {row['last_run']}",
        "rows loaded": load,
        "held": n(row["held"]),
        "data as of": age,
        "next run": row["next_run"] or "",
    }


def _with_next_run(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with `next_run`: when the Prefect server PREFECT_API_URL names (`sitrep serve`)
    next runs the source; None without a server, and Prefect is then not imported."""
    starts: dict[str, str] = {}
    if os.environ.get("PREFECT_API_URL"):
        from flows.deploy import next_runs

        try:
            starts = next_runs([r["source"] for r in rows])
        except Exception as exc:  # status still tells the rest
            err.print(f"next run: Prefect API not read ({one_line(exc)})", style="dim")
    return [{**r, "next_run": starts.get(r["source"])} for r in rows]


def _write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """Small results as JSON (one array) or CSV (text cells neutralised, as `query` does)."""
    from flows.query_output import neutralised

    if fmt == "json":
        sys.stdout.write(json.dumps(rows, default=str, indent=1) + "\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(list(rows[0]) if rows else [])
    writer.writerows([[neutralised(v) for v in r.values()] for r in rows])


def _print_table(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None) -> None:
    """Every table the CLI prints: values shown as text, never as markup or control codes."""
    table = Table(title=cell(title) if title else None, show_lines=False)
    for c in columns:
        table.add_column(cell(c), overflow="fold")
    for r in rows:
        table.add_row(*[cell(v) for v in r])
    out.print(table)


def main() -> None:
    """The entry point: an expected error is one line and exit 2; a bug, one traceback."""
    try:
        app()
    except Exception as exc:
        if not expected(exc):
            raise
        say_error(exc)
        sys.exit(2)
