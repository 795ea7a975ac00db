"""The `sitrep-pipeline` flow: per source fetch → normalise → validate → load, then the report."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.states import State

from expectations.key_duplicates import key_duplicates
from expectations.runner import prewarm, validate_file
from flows import lake
from flows.artifacts import publish, summarise
from flows.console import CLI_SAYS
from flows.fetch import FetchError, RawFile
from flows.http import redact, redact_log_records
from flows.incremental import MarkedFile, input_fingerprint
from flows.progress import rows, say
from flows.runners import api_for_workers, in_process, task_runner
from flows.settings import Settings, SourceConfig
from flows.sources import Kind, get_kind
from flows.warehouse_slot import warehouse_slot
from transforms.errors import SitrepError, disk_full, one_line
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed, Reject, rejects_frame
from transforms.places import resolve_and_count
from transforms.schema import TABLES, SchemaDriftError, conform
from warehouse.load import (
    LoadRequest,
    TableLoad,
    load,
    record_run,
    results_as_dicts,
)
from warehouse.status import run_status
from warehouse.watermarks import last_inputs

# Log lines go to the console and to Prefect's database: secrets are redacted from each.
redact_log_records()


class DiskFullError(SitrepError, OSError):
    """The disk filled up during a source run; nothing of that run is in the warehouse."""


class PipelineFailedError(SitrepError, RuntimeError):
    """At least one source failed or passed its reject-rate limit: one line per failure.

    `committed`: the source's load committed nevertheless (its valid rows are loaded).
    """

    def __init__(self, lines: list[str], committed: bool = False):
        self.lines = [one_line(line) for line in lines]
        self.committed = committed
        super().__init__("; ".join(self.lines))

    def __reduce__(self) -> tuple[type, tuple[list[str], bool]]:
        return (PipelineFailedError, (self.lines, self.committed))  # to and from Dask workers


@dataclass
class SourceOutcome:
    """What one source run did: its counts per table, status and the errors met."""

    source: str
    kind: str
    load_run_id: str
    status: str = "loaded"
    errors: list[str] = field(default_factory=list)
    tables: list[TableLoad] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    watermark: str | None = None
    fingerprint: str | None = None
    unreadable: int = 0


@task(
    name="fetch",
    task_run_name="fetch-{source.name}",
    cache_policy=NONE,
    persist_result=False,
    timeout_seconds=900,
)
def fetch(source: SourceConfig, home: str) -> list[RawFile]:
    """Every location of the source into the raw store (no task retries: `flows.http.get`
    is the one owner of retries, and a source is fetched once per run)."""
    say("%s: fetching", source.name)
    raws = get_kind(source.kind).fetch(source, Settings(home=Path(home)))
    say("%s: fetched %d file%s", source.name, len(raws), "" if len(raws) == 1 else "s")
    return raws


@task(
    name="normalise",
    task_run_name="normalise-{source.name}",
    cache_policy=NONE,
    persist_result=False,
)
def normalise(source: SourceConfig, raws: list[RawFile], run_id: str, home: str) -> SourceOutcome:
    """Transform every raw file, batch by batch: canonical rows to the lake, unusable rows to
    quarantine. Memory holds one batch, whatever the size of the files."""
    say("%s: normalising", source.name)
    settings = Settings(home=Path(home))
    kind = get_kind(source.kind)
    outcome = SourceOutcome(source.name, kind.name, run_id, locations=[r.location for r in raws])
    marked = [r.watermark for r in raws if isinstance(r, MarkedFile)]
    outcome.watermark = marked[-1] if marked else None  # the marks after the whole fetch
    prewarm()  # Great Expectations loads on a thread while the files are parsed
    writers = {table: _writers(settings, source.name, run_id, table) for table in kind.tables}
    unresolved = [0, 0]
    for raw in raws:
        origin = Origin(source.name, raw.location, raw.retrieved_at, run_id)
        try:
            with ExitStack() as files:
                for good, bad in writers.values():
                    files.enter_context(good.file())
                    files.enter_context(bad.file())
                for parsed in kind.parse(raw, origin):
                    for note in parsed.notes:  # rows kept with a change: a text cut at its limit
                        get_run_logger().warning("%s: %s", source.name, note)
                    _write_batch(parsed, writers, raw, unresolved)
        except (InputError, SchemaDriftError) as exc:
            _unreadable(kind, raw, exc, outcome, writers[kind.tables[0]][1])
    if unresolved[0]:
        get_run_logger().warning(
            "%s: %d of %d rows name an admin unit not found in the gazetteer (kept as given)",
            source.name,
            *unresolved,
        )
    for table, (good, bad) in writers.items():
        q_path = bad.close() if bad.rows else None
        outcome.tables.append(
            TableLoad(table, good.close(), q_path, good.rows + bad.rows, good.rows, bad.rows)
        )
    quarantined = sum(t.rows_quarantined for t in outcome.tables)
    total = sum(t.rows_in for t in outcome.tables)
    say("%s: normalised %s (%s quarantined)", source.name, rows(total), f"{quarantined:,}")
    return outcome


def _writers(
    settings: Settings, source: str, run_id: str, table: str
) -> tuple[lake.TableWriter, lake.TableWriter]:
    """The lake and the quarantine writer of one table of a source run."""
    options = settings.storage_options()
    return (
        lake.TableWriter(
            lake.partition_path(settings.lake_root, table, source, run_id), TABLES[table], options
        ),
        lake.TableWriter(
            lake.partition_path(settings.quarantine_root, table, source, run_id),
            lake.QUARANTINE_SCHEMA,
            options,
        ),
    )


def _write_batch(
    parsed: Parsed,
    writers: dict[str, tuple[lake.TableWriter, lake.TableWriter]],
    raw: RawFile,
    unresolved: list[int],
) -> None:
    """One batch of a raw file's rows: canonical rows (places resolved) and its rejects."""
    for table, (good, bad) in writers.items():
        frame = parsed.tables.get(table)
        if frame is not None and len(frame):
            if table == "displacement":
                frame, not_found = resolve_and_count(frame)
                unresolved[0] += not_found
                unresolved[1] += len(frame)
            good.write(conform(frame, table))
        if parsed.rejects.get(table):
            rejected = rejects_frame(parsed.rejects[table]).assign(source_url=raw.location)
            bad.write(lake.quarantine_table(rejected))


