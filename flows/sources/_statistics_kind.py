"""The shape the displacement statistics kinds with a live API share (IDMC IDU and GIDD,
HDX HAPI): saved JSON or CSV files, or the API itself, into the displacement table. Not a
kind itself: its name starts with `_`, so `flows.kinds` does not list it."""

from __future__ import annotations

from flows.live_api import LiveApi
from flows.sources import Kind, Transform


def statistics_kind(name: str, transform: Transform, api: LiveApi, snapshot: bool = True) -> Kind:
    """A kind reading `*.json` and `*.csv` files and `api`'s locations into `displacement`
    (`snapshot=False` for an API that sends only records newer than the source's mark)."""
    return Kind(
        name=name,
        transform=transform,
        tables=("displacement",),
        patterns=("*.json", "*.csv"),
        snapshot=snapshot,
        live=api,
    )
