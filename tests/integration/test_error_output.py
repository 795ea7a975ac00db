"""What a user sees when something is wrong: one `error:` line, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()
SITREP = str(Path(sys.executable).with_name("sitrep"))

BAD_CONFIGS = {
    "a location list holding a number": (
        b'[[sources]]\nname = "a"\nkind = "dtm"\nlocation = ["x.json", 5]\n',
        "source a: location.1: Input should be a valid string",
    ),
    "sources as a string": (b'sources = "x"\n', "`sources` must be [[sources]] tables"),
    "sources holding a number": (b"sources = [1]\n", "`sources` must be [[sources]] tables"),
    "bytes that are not UTF-8": (
        b'[[sources]]\nname = "\xff\xfe"\nkind = "dtm"\nlocation = "x"\n',
        "not UTF-8 text (byte 20)",
    ),
    "a source without a name": (
        b'[[sources]]\nkind = "dtm"\nlocation = "x.json"\n',
        "source number 1: name: Field required",
    ),
    "two sources of one name": (
        b'[[sources]]\nname = "a"\nkind = "dtm"\nlocation = "x"\n'
        b'[[sources]]\nname = "a"\nkind = "dtm"\nlocation = "y"\n',
        "two sources are named a",
    ),
    "unclosed table header": (b"[[sources]\nkind =", "Expected ']]'"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_a_malformed_config_is_one_line_naming_file_and_field(case, tmp_path, home) -> None:
    body, says = BAD_CONFIGS[case]
    config = tmp_path / "sitrep.toml"
    config.write_bytes(body)
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: config file"), result.output
    assert says in lines[0] and str(config) in lines[0]
    assert not home.exists()  # refused before anything ran


def test_a_bad_setting_in_the_environment_is_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SITREP_HTTP_TIMEOUT", "soon")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: settings: SITREP_HTTP_TIMEOUT: Input should be a valid number, "
        "unable to parse string as a number"
    )


def _sitrep(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it (its own temporary Prefect API)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SITREP_", "PREFECT_"))}
    env |= {"SITREP_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "COLUMNS": "200"}
    return subprocess.run(
        [SITREP, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_a_refused_file_is_told_once_per_failure_without_traceback(tmp_path, samples) -> None:
    home = tmp_path / "home"
    done = _sitrep(["load", "hxl", str(samples / "dtm" / "displacement-admin0-tcd.json")], home)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: hxl: displacement-admin0-tcd.json: not a readable CSV (row 4 has 2 fields, "
        "the header 1)",
        "error: hxl: displacement: 1 of 1 rows quarantined, over the limit of 20%",
    ]
    assert "not a readable CSV" not in done.stdout  # the counts table, then where things are
    assert "│ hxl    │ displacement │ 1  │ 0      │ 1           │ failed │" in done.stdout


def test_a_misspelt_kind_is_refused_with_the_closest_name(tmp_path) -> None:
    result = runner.invoke(app, ["load", "dmt", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown source kind 'dmt' (did you mean dtm?);")
    config = tmp_path / "sitrep.toml"
    config.write_text('[[sources]]\nname = "n"\nkind = "rs"\nlocation = "x.xml"\n')
    run = runner.invoke(app, ["run", "--config", str(config)])
    assert run.exit_code == 2 and "source n: unknown source kind 'rs'" in run.output


def test_the_kinds_known_without_import_are_the_registered_ones() -> None:
    from flows.kinds import kind_names
    from flows.sources import registry

    assert kind_names() == sorted(registry())
    help_text = runner.invoke(app, ["load", "--help"], terminal_width=200).output
    assert all(name in help_text for name in kind_names())


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"sitrep {version('sitrep')}\n"
