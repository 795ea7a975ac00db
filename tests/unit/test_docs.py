"""The README and docs/ describe the tool as it is: every command, option, named query, view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from flows.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)
COMMAND = typer.main.get_command(app)
COMMANDS = sorted(COMMAND.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_with_help_and_an_example(name: str) -> None:
    command = COMMAND.commands[name]  # type: ignore[attr-defined]
    assert f"sitrep {name}" in DOCS, f"README/docs never show `sitrep {name}`"
    assert command.help and "Example" in command.help, f"`sitrep {name} --help` has no example"


@pytest.mark.parametrize(
    ("name", "option"),
    [
        (name, opt)
        for name in COMMANDS
        for param in COMMAND.commands[name].params  # type: ignore[attr-defined]
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    ],
)
def test_every_option_is_documented(name: str, option: str) -> None:
    assert option in DOCS, f"`sitrep {name} {option}` is not in README or docs/"


@pytest.mark.parametrize(
    "query", sorted(p.stem for p in (ROOT / "warehouse" / "queries").glob("*.sql"))
)
def test_every_named_query_is_listed(query: str) -> None:
    assert f"`{query.replace('_', '-')}`" in DOCS


VIEWS = sorted(
    set(
        re.findall(
            r"CREATE OR REPLACE VIEW (\w+)",
            "\n".join(p.read_text() for p in (ROOT / "warehouse" / "views").glob("*.sql")),
        )
    )
)


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_is_in_the_views_table(view: str) -> None:
    assert f"| `{view}` |" in DOCS