def _unreadable(
    kind: Kind, raw: RawFile, exc: Exception, outcome: SourceOutcome, quarantine: lake.TableWriter
) -> None:
    """A file the transform cannot read: its rows are dropped whole, one quarantined row says
    why, and the source run fails."""
    outcome.errors.append(redact(str(exc)))
    outcome.status = "failed"
    outcome.unreadable += 1
    record = {"file": raw.location, "raw_path": raw.path, "sha256": raw.sha256}
    reject = rejects_frame([Reject(0, str(exc), record)]).assign(source_url=raw.location)
    with quarantine.file():
        quarantine.write(lake.quarantine_table(reject))


@task(
    name="validate",
    task_run_name="validate-{outcome.source}",
    cache_policy=NONE,
    persist_result=False,
)
def check(outcome: SourceOutcome, home: str) -> SourceOutcome:
    """Rows repeating a key (`expectations.key_duplicates`), then each table's expectation
    suite over its lake file (DuckDB, bounded memory): failing rows move to quarantine."""
    say("%s: validating", outcome.source)
    settings = Settings(home=Path(home))
    options = settings.storage_options()
    before = sum(t.rows_quarantined for t in outcome.tables)
    for part in outcome.tables:
        if not part.lake_path:
            continue
        filesystems = lake.remote_filesystems([part.lake_path], options)
        quarantine = lake.partition_path(
            settings.quarantine_root, part.table, outcome.source, outcome.load_run_id
        )
        repeated = key_duplicates(str(part.lake_path), part.table, filesystems)
        if len(repeated):
            _move_to_quarantine(part, repeated, quarantine, options)
        result = validate_file(part.lake_path, part.table, filesystems)
        part.results = results_as_dicts(result.results)
        if len(result.failures):
            _move_to_quarantine(part, result.failures, quarantine, options)
        if part.rows_in and part.rows_quarantined / part.rows_in > result.reject_rate_limit:
            outcome.status = "failed"
            outcome.errors.append(
                f"{part.table}: {part.rows_quarantined} of {part.rows_in} rows quarantined, "
                f"over the limit of {result.reject_rate_limit:.0%}"
            )
    moved = sum(t.rows_quarantined for t in outcome.tables) - before
    say("%s: validated (%s failed an expectation)", outcome.source, rows(moved))
    return outcome


