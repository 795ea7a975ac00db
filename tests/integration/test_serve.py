"""Deployment plans for `sitrep serve` / `sitrep deploy`: names, cron schedules, parameters."""

from __future__ import annotations

from pathlib import Path

from prefect.client.schemas.schedules import CronSchedule
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from flows.cli import app
from flows.deploy import ALL_SOURCES, default_schedules, plans, runner_deployments
from flows.settings import Settings, SourceConfig
from flows.sources import registry

NEWS = ("article-files", "rss", "reliefweb")


def test_every_default_schedule_is_valid_cron_and_news_runs_hourly() -> None:
    defaults = default_schedules()
    for cron in defaults.values():
        CronSchedule(cron=cron)  # raises on an invalid cron string
    for kind in NEWS:
        assert defaults[kind] == "0 * * * *"
    assert defaults["idmc-idu"].endswith("* * *")  # daily
    assert defaults["dtm"].endswith("* * 1") and defaults["hapi-idps"].endswith("* * 1")
    assert defaults["idmc-gidd"].endswith(" 1 * *") and defaults["unhcr"].endswith(" 1 * *")
    assert set(registry()) <= set(defaults), "a source kind without a default schedule"


def test_plans_take_the_configured_cron_else_the_kind_default(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", config=tmp_path / "sitrep.toml")
    (tmp_path / "sitrep.toml").write_text("")
    sources = [
        SourceConfig(name="chad", kind="dtm", location=["x"], schedule="15 3 * * *"),
        SourceConfig(name="figures", kind="unhcr", location=["y"]),
    ]
    chosen = {p.name: p for p in plans(settings, sources)}
    assert list(chosen) == [ALL_SOURCES, "chad", "figures"]
    assert chosen["chad"].cron == "15 3 * * *"
    assert chosen["figures"].cron == default_schedules()["unhcr"]
    assert chosen[ALL_SOURCES].cron is None  # on demand unless SITREP_PIPELINE_SCHEDULE
    assert chosen["chad"].parameters == {
        "home": str((tmp_path / "home").resolve()),
        "config": str((tmp_path / "sitrep.toml").resolve()),
        "only": ["chad"],
    }
    assert chosen["chad"].tags == ["sitrep", "source:chad", "kind:dtm"]
    portable = {p.name: p for p in plans(settings, sources, portable=True)}
    assert portable["chad"].parameters == {"only": ["chad"]}


def test_runner_deployments_carry_cron_tags_and_a_module_entrypoint(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, pipeline_schedule="0 2 * * *")
    sources = [SourceConfig(name="dtm", kind="dtm", location=["x"])]
    deployments = {d.name: d for d in runner_deployments(plans(settings, sources))}
    assert set(deployments) == {ALL_SOURCES, "dtm"}
    dtm = deployments["dtm"]
    assert dtm.entrypoint == "flows.pipeline.pipeline"
    assert [s.schedule.cron for s in dtm.schedules] == [default_schedules()["dtm"]]
    assert [s.schedule.cron for s in deployments[ALL_SOURCES].schedules] == ["0 2 * * *"]
    assert "kind:dtm" in dtm.tags


def test_serve_without_a_prefect_server_says_how_to_get_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("SITREP_HOME", str(tmp_path))
    config = tmp_path / "sitrep.toml"
    config.write_text('[[sources]]\nname = "dtm"\nkind = "dtm"\nlocation = "dtm"\n')
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "PREFECT_API_URL" in result.output and "make ui" in result.output
