"""Staging: a source run's raw files to its validated lake partition, each row written once.

Every batch a transform yields is finished on the transforms' side (`transforms.parsed.
canonical`: places resolved, schema conformed) and spilled to a local staging file, one part
per raw file, so a file found unreadable halfway is dropped whole. A kind that stages a file
by SQL (`Kind.staged`: DTM HDX CSV and API JSON) does it all in a DuckDB database of its own
for that file (spilling to the staging folder past its memory limit), and DuckDB copies the
rows straight into the spill: no frame of the file in Python. Then, per table, DuckDB
reads the spill: rows repeating a key (`expectations.key_duplicates`, over the whole run, so
across files and batches), then the table's suite (`expectations.runner`: GX's counts in one
SQL pass, GX itself on a sample). Only then are the kept rows written to the lake and the
quarantined rows (the transform's rejects, then the failures) to quarantine, once each (a
local lake file is written by DuckDB itself). The spill goes when the stage ends; memory
holds one batch, or DuckDB's limit, whatever the size of the files.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from expectations.key_duplicates import key_duplicates
from expectations.pushdown import literal, quote
from expectations.runner import prewarm, validate_relation
from flows import lake
from flows.fetch import RawFile
from flows.http import redact
from flows.progress import rows, say
from flows.runs import SourceOutcome
from flows.settings import Settings
from flows.sources import Kind
from transforms.lineage import Origin
from transforms.parsed import InputError, Reject, Staged, canonical, rejects_frame
from transforms.schema import TABLES, SchemaDriftError
from warehouse.connection_limits import Limits
from warehouse.db import memory_config
from warehouse.load import TableLoad, results_as_dicts
from warehouse.query_limits import remove_orphans

ROW = pa.field("_row", pa.int64())  # a staged row's 0-based number in its source run
BATCH_ROWS = 100_000  # rows per batch written to the lake: memory holds one
# DuckDB's memory for the key and suite checks over the spill; the warehouse load keeps its own
# (warehouse.db.memory_config). At 1GB, DuckDB's buffers came on top of ~450 MB of GX, gazetteer
# and freed batch memory, and a 1M-row stage peaked at 1.3 GB.
STAGING_MEMORY = "400MB"
DuckConfig = dict[str, str | bool | int | float | list[str]]  # duckdb.connect(config=...)


class _Spill:
    """One table's staged rows (canonical, numbered) and rejects, a part per raw file."""

    def __init__(self, folder: Path, table: str) -> None:
        self.table = table
        schema = TABLES[table].append(ROW)
        self.good = lake.TableWriter(str(folder / f"{table}.parquet"), schema)
        self.bad = lake.TableWriter(
            str(folder / f"{table}.rejects.parquet"), lake.QUARANTINE_SCHEMA
        )
        self.next_row = 0

    def copy(self, con: duckdb.DuckDBPyConnection, staged: Staged, url: str) -> None:
        """A file's rows staged in DuckDB, written by DuckDB's COPY as a part of the spill
        (`_row` follows the file's rows, with gaps where rows were rejected); then its
        rejects."""
        part = self.good.next_part()
        columns = ", ".join(quote(name) for name in TABLES[self.table].names)
        [(rows_,)] = con.execute(
            f"COPY (SELECT {columns}, _file_row + {self.next_row} AS _row FROM {staged.rows}) "
            f"TO {literal(part)} (FORMAT parquet)"
        ).fetchall()
        if rows_:
            self.good.add_part(part, rows_)
        elif os.path.exists(part):
            os.remove(part)
        self.next_row += staged.last_row + 1
        for rejects in staged.rejects:
            self.write(None, rejects, url)

    def run_rows(self, con: duckdb.DuckDBPyConnection, staged: str, rows_: pd.Series) -> pd.Series:
        """0-based rows in the run (staged rows only, as numbered when written batch by batch)
        of spilled rows given by their `_row`."""
        if self.next_row == self.good.rows:  # numbered without gaps
            return rows_
        every = con.sql(f"SELECT _row FROM {staged} ORDER BY _row").fetchnumpy()["_row"]
        return pd.Series(np.searchsorted(every, rows_.to_numpy()), index=rows_.index)

    def write(self, rows_: pa.Table | None, rejects: pd.DataFrame | None, url: str) -> None:
        if rows_ is not None:
            numbers = pa.array(np.arange(self.next_row, self.next_row + rows_.num_rows))
            self.good.write(rows_.append_column(ROW, numbers))
            self.next_row += rows_.num_rows
        if rejects is not None:
            self.bad.write(lake.quarantine_table(rejects.assign(source_url=url)))