def _move_to_quarantine(
    part: TableLoad, failures: pd.DataFrame, q_path: str, options: lake.Options
) -> None:
    """Rows that failed an expectation: appended to the quarantine file, dropped from the lake."""
    failing = pa.Table.from_pandas(failures, preserve_index=False)
    bad = lake.split_failed(str(part.lake_path), failing, TABLES[part.table], options)
    records = bad.drop(columns=["record_hash", "row_no", "reason"]).to_json(
        orient="records", lines=True, date_format="iso"
    )
    moved = pd.DataFrame(
        {
            "row_no": bad["row_no"].astype("int64") + 1,
            "source_url": bad["source_url"],
            "source_record_id": bad["source_record_id"],
            "reason": bad["reason"].astype(str),
            "record": records.splitlines(),
        }
    )
    if part.quarantine_path:
        moved = pd.concat([lake.read(part.quarantine_path, options), moved], ignore_index=True)
    part.quarantine_path = lake.write_quarantine(q_path, moved, options)
    part.rows_loaded -= len(bad)
    part.rows_quarantined += len(bad)


@task(name="load", task_run_name="load-{source.name}", cache_policy=NONE, persist_result=False)
def load_outcome(
    outcome: SourceOutcome,
    source: SourceConfig,
    started: datetime,
    home: str,
    pipeline_run_id: str | None,
) -> SourceOutcome:
    """Commit the source run to the warehouse in one transaction."""
    note = kept_note(outcome)
    if note:
        outcome.errors.append(note)
    kind = get_kind(source.kind)
    replace = outcome.locations if kind.snapshot else []
    request = LoadRequest(
        outcome.load_run_id,
        source.name,
        kind.name,
        started,
        outcome.tables,
        replace,
        pipeline_run_id,
        watermark=outcome.watermark,
        fingerprint=outcome.fingerprint,
    )
    settings = Settings(home=Path(home))
    with warehouse_slot():
        load(
            settings.warehouse,
            request,
            status=outcome.status,
            error=redact("; ".join(one_line(e) for e in outcome.errors)) or None,
            filesystems=lake.remote_filesystems(
                [settings.lake_root, settings.quarantine_root], settings.storage_options()
            ),
        )
    say("%s: loaded %s", source.name, rows(sum(t.rows_loaded for t in outcome.tables)))
    return outcome


def kept_note(outcome: SourceOutcome) -> str | None:
    """What a failed run still loads, said where `sitrep status` and the run's error show it.

    A run is not all-or-nothing per source: an unreadable file loads nothing, the rows of the
    source's other files are loaded (bad rows to quarantine as always), and the run is failed.
    """
    loaded = sum(t.rows_loaded for t in outcome.tables)
    if outcome.status != "failed" or not loaded:
        return None
    files = len(outcome.locations)
    note = f"failed, but kept {loaded} rows from {files - outcome.unreadable} of {files} files"
    if outcome.unreadable:
        note += f" (the {outcome.unreadable} unreadable loaded nothing)"
    return note


def _flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


