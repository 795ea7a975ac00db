"""`sitrep --help` of every command: flags are shown bare, options that take a value keep theirs."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
runner = CliRunner()


@pytest.mark.parametrize("args", [[], *[[name] for name in COMMANDS]])
def test_help_shows_no_bool_type_for_flags(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output


def test_options_that_take_a_value_still_show_its_type_and_flags_still_work() -> None:
    result = runner.invoke(app, ["load", "--help"], env={"COLUMNS": "150"})
    assert re.search(r"--format\s+<str>", result.output)
    assert runner.invoke(app, ["--version"]).output.startswith("sitrep ")
