"""Security: read-only queries, config locations kept inside their roots, secrets never written."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from flows.settings import ConfigError, Settings
from reliability.states import FIXTURE, fingerprint, run_load, write_spec
from tests.replay import Reply, replay_server
from warehouse.query import QueryError, run_query

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("query")
    db = folder / "warehouse.duckdb"
    assert run_load(db, write_spec(folder, FIXTURE.read_bytes(), "run-q", "q")) == 0
    return db


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA database_list",
        "PRAGMA memory_limit='1GB'",
        "CALL checkpoint()",
        "CALL pragma_table_info('displacement')",
        "CHECKPOINT",
        "EXPORT DATABASE '{outside}/export'",
        "SELECT * FROM read_parquet('{lake}')",
        "SELECT * FROM '{lake}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "EXPLAIN ANALYZE DELETE FROM displacement",
        "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1",
        "EXPLAIN ANALYZE CHECKPOINT",
        "EXPLAIN (ANALYZE) CHECKPOINT",
        "/* note */ EXPLAIN -- why\n ANALYZE PRAGMA database_list",
        "EXPLAIN ANALYZE SET VARIABLE v = 1",
        "EXPLAIN CREATE MACRO m(x) AS x",
        "EXPLAIN ANALYZE CALL checkpoint()",
        "EXPLAIN ANALYZE",
        "SELECT 1; DROP TABLE displacement",
        "CREATE TEMP TABLE t AS SELECT 1",
        "CREATE MACRO m(x) AS x",
        "SET VARIABLE v = 1",
        "RESET enable_external_access",
        "USE memory",
        "DETACH warehouse",
        "VACUUM",
        "SELECT * FROM duckdb_secrets()",
    ],
)
def test_query_refuses_anything_but_reading_the_warehouse(warehouse: Path, sql: str) -> None:
    lake = next(warehouse.parent.glob("*.parquet"))
    before = fingerprint_copy(warehouse)
    statement = sql.format(outside=warehouse.parent, lake=lake)
    with pytest.raises(QueryError):
        run_query(warehouse, statement)
    assert not (warehouse.parent / "export").exists()
    assert fingerprint_copy(warehouse) == before


def fingerprint_copy(db: Path) -> dict[str, tuple[int, int]]:
    """The warehouse fingerprint, read from a copy (the original stays untouched)."""
    copy = db.with_name("copy.duckdb")
    copy.write_bytes(db.read_bytes())
    try:
        return fingerprint(copy)
    finally:
        copy.unlink()


def test_query_can_still_read(warehouse: Path) -> None:
    assert run_query(warehouse, "SELECT count(*) FROM displacement")[1] == [(6,)]
    for sql in ("EXPLAIN SELECT 1", "EXPLAIN ANALYZE SELECT count(*) FROM displacement"):
        columns, rows = run_query(warehouse, sql)
        assert columns == ["explain_key", "explain_value"] and rows
    columns, rows = run_query(warehouse, "/* c */ EXPLAIN (FORMAT json) FROM displacement")
    assert rows[0][1].lstrip().startswith("[")


def config_at(folder: Path, location: str) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sitrep.toml"
    path.write_text(f'[[sources]]\nname = "s"\nkind = "dtm"\nlocation = "{location}"\n')
    return Settings(config=path, home=folder / "home")


@pytest.mark.parametrize(
    "location", ["../outside/dtm.json", "data/../../outside/dtm.json", "{outside}/dtm.json"]
)
def test_config_cannot_escape_its_folder(tmp_path: Path, location: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "dtm.json").write_bytes(FIXTURE.read_bytes())
    settings = config_at(tmp_path / "project", location.format(outside=outside))
    with pytest.raises(ConfigError, match="outside the allowed roots"):
        settings.sources()


def test_config_cannot_escape_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "dtm.json").write_bytes(FIXTURE.read_bytes())
    project = tmp_path / "project"
    project.mkdir()
    (project / "data").symlink_to(tmp_path / "outside", target_is_directory=True)
    settings = config_at(project, "data/dtm.json")
    with pytest.raises(ConfigError, match=r"resolves to .*outside"):
        settings.sources()


def test_roots_can_be_widened_or_lifted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    settings = config_at(tmp_path / "project", f"{outside}/dtm.json")
    monkeypatch.setenv("SITREP_ALLOWED_ROOTS", f'["{outside}"]')
    widened = Settings(config=settings.config, home=settings.home)
    assert widened.sources()[0].location == [f"{outside}/dtm.json"]
    monkeypatch.delenv("SITREP_ALLOWED_ROOTS")
    monkeypatch.setenv("SITREP_ALLOW_ANY_LOCATION", "true")
    assert Settings(config=settings.config, home=settings.home).sources()


def test_inside_locations_home_and_samples_are_allowed(tmp_path: Path) -> None:
    settings = config_at(tmp_path / "project", "data/dtm.json")
    assert settings.sources()[0].location == [str(tmp_path / "project" / "data" / "dtm.json")]
    assert config_at(tmp_path / "p2", str(SAMPLES / "dtm")).sources()


def test_cli_refuses_an_escaping_config_with_a_clear_error(tmp_path: Path) -> None:
    settings = config_at(tmp_path / "project", "../../etc/passwd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITREP_")}
    env["SITREP_HOME"] = str(settings.home)
    sitrep = str(Path(sys.executable).with_name("sitrep"))
    done = subprocess.run(
        [sitrep, "run", "--config", str(settings.config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert "outside the allowed roots" in done.stderr
    assert not (settings.home / "raw").exists()


DTM_SECRET = "dtm-s3cr3t-7f1e9a"
IDMC_SECRET = "idmc-s3cr3t-42c0d8"


def _written_anywhere(folders: list[Path], secrets: list[str]) -> list[str]:
    """Files under `folders` whose bytes contain a secret (as text or UTF-16)."""
    hits = []
    needles = [s.encode() for s in secrets] + [s.encode("utf-16-le") for s in secrets]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and any(n in path.read_bytes() for n in needles):
                hits.append(str(path))
    return hits


def live_config(folder: Path, base_url: str) -> Path:
    config = folder / "sitrep.toml"
    config.write_text(
        f"""