# No parameter validation: the Dask runner ships this function by value, without the module
# globals its postponed annotations name (SourceConfig); the caller passes typed values anyway.
@flow(
    name="source",
    flow_run_name="{source.name}",
    persist_result=False,
    validate_parameters=False,
)
def run_source(
    source: SourceConfig,
    home: str,
    pipeline_run_id: str | None = None,
    force: bool = False,
    raws: list[RawFile] | None = None,
    fetch_error: str | None = None,
) -> SourceOutcome:
    """One source end to end: fetch → normalise → validate → load (`raws`: already fetched;
    `fetch_error`: the pipeline's fetch failed, recorded here without fetching again).

    When the fetch brings nothing new (no file, or the very inputs of the source's last
    successful load: same bytes, settings and code), the run is recorded as `unchanged` and
    nothing is parsed again; `force` parses and loads anyway.
    """
    request = _request(source, pipeline_run_id or _flow_run_id())
    run_id, warehouse = request.load_run_id, Settings(home=Path(home)).warehouse
    try:
        if fetch_error is not None:
            raise FetchError(fetch_error)
        checked = raws is not None  # fetched and found new by the pipeline's own run
        raws = raws if raws is not None else fetch(source, home)
        fingerprint = _fingerprint_to_load(source, raws, home, request, force or checked)
        if fingerprint is None:
            return SourceOutcome(source.name, source.kind, run_id, status="unchanged")
        outcome = normalise(source, raws, run_id, home)
        outcome.fingerprint = fingerprint
        outcome = check(outcome, home)
        outcome = load_outcome(outcome, source, request.started_at, home, request.flow_run_id)
    except Exception as exc:
        landed = _landed(warehouse, run_id)
        if landed == "loaded":  # failed after its commit (in a checkpoint, say): it is loaded
            get_run_logger().warning("%s: loaded, then: %s", source.name, one_line(exc))
            return SourceOutcome(source.name, source.kind, run_id)
        if landed is None:
            _record_failure(warehouse, request, exc)
        if disk_full(exc):
            _drop_run_files(source, run_id, home)
            raise DiskFullError(
                f"disk full ({one_line(exc)}); nothing of this run was loaded: "
                f"free space where {home} is and run again"
            ) from exc
        raise
    if outcome.status == "failed":
        raise PipelineFailedError([f"{source.name}: {e}" for e in outcome.errors], committed=True)
    return outcome


def _landed(warehouse: Path, run_id: str) -> str | None:
    """The status a run committed with, if it did (None also when the warehouse is unreadable)."""
    try:
        return run_status(warehouse, run_id)
    except Exception:
        return None


def _record_failure(warehouse: Path, request: LoadRequest, exc: Exception) -> None:
    """Record the failed run; when even that fails (a full disk), say so and go on."""
    try:
        with warehouse_slot():
            record_run(warehouse, request, "failed", redact(one_line(exc)))
    except Exception as recording:
        get_run_logger().warning(
            "%s: the failure could not be recorded: %s", request.source, one_line(recording)
        )


def _drop_run_files(source: SourceConfig, run_id: str, home: str) -> None:
    """A run that did not load keeps no lake or quarantine file (a full disk needs the room)."""
    settings = Settings(home=Path(home))
    for root in (settings.lake_root, settings.quarantine_root):
        for table in get_kind(source.kind).tables:
            lake.drop_partition(
                lake.partition_path(root, table, source.name, run_id), settings.storage_options()
            )


def _request(source: SourceConfig, pipeline_run_id: str | None) -> LoadRequest:
    """A new load run of the source, with nothing to load yet."""
    started = datetime.now(UTC)
    run_id = f"{source.name}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    return LoadRequest(run_id, source.name, source.kind, started, [], [], pipeline_run_id)


def _fingerprint_to_load(
    source: SourceConfig, raws: list[RawFile], home: str, request: LoadRequest, force: bool
) -> str | None:
    """The inputs' fingerprint when they need loading; None (the run recorded `unchanged`)
    when the fetch brought nothing or the inputs of the last successful load."""
    fingerprint = input_fingerprint(source, raws)
    warehouse = Settings(home=Path(home)).warehouse
    if force or (raws and last_inputs(warehouse, source.name) != fingerprint):
        return fingerprint
    with warehouse_slot():
        record_run(warehouse, request, "unchanged", None)
    get_run_logger().info("%s: inputs unchanged since its last load", source.name)
    say("%s: unchanged since its last load, not loaded again", source.name)
    return None


def _fetched_unchanged(
    source: SourceConfig, home: str, run_id: str | None, force: bool
) -> tuple[bool, list[RawFile] | str]:
    """Fetch in the pipeline's own run, so a source with nothing new costs no subflow.

    Returns (unchanged, raws), or (False, why) when the fetch failed: the source's subflow
    then records the failure without fetching again.
    """
    try:
        raws = fetch(source, home)
    except Exception as exc:
        return False, redact(one_line(exc))
    if force:
        return False, raws
    request = _request(source, run_id)
    return _fingerprint_to_load(source, raws, home, request, force) is None, raws


