"""The report of a load redraws only the countries that changed; a failed report fails no load."""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest
from small_warehouse import build, insert, stock
from typer.testing import CliRunner

from flows.cli import app
from flows.settings import Settings
from warehouse import report_pool, report_state
from warehouse.db import connect
from warehouse.figures import refresh
from warehouse.report import write_report
from warehouse.report_data import PageReader, computed_once, country_page, overview
from warehouse.report_state import read

runner = CliRunner()
GENERATED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every page and chart of a report folder: its bytes and when it was written."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture
def settings(home: Path) -> Settings:
    home.mkdir(parents=True)
    build(home / "warehouse.duckdb")
    return Settings(home=home, config=home / "none.toml")


def test_pages_read_together_equal_pages_read_one_by_one(settings: Settings) -> None:
    from warehouse.preferences import read_preferences

    with connect(settings.warehouse, read_only=True) as con:
        computed_once(con)
        summary = overview(con, read_preferences())
        codes = [c["iso3"] for c in summary.countries]
        alone = {iso3: country_page(con, iso3) for iso3 in codes}
        reader = PageReader(con, codes, summary)
        together = {iso3: reader.page(iso3) for iso3 in codes}
    assert len(codes) >= 2
    for iso3 in codes:
        page = alone[iso3]
        assert page is not None and page.trend and page.quarantined is not None
        page.summary["country_name"] = page.name  # the overview's rows carry the name filled in
        assert asdict(together[iso3]) == asdict(page), iso3


def test_a_change_to_one_country_redraws_only_its_page(settings: Settings) -> None:
    out = settings.reports_dir
    write_report(settings, changed_only=True)
    assert read(out).drawn == ["COD", "SDN"]
    before = files(out)
    write_report(settings, changed_only=True)
    assert read(out).drawn == [] and read(out).status == "completed"
    assert {k: v for k, v in files(out).items() if not k.startswith("index.")} == {
        k: v for k, v in before.items() if not k.startswith("index.")
    }
    with duckdb.connect(str(settings.warehouse)) as con:
        insert(con, "displacement", [stock("unhcr", 0, "2024-08-31", 777_777, iso3="SDN")])
        refresh(con, ["SDN"])  # as a load does in its transaction
    write_report(settings, changed_only=True)
    after = files(out)
    assert read(out).drawn == ["SDN"]
    assert "777,777" in after["SDN.html"][0].decode()
    assert after["SDN.html"] != before["SDN.html"]
    for name in ("COD.html", "COD.md", "COD-trend.png", "COD-new-displacement.png"):
        assert after[name] == before[name], name  # same bytes, not written again
    overview_page = after["index.html"][0].decode()
    assert 'href="COD.html"' in overview_page and 'href="SDN.html"' in overview_page
    assert after["index.html"][1] > before["index.html"][1]