def stage(
    kind: Kind,
    source: str,
    raws: list[RawFile],
    run_id: str,
    settings: Settings,
    warn: Callable[[str], None],
) -> SourceOutcome:
    """The source run's raw files to its lake and quarantine files, validated before written."""
    say("%s: staging", source)
    outcome = SourceOutcome(source, kind.name, run_id, locations=[r.location for r in raws])
    prewarm()  # Great Expectations loads on a thread while the files are parsed
    failed = 0
    folder = _spill_folder(settings.home, run_id)
    try:
        spills = {table: _Spill(folder, table) for table in kind.tables}
        config = _staging_config(folder, settings.warehouse_limits)
        _spill(kind, source, raws, run_id, spills, outcome, warn, config)
        pa.default_memory_pool().release_unused()  # the batches' Arrow memory, kept by mimalloc
        with duckdb.connect(config=config | {"preserve_insertion_order": False}) as con:
            for spill in spills.values():
                part = _write(con, spill, source, run_id, settings, outcome)
                failed += part.rows_quarantined - spill.bad.rows
                outcome.tables.append(part)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _return_freed_memory()
    quarantined = sum(t.rows_quarantined for t in outcome.tables)
    total = sum(t.rows_in for t in outcome.tables)
    say(
        "%s: staged %s (%s quarantined, %s failed a check)",
        source,
        rows(total),
        f"{quarantined:,}",
        f"{failed:,}",
    )
    return outcome


def _staging_config(folder: Path, limits: Limits) -> DuckConfig:
    """DuckDB's settings while staging: past STAGING_MEMORY (or SITREP_DUCKDB_MEMORY when set)
    it spills to the staging folder, so a source run of any size is read and checked in bounded
    memory beside the process's own (GX, the gazetteer)."""
    return memory_config(STAGING_MEMORY, limits) | {"temp_directory": str(folder)}


def _return_freed_memory() -> None:
    """Give the batches' freed heap back to the system (glibc keeps it for reuse otherwise), so
    the warehouse load that follows starts from the process's own memory, not the stage's."""
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)


def _spill_folder(home: Path, run_id: str) -> Path:
    """A new spill folder under `home/staging`, named by this process; the folders of processes
    that died staging (killed, say) go first."""
    root = home / "staging"
    root.mkdir(parents=True, exist_ok=True)
    remove_orphans(root)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{run_id}-", dir=root))


def _spill(
    kind: Kind,
    source: str,
    raws: list[RawFile],
    run_id: str,
    spills: dict[str, _Spill],
    outcome: SourceOutcome,
    warn: Callable[[str], None],
    config: DuckConfig,
) -> None:
    """Every raw file's canonical rows and rejects into the spill, batch by batch."""
    unresolved = placed = 0
    for raw in raws:
        origin = Origin(source, raw.location, raw.retrieved_at, run_id)
        try:
            with _per_file(spills):
                by_sql = _by_sql(kind, raw, origin, config, spills[kind.tables[0]])
                if by_sql is not None:
                    unresolved, placed = unresolved + by_sql[0], placed + by_sql[1]
                    continue
                for parsed in kind.parse(raw, origin):
                    batch = canonical(parsed, kind.tables)
                    for note in batch.notes:  # rows kept with a change: a text cut at its limit
                        warn(f"{source}: {note}")
                    unresolved, placed = unresolved + batch.unresolved, placed + batch.placed
                    for table, spill in spills.items():
                        spill.write(batch.tables.get(table), batch.rejects.get(table), raw.location)
        except (InputError, SchemaDriftError) as exc:
            _unreadable(raw, exc, outcome, spills[kind.tables[0]])
    if unresolved:
        warn(
            f"{source}: {unresolved} of {placed} rows name an admin unit not found in the "
            "gazetteer (kept as given)"
        )


def _by_sql(
    kind: Kind, raw: RawFile, origin: Origin, config: DuckConfig, spill: _Spill
) -> tuple[int, int] | None:
    """A file of a kind staged by SQL (`Kind.staged`) mapped in a DuckDB database of its own
    (past its memory limit it spills to the staging folder, so a file of any size stages in
    bounded memory) and copied into the spill; how many of its rows name an admin unit the
    gazetteer lacks, of how many placed. None when the kind reads this file in Python."""
    if kind.staged is None:
        return None
    with duckdb.connect(config=config) as con:
        found = kind.staged(raw.path, origin, con)
        if found is None:
            return None
        spill.copy(con, found, raw.location)
        return found.unresolved, found.placed