@task(name="run-source", task_run_name="run-{source.name}", cache_policy=NONE, persist_result=False)
def source_task(
    source: SourceConfig, home: str, pipeline_run_id: str | None, force: bool = False
) -> str:
    """A source's subflow as one unit the task runner can place on any worker."""
    return run_source(source, home, pipeline_run_id, force).status


def _run_name() -> str:
    """`dtm`, `article-files+dtm` or `all-sources`: which sources a pipeline run covers."""
    params = flow_run.parameters
    sources = params.get("sources")
    if sources is not None:
        names = [s["name"] if isinstance(s, dict) else s.name for s in sources]
    else:
        names = list(params.get("only") or [])
    return "+".join(names) if 0 < len(names) <= 3 else "all-sources"


@flow(
    name="sitrep-pipeline",
    flow_run_name=_run_name,
    persist_result=False,
    task_runner=task_runner(Settings()),
)
def pipeline(
    sources: list[SourceConfig] | None = None,
    home: str | None = None,
    only: list[str] | None = None,
    config: str | None = None,
    force: bool = False,
) -> None:
    """Every configured source, each on its own: one failing does not stop the others.

    The CLI passes resolved `sources`; deployments pass source names (`only`) and the config
    file, read when the run starts on whichever machine runs it. Sources whose inputs are
    unchanged are not loaded again (unless `force`), and when none changed the report stays.
    """
    settings = Settings(config=Path(config)) if config else Settings()
    if home:
        settings = settings.model_copy(update={"home": Path(home)})
    chosen = sources if sources is not None else _configured(settings, only)
    run_id = _flow_run_id()
    failed, changed = _run_sources(chosen, str(settings.home.resolve()), run_id, force)
    publish(settings, summarise(settings, run_id, write_report=changed), failed)
    if failed:
        raise PipelineFailedError(failed)


def _configured(settings: Settings, only: list[str] | None) -> list[SourceConfig]:
    sources = settings.sources()
    unknown = sorted(set(only or []) - {s.name for s in sources})
    if unknown:
        raise PipelineFailedError([f"no configured source named {', '.join(unknown)}"])
    return [s for s in sources if not only or s.name in only]


def _run_sources(
    sources: list[SourceConfig], home: str, run_id: str | None, force: bool
) -> tuple[list[str], bool]:
    """Each source as a subflow tagged by source and kind; the lines of those that failed,
    and whether any source changed the warehouse (loaded, or failed after committing).

    In process each source is fetched here first and only a source with new inputs gets its
    subflow, one after the other in this thread (so fetch timeouts can interrupt); on Dask
    each goes to a worker as a task and they run side by side.
    """
    logger = get_run_logger()
    here = in_process()
    states: list[tuple[SourceConfig, State]] = []
    with api_for_workers():
        futures = []
        for source in sources:
            with tags(f"source:{source.name}", f"kind:{source.kind}"):
                if here:
                    unchanged, got = _fetched_unchanged(source, home, run_id, force)
                    if unchanged:
                        continue
                    raws, why = (None, got) if isinstance(got, str) else (got, None)
                    state = run_source(source, home, run_id, force, raws, why, return_state=True)
                    states.append((source, state))
                else:
                    futures.append((source, source_task.submit(source, home, run_id, force)))
    for source, future in futures:
        future.wait()
        states.append((source, future.state))
    failed: list[str] = []
    changed = False
    for source, state in states:
        result = state.result(raise_on_failure=False)
        if state.is_completed():
            changed |= getattr(result, "status", result) != "unchanged"
            continue
        if isinstance(result, PipelineFailedError):
            lines, changed = result.lines, changed or result.committed
        else:
            lines = [f"{source.name}: {one_line(result)}"]
        lines = [redact(line) for line in lines]
        failed.extend(lines)
        for line in lines:  # the CLI prints these itself: kept from its terminal
            logger.error("source %s failed: %s", source.name, line, extra={CLI_SAYS: True})
    return failed, changed
