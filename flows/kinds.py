"""The names of the source kinds, known without importing their modules (which load pandas)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from transforms.errors import SitrepError, did_you_mean

SOURCES = Path(__file__).resolve().parent / "sources"


class UnknownKindError(SitrepError, ValueError):
    """A kind name that no module registers."""


@cache
def kind_names() -> list[str]:
    """Every kind: module `flows/sources/idmc_gidd.py` is kind `idmc-gidd`."""
    return sorted(p.stem.replace("_", "-") for p in SOURCES.glob("[!_]*.py"))


def check_kind(name: str) -> None:
    """UnknownKindError naming the known kinds (and the closest) for a name that is none."""
    if name not in kind_names():
        raise UnknownKindError(
            f"unknown source kind {name!r}{did_you_mean(name, kind_names())}; "
            f"known kinds: {', '.join(kind_names())}"
        )