@contextmanager
def _per_file(spills: dict[str, _Spill]) -> Iterator[None]:
    """Rows spilled inside the block belong to one raw file: kept together or dropped."""
    with ExitStack() as files:
        for spill in spills.values():
            files.enter_context(spill.good.file())
            files.enter_context(spill.bad.file())
        yield


def _unreadable(raw: RawFile, exc: Exception, outcome: SourceOutcome, spill: _Spill) -> None:
    """A file the transform cannot read: its rows are dropped whole, one quarantined row says
    why, and the source run fails."""
    outcome.errors.append(redact(str(exc)))
    outcome.status = "failed"
    outcome.unreadable += 1
    record = {"file": raw.location, "raw_path": raw.path, "sha256": raw.sha256}
    with spill.bad.file():
        spill.write(None, rejects_frame([Reject(0, str(exc), record)]), raw.location)


def _write(
    con: duckdb.DuckDBPyConnection,
    spill: _Spill,
    source: str,
    run_id: str,
    settings: Settings,
    outcome: SourceOutcome,
) -> TableLoad:
    """One table: checks over its spill, then its lake file and quarantine file written once."""
    table, options = spill.table, settings.storage_options()
    staged = f"staged_{table}"
    if spill.good.parts:
        files = ", ".join(literal(p) for p in spill.good.parts)
        con.execute(f"CREATE OR REPLACE VIEW {staged} AS SELECT * FROM read_parquet([{files}])")
    else:
        con.register(staged, TABLES[table].append(ROW).empty_table())
    repeated = key_duplicates(con, staged, table)
    con.register("repeated", pa.Table.from_pandas(repeated, preserve_index=False))
    checked = validate_relation(
        con, f"(SELECT * FROM {staged} WHERE _row NOT IN (SELECT row_no FROM repeated))", table
    )
    failures = pd.concat([repeated, checked.failures], ignore_index=True)
    con.register("failures", pa.Table.from_pandas(failures, preserve_index=False))
    lake_path = lake.write_query(
        lake.partition_path(settings.lake_root, table, source, run_id),
        con,
        f"SELECT * EXCLUDE (_row) FROM {staged} WHERE _row NOT IN (SELECT row_no FROM failures)",
        TABLES[table],
        options,
        BATCH_ROWS,
    )
    moved = _failed_rows(con, spill, staged) if len(failures) else None
    rejected, failed = spill.bad.rows, 0 if moved is None else len(moved)
    q_path = None
    if rejected or failed:
        q_path = lake.write_streamed(
            lake.partition_path(settings.quarantine_root, table, source, run_id),
            _quarantined(spill, moved),
            lake.QUARANTINE_SCHEMA,
            options,
        )
    part = TableLoad(
        table,
        lake_path,
        q_path,
        spill.good.rows + rejected,
        spill.good.rows - failed,
        rejected + failed,
    )
    part.results = results_as_dicts(checked.results)
    limit = checked.reject_rate_limit
    if part.rows_in and part.rows_quarantined / part.rows_in > limit:
        outcome.status = "failed"
        outcome.errors.append(
            f"{table}: {part.rows_quarantined} of {part.rows_in} rows quarantined, "
            f"over the limit of {limit:.0%}"
        )
    return part


def _failed_rows(con: duckdb.DuckDBPyConnection, spill: _Spill, staged: str) -> pd.DataFrame:
    """The rows that failed a check, as quarantine rows: 1-based row_no in the run, the row
    itself as a JSON record."""
    bad = con.sql(
        f"SELECT s.* EXCLUDE (_row), f.row_no, f.reason FROM {staged} s "
        "JOIN failures f ON s._row = f.row_no ORDER BY f.row_no"
    ).to_df()
    records = bad.drop(columns=["record_hash", "row_no", "reason"]).to_json(
        orient="records", lines=True, date_format="iso"
    )
    return pd.DataFrame(
        {
            "row_no": spill.run_rows(con, staged, bad["row_no"].astype("int64")) + 1,
            "source_url": bad["source_url"],
            "source_record_id": bad["source_record_id"],
            "reason": bad["reason"].astype(str),
            "record": records.splitlines(),
        }
    )


def _quarantined(spill: _Spill, moved: pd.DataFrame | None) -> Iterator[pa.Table]:
    """The transform's rejects as spilled, then the rows that failed a check."""
    for part in spill.bad.parts:
        for batch in pq.ParquetFile(part).iter_batches():
            yield pa.Table.from_batches([batch])
    if moved is not None:
        yield lake.quarantine_table(moved)