[[sources]]
name = "dtm-live"
kind = "dtm"
location = "{base_url}/v3/displacement"
params = {{ countries = ["TCD"], admin_levels = [0] }}

[[sources]]
name = "idu-live"
kind = "idmc-idu"
location = "{base_url}/external-api/idus/last-180-days/"
"""
    )
    return config


@dataclass
class Run:
    """What one `sitrep run` did: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


def sitrep_run(config: Path, home: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> Run:
    """`sitrep run --config F` in this process (real Prefect API), with the secrets set."""
    from typer.testing import CliRunner

    from flows.cli import app

    for key, value in {
        "SITREP_HOME": str(home),
        "SITREP_DTM_SUBSCRIPTION_KEY": DTM_SECRET,
        "SITREP_IDMC_CLIENT_ID": IDMC_SECRET,
        "SITREP_HTTP_RETRIES": "1",
        "SITREP_HTTP_BACKOFF": "0.01",
        "SITREP_HTTP_TIMEOUT": "2",
        "SITREP_ALLOWED_HOSTS": "127.0.0.1",  # the loopback test server
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    out, err = capfd.readouterr()
    return Run(result.exit_code, result.stdout + out, result.stderr + err)


def idu_state(db: Path) -> tuple[object, ...]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT count(*), sum(hash(record_hash)) FROM displacement WHERE source = 'idu-live'"
        ).fetchone()
        mark = con.execute(
            "SELECT value, load_run_id FROM source_watermarks WHERE source = 'idu-live'"
        ).fetchone()
    return rows, mark


# The second run's IDU answer: an HTML page with status 200 (fails in normalise), or a 503
# (fails in fetch, after the client's and Prefect's retries: slower, so reliability only).
SECOND_REPLY = {
    "html-200": (Reply(b"<html><body>Maintenance</body></html>"), "missing column"),
    "http-503": (Reply(b"upstream down", 503), "HTTP 503"),
}


@pytest.mark.parametrize(
    "fault", ["html-200", pytest.param("http-503", marks=pytest.mark.reliability)]
)
def test_live_failure_keeps_data_and_mark_and_no_secret_is_written(
    prefect_api, tmp_path: Path, fault: str, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    dtm_body = (SAMPLES / "dtm" / "displacement-admin0-tcd.json").read_bytes()
    idu_body = (SAMPLES / "idmc-idu" / "idu_api_IND.json").read_bytes()
    reply, message = SECOND_REPLY[fault]
    routes = {
        "/v3/displacement/admin0": [Reply(dtm_body)],
        "/external-api/idus/last-180-days/": [Reply(idu_body), reply],
    }
    home = tmp_path / "home"
    with replay_server(routes) as srv:
        config = live_config(tmp_path, srv.base_url)
        first = sitrep_run(config, home, monkeypatch, capfd)
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
        before = idu_state(home / "warehouse.duckdb")
        second = sitrep_run(config, home, monkeypatch, capfd)
    assert second.returncode == 1
    assert "idu-live" in second.stderr and message in second.stderr, second.stderr[-3000:]
    assert idu_state(home / "warehouse.duckdb") == before  # rows and high-water mark kept
    assert before[0][0] > 0 and before[1] is not None
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(
            con.execute(
                "SELECT source, arg_max(status, started_at) FROM load_runs GROUP BY source"
            ).fetchall()
        )
    # The other source still ran: its API answered the same bytes, so it is unchanged.
    assert statuses == {"dtm-live": "unchanged", "idu-live": "failed"}
    keys = [h.get("Ocp-Apim-Subscription-Key") for p, h in srv.requests if "displacement" in p]
    assert keys and set(keys) == {DTM_SECRET}  # the key was sent, in its header only
    outputs = first.stdout + first.stderr + second.stdout + second.stderr
    assert DTM_SECRET not in outputs and IDMC_SECRET not in outputs
    prefect_home = Path(os.environ["PREFECT_HOME"])
    assert _written_anywhere([home, prefect_home], [DTM_SECRET, IDMC_SECRET]) == []
