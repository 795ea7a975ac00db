"""The `sitrep` command line: run the pipeline, load files, query the warehouse, report."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.http import redact
from flows.settings import ConfigError, Settings, SourceConfig, quiet_environment

app = typer.Typer(
    help="sitrep: displacement statistics and news into one DuckDB warehouse and a report.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Load again even when the inputs are unchanged.")
]
FORMATS = ("table", "csv", "json", "parquet")


class UsageError(Exception):
    """Bad usage or input: exit code 2."""


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {redact(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


# Prefect's own console lines are kept for warnings; the Prefect UI still gets every log line.
CONSOLE_LOGGING = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "WARNING",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "WARNING",
}


def _settings(config: Path | None = None) -> Settings:
    settings = Settings(config=config) if config else Settings()
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
) -> None:
    """Run the whole pipeline for the configured sources.

    A source whose inputs are the very bytes of its last successful load (same settings and
    sitrep version) is recorded as unchanged and not loaded again; --force loads it anyway.

    Example: sitrep run --config sitrep.toml --source dtm
    """
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
    failed = _run_pipeline(settings, sources, force)
    raise typer.Exit(1 if failed else 0)


@app.command()
def load(
    kind: Annotated[str, typer.Argument(help="Source kind, e.g. dtm or article-files.")],
    paths: Annotated[list[str], typer.Argument(help="Files, folders or URLs of that kind.")],
    name: Annotated[str | None, typer.Option(help="Source name to record (default: kind).")] = None,
    force: ForceOpt = False,
) -> None:
    """Ingest files or URLs of one kind through the same pipeline.

    Example: sitrep load dtm data/samples/dtm/displacement-admin1-tcd.json
    """
    settings = _settings()
    locations = []
    for p in paths:
        if "://" not in p and not Path(p).exists():
            raise fail(f"{p}: no such file or folder")
        locations.append(p if "://" in p else str(Path(p).resolve()))
    source = SourceConfig(name=name or kind, kind=kind, location=locations)
    _check_kinds([source])
    failed = _run_pipeline(settings, [source], force)
    raise typer.Exit(2 if failed else 0)


def _check_kinds(sources: list[SourceConfig]) -> None:
    from flows.sources import UnknownKindError, get_kind

    for s in sources:
        try:
            get_kind(s.kind)
        except UnknownKindError as exc:
            raise fail(f"source {s.name}: {exc}") from None


def _run_pipeline(settings: Settings, sources: list[SourceConfig], force: bool = False) -> bool:
    """Run the flow, print the counts table and where things are; True when it failed."""
    from warehouse.status import run_counts

    for key, value in CONSOLE_LOGGING.items():
        os.environ.setdefault(key, value)
    state = _run_flow(settings, sources, force)
    flow_run_id = str(state.state_details.flow_run_id)
    rows = run_counts(settings.warehouse, flow_run_id)
    _print_rows(rows, "table", title="Rows per source and table")
    failed = state.is_failed()
    if failed:
        for line in _failure_lines(state.message):
            err.print(f"[red]error:[/red] {redact(line)}", highlight=False, soft_wrap=True)
    out.print(f"warehouse: {settings.warehouse.resolve()}")
    report = settings.reports_dir / "index.html"
    if report.exists():
        out.print(f"report:    {report.resolve()}")
    return failed


def _run_flow(settings: Settings, sources: list[SourceConfig], force: bool) -> Any:
    """The pipeline's final state; a temporary Prefect API boots while the pipeline imports."""
    from flows.api_server import api_configured, prefect_api
    from flows.server import ServerStartError

    if not api_configured():
        err.print(
            "Starting a temporary Prefect API (set PREFECT_API_URL to use a running server)…",
            style="dim",
        )
    try:
        with prefect_api(Path(os.environ["PREFECT_HOME"])) as serving:
            from expectations.runner import prewarm
            from flows.pipeline import pipeline

            prewarm()  # Great Expectations imports on a thread meanwhile
            with serving():
                err.print(
                    f"Running {len(sources)} source(s): {', '.join(s.name for s in sources)}",
                    style="dim",
                )
                home = str(settings.home.resolve())
                return pipeline(sources, home, force=force, return_state=True)
    except ServerStartError as exc:
        raise fail(str(exc), code=1) from None