def test_quarantine_of_a_source_redraws_the_countries_it_feeds(settings: Settings) -> None:
    out = settings.reports_dir
    write_report(settings, changed_only=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        query = "SELECT iso3 FROM country_sources WHERE source = 'dtm'"
        fed = {r[0] for r in con.execute(query).fetchall()}
        con.execute(
            'INSERT INTO quarantine (load_run_id, "table", row_no, source, source_record_id, '
            "reason, record) VALUES ('dtm-run0', 'displacement', 1, 'dtm', 'bad1', "
            "'row 3 field figure: not a number', '{}')"
        )
    write_report(settings, changed_only=True)
    assert fed and set(read(out).drawn) == fed
    assert "row 3 field figure" in (out / f"{sorted(fed)[0]}.html").read_text()


def test_a_removed_row_redraws_its_country(settings: Settings) -> None:
    write_report(settings, changed_only=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("DELETE FROM displacement WHERE source = 'unhcr'")
    write_report(settings, changed_only=True)
    assert read(settings.reports_dir).drawn == ["COD"]


def test_a_missing_page_is_drawn_again(settings: Settings) -> None:
    write_report(settings, changed_only=True)
    (settings.reports_dir / "SDN.html").unlink()
    write_report(settings, changed_only=True)
    assert read(settings.reports_dir).drawn == ["SDN"]
    assert (settings.reports_dir / "SDN.html").exists()


def test_pages_drawn_by_workers_equal_pages_drawn_in_process(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_report(settings, out=tmp_path / "here")
    monkeypatch.setattr(report_pool, "PAGES_PER_WORKER", 1)
    assert report_pool.workers_for(2) == min(2, report_pool.workers_for(10**6))
    write_report(settings, out=tmp_path / "workers")
    here, workers = files(tmp_path / "here"), files(tmp_path / "workers")
    assert sorted(here) == sorted(workers) and "COD.html" in here
    for name, (content, _) in here.items():
        if name.endswith(".png"):
            assert workers[name][0] == content, name
        else:
            same = GENERATED.sub("", content.decode())
            assert GENERATED.sub("", workers[name][0].decode()) == same, name


def test_charts_with_the_same_data_come_from_the_cache(settings: Settings, tmp_path: Path) -> None:
    write_report(settings, out=tmp_path / "first")
    cache = settings.home / "cache" / "charts"
    cached = {p.name: p.read_bytes() for p in cache.iterdir()}
    assert any(cached.values())  # drawn charts, and empty entries for charts with no data
    write_report(settings, out=tmp_path / "second")
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == cached
    for name in ("COD-trend.png", "COD-new-displacement.png"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
        assert (tmp_path / "first" / name).read_bytes() in cached.values()


def test_report_command_says_each_country(settings: Settings) -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("report:")]
    assert lines[0] == "report: 2 of 2 countries to draw"
    per_country = lines[1:3]
    assert [line.rsplit(" ", 1)[1] for line in per_country] == ["(1/2)", "(2/2)"]
    assert {line.split()[1] for line in per_country} == {"COD", "SDN"}
    assert lines[3] == "report: overview of 2 countries written"
    assert read(settings.reports_dir).drawn == ["COD", "SDN"]


def test_a_failed_report_is_kept_in_the_state_and_raised(settings: Settings) -> None:
    out = settings.reports_dir
    (out / "index.html").mkdir(parents=True)  # the overview cannot be written
    with pytest.raises(OSError):
        write_report(settings, changed_only=True)
    state = read(out)
    assert state.status == "failed" and state.error
    assert report_state.ended_since(out, 0) == state
    assert (out / "COD.html").exists()  # pages written before the failure stay


def test_a_load_whose_report_fails_keeps_its_data_and_says_so(
    prefect_api: None, home: Path, fixtures: Path
) -> None:
    (home / "reports" / "index.html").mkdir(parents=True)  # the overview cannot be written
    path = fixtures / "displacement-admin0-tcd-slice.json"
    result = runner.invoke(app, ["load", "dtm", str(path)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "report FAILED (the data is loaded; `sitrep report` retries):" in said
    assert "Is a directory" in said
    assert "(an earlier report: this one failed)" in result.stdout
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM displacement WHERE iso3 = 'TCD'").fetchone()
    assert loaded is not None and loaded[0] > 0
    again = runner.invoke(app, ["load", "dtm", str(path), "--force", "-q", "--format", "json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["status"] == "completed" and "Is a directory" in summary["report_error"]


def test_a_failed_load_that_committed_redraws_its_country(
    prefect_api: None, home: Path, fixtures: Path, tmp_path: Path
) -> None:
    lines = (fixtures / "dtm_hdx_global_tcd.csv").read_text().splitlines()
    bad = [re.sub(r",0,\d+,", ",0,n/a,", line, count=1) for line in lines[6:9]]
    assert all(",0,n/a," in line for line in bad)
    path = tmp_path / "tcd.csv"  # 3 of 7 rows unreadable: over the reject limit of 20 %
    path.write_text("\n".join(lines[:6] + bad) + "\n")
    result = runner.invoke(app, ["load", "dtm", str(path)])
    assert result.exit_code != 0, result.output
    assert "over the limit" in " ".join(result.stderr.split())
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM displacement WHERE iso3 = 'TCD'").fetchone()
    assert loaded is not None and loaded[0] > 0
    state = read(home / "reports")
    assert state.status == "completed" and state.drawn == ["TCD"]
    assert "n/a" in (home / "reports" / "TCD.html").read_text()  # its quarantined rows shown


def test_a_full_report_drops_the_charts_it_did_not_use(settings: Settings) -> None:
    write_report(settings)
    cache = settings.home / "cache" / "charts"
    used = {p.name for p in cache.iterdir()}
    stale = cache / ("0" * 64 + ".png")
    stale.write_bytes(b"old")
    os.utime(stale, (1, 1))
    write_report(settings, changed_only=True)
    assert stale.exists()  # a load's report keeps the cache as it is
    write_report(settings)
    assert {p.name for p in cache.iterdir()} == used


def test_failing_expectations_redraw_when_they_change_not_when_their_counts_drift(
    settings: Settings,
) -> None:
    out = settings.reports_dir
    failure = (
        'INSERT INTO validation_results (load_run_id, "table", expectation, "column", '
        "success, unexpected_count, details) VALUES ('dtm-run0', 'displacement', ?, "
        "'admin1_pcode', false, ?, '{}')"
    )
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(failure, ["expect_column_values_to_not_be_null", 3])
    write_report(settings, changed_only=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("UPDATE validation_results SET unexpected_count = 4")
        fed = {
            r[0]
            for r in con.execute("SELECT iso3 FROM country_sources WHERE source = 'dtm'").fetchall()
        }
    write_report(settings, changed_only=True)
    assert read(out).drawn == []
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(failure, ["expect_column_values_to_match_regex", 1])
    write_report(settings, changed_only=True)
    assert fed and set(read(out).drawn) == fed
    assert "expect_column_values_to_match_regex" in (out / f"{sorted(fed)[0]}.html").read_text()
