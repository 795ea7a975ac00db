"""DTM reloads and history: content decides what goes to `displacement_history`, not the hash."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb

from flows.pipeline import run_source
from flows.settings import SourceConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def with_figure(path: Path, row: int, figure: str) -> str:
    """The CSV with the figure of one data row (0-based, under header and HXL row) replaced."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    rows[row + 2][rows[0].index("numPresentIdpInd")] = figure
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_a_reload_of_unchanged_rows_with_other_hashes_writes_no_history(
    prefect_api, home, tmp_path
) -> None:
    folder = tmp_path / "dtm"
    folder.mkdir()
    target = folder / "dtm.csv"
    shutil.copy(FIXTURES / "dtm_hdx_global_slice.csv", target)
    source = SourceConfig(name="dtm", kind="dtm", location=[str(folder)])
    run_source(source, str(home))
    loaded = table(home, "SELECT count(*) FROM displacement")[0][0]
    assert loaded > 0
    # The warehouse as an earlier version left it: same content, hashes computed another way.
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("UPDATE displacement SET record_hash = 'pandas' || left(record_hash, 10)")
    run_source(source, str(home), force=True)
    assert table(home, "SELECT count(*) FROM displacement_history") == [(0,)]
    assert table(home, "SELECT count(*) FROM displacement WHERE record_hash LIKE 'pandas%'") == [
        (0,)
    ]
    target.write_text(with_figure(FIXTURES / "dtm_hdx_global_slice.csv", 0, "12345"))
    run_source(source, str(home), force=True)
    history = table(home, "SELECT figure FROM displacement_history")
    assert len(history) == 1 and history[0][0] != 12345
    assert table(home, "SELECT count(*) FROM displacement")[0][0] == loaded