def _failure_lines(message: str | None) -> list[str]:
    lines = [e.strip() for e in (message or "").split("; ") if e.strip()]
    return lines or ["the pipeline failed; see the Prefect log above"]


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
        Path | None, typer.Option("--out", "-o", help="Write csv/json/parquet to this file.")
    ] = None,
    describe: Annotated[
        bool, typer.Option("--describe", help="The column dictionary of the tables and views.")
    ] = False,
    list_queries: Annotated[
        bool, typer.Option("--list", help="The named queries and their parameters.")
    ] = False,
) -> None:
    """Read-only SQL on the warehouse: one SELECT, no file access, parameters always bound.

    Examples:
      sitrep query "select iso3, sum(figure) from displacement group by iso3"
      sitrep query --name latest-idps --param iso3=COD --format csv
      sitrep query --name news-vs-official --format parquet --out news.parquet
      sitrep query --describe preferred_idp_figure
      sitrep query --list
    """
    from warehouse.db import WarehouseMissingError
    from warehouse.query import QueryError, run_arrow, run_query

    if list_queries:
        _list_named_queries()
        return
    _check_output(fmt, out_file)
    settings = _settings()
    try:
        text, params = _query_text(sql, file, name, param or [], describe)
        if fmt == "parquet":
            table = run_arrow(settings.warehouse, text, params)
        else:
            columns, rows = run_query(settings.warehouse, text, params)
    except (QueryError, UsageError, WarehouseMissingError, OSError) as exc:
        raise fail(str(exc)) from None
    if fmt == "parquet":
        _write_parquet(table, out_file)
    elif out_file is not None:
        out_file.write_text(_render_text(columns, rows, fmt))
        err.print(f"wrote {len(rows)} rows to {out_file}", highlight=False, soft_wrap=True)
    elif fmt == "table":
        _print_rows([dict(zip(columns, r, strict=True)) for r in rows], fmt, columns=columns)
    else:
        sys.stdout.write(_render_text(columns, rows, fmt))


def _check_output(fmt: str, out_file: Path | None) -> None:
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}")
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


def _render_text(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> str:
    if fmt == "json":
        records = [dict(zip(columns, r, strict=True)) for r in rows]
        return json.dumps(records, default=str, indent=1) + "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def _write_parquet(table: Any, path: Path | None) -> None:
    import pyarrow.parquet as pq

    target = Path(str(path))
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"{target}: {exc}") from None
    err.print(f"wrote {table.num_rows} rows to {target}", highlight=False, soft_wrap=True)


@app.command()
def status() -> None:
    """Last run per source: status, rows in/loaded/quarantined, freshness."""
    from warehouse.db import WarehouseMissingError
    from warehouse.status import source_status

    settings = _settings()
    try:
        rows = source_status(settings.warehouse)
    except WarehouseMissingError as exc:
        raise fail(str(exc)) from None
    errors = [(r["source"], r.pop("error")) for r in rows]
    _print_rows(rows, "table", title=f"Sources in {settings.warehouse}")
    for name, error in errors:
        if error:
            err.print(f"[red]{name}:[/red] {redact(error)}", highlight=False, soft_wrap=True)


@app.command()
def report(
    country: Annotated[str | None, typer.Option(help="ISO3 code of one country.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the report.")] = None,
) -> None:
    """Write the situation report: Markdown and self-contained HTML per country, and an overview.

    Examples:
      sitrep report                       # every country, in SITREP_HOME/reports/
      sitrep report --country COD --out reports/
    """
    from warehouse.db import WarehouseMissingError
    from warehouse.preferences import PreferencesError
    from warehouse.report import ReportError, write_report

    settings = _settings()
    iso3 = country.strip().upper() if country else None
    try:
        path = write_report(settings, iso3, out_dir)
    except (ReportError, PreferencesError, WarehouseMissingError) as exc:
        raise fail(str(exc)) from None
    out.print(f"report: {path.resolve()}", highlight=False, soft_wrap=True)
    out.print(f"        {path.with_suffix('.md').resolve()}", highlight=False, soft_wrap=True)


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="CSV with an id column and a text column.")],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")],
    id_column: Annotated[str, typer.Option(help="Column holding the id.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Output CSV (default stdout).")
    ] = None,
) -> None:
    """Displacement facts found in each text of a CSV, one row per fact, most salient first.

    Example: sitrep extract texts.csv --text-column excerpt --id-column excerpt_id --out f.csv
    """
    from transforms.extract.rows import (
        OUTPUT_COLUMNS,
        MissingColumnError,
        check_columns,
        extract_rows,
    )

    csv.field_size_limit(sys.maxsize)
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            check_columns(reader.fieldnames or [], text_column, id_column)
            rows = list(extract_rows(reader, text_column, id_column))
    except (OSError, UnicodeDecodeError, MissingColumnError, csv.Error) as exc:
        raise fail(f"{file}: {exc}") from None
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if out_file is None:
        sys.stdout.write(buf.getvalue())
    else:
        out_file.write_text(buf.getvalue(), encoding="utf-8")
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
    _print_rows(rows, "table", title=title)


def _print_rows(
    rows: list[dict[str, Any]], fmt: str, title: str | None = None, columns: list[str] | None = None
) -> None:
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, default=str, indent=1) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[r[c] for c in columns] for r in rows])
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(title=title, show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*["" if r[c] is None else str(r[c]) for c in columns])
        out.print(table)


def main() -> None:
    app()
