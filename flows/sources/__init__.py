"""The source kinds sitrep reads: each module names its transform and how it fetches."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import BinaryIO

import duckdb

from flows.fetch import RawFile, fetch_files
from flows.kinds import UnknownKindError, check_kind, kind_names
from flows.live_api import LiveApi
from flows.settings import Settings, SourceConfig
from transforms.lineage import Origin
from transforms.parsed import Parsed, Staged

Transform = Callable[[bytes, Origin], Parsed]
BatchTransform = Callable[[BinaryIO, Origin], Iterator[Parsed]]
# A raw file (path) staged by SQL in DuckDB: a view of its staged rows and its rejects; None
# when the file is of a format the kind reads with `transform` instead.
StagedTransform = Callable[[str, Origin, duckdb.DuckDBPyConnection], Staged | None]


@dataclass(frozen=True)
class Kind:
    """A source kind: its transform, the file patterns it reads and the tables it fills."""

    name: str
    transform: Transform
    tables: tuple[str, ...]
    patterns: tuple[str, ...] = ("*",)
    # Snapshot kinds re-send everything each time, so a load replaces what came from the same
    # location; incremental kinds (APIs with a high-water mark) only add and revise records.
    snapshot: bool = True
    fetcher: Callable[[SourceConfig, Settings, tuple[str, ...]], list[RawFile]] = field(
        default=fetch_files
    )
    # A transform that reads an open file in batches of rows, for inputs larger than memory.
    batches: BatchTransform | None = None
    # The kind's live API, when it has one: its locations are read by `LiveApi.fetch`.
    live: LiveApi | None = None
    # Files staged by SQL in DuckDB (places, schema and lineage done there), when it can.
    staged: StagedTransform | None = None

    def fetch(self, source: SourceConfig, settings: Settings) -> list[RawFile]:
        if self.live is not None:
            return self.live.fetch(source, settings, self.patterns)
        return self.fetcher(source, settings, self.patterns)

    def parse(self, raw: RawFile, origin: Origin) -> Iterator[Parsed]:
        """The raw file's rows: in batches when the kind can, else in one piece."""
        with open(raw.path, "rb") as source:
            if self.batches is not None:
                yield from self.batches(source, origin)
            else:
                yield self.transform(source.read(), origin)


@cache
def registry() -> dict[str, Kind]:
    """Every known kind by name: each module in this package that defines `KIND`."""
    kinds: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            kinds[kind.name] = kind
    return kinds


def get_kind(name: str) -> Kind:
    """The kind called `name`, or UnknownKindError listing the known ones."""
    check_kind(name)
    return registry()[name]


__all__ = ["Kind", "UnknownKindError", "check_kind", "get_kind", "kind_names", "registry"]
