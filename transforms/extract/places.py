"""Country and admin-unit mentions found in text through the bundled gazetteer.

`PlaceFinder` is the seam for a statistical recogniser: anything that returns `Mention`s for
a text (a spaCy pipeline with a trained NER, its GPE/LOC spans looked up in the gazetteer)
can replace or extend `GazetteerPlaces`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import pandas as pd

from transforms import gazetteer
from transforms.extract.lexicon import (
    cities,
    country_names,
    demonyms,
    not_places,
    place_stopwords,
    regions,
    world_admin,
)
from transforms.extract.scan import lowered
from transforms.extract.segment import WORD, words

PREFIX = re.compile(
    r"^(?:al|ar|as|ad|an|ash|at|az|el|provincia(?: de)?|province (?:de|du)|"
    r"departamento (?:de|del)|municipio (?:de )?|region|région)[\s-]+",
    re.I,
)
SUFFIX = re.compile(
    r"[\s-]+(?:province|region|state|governorate|prefecture|district|county|pca(?: area)?|"
    r"city|municipality|territory|department|autonomous prefecture|oblast|division)$",
    re.I,
)
COMPASS = {"nord": "North", "sud": "South", "est": "East", "ouest": "West"}


@dataclass(frozen=True)
class Unit:
    """An admin 1 or 2 unit of the gazetteer."""

    pcode: str
    iso3: str
    level: int
    name: str
    parent: str | None


@dataclass(frozen=True)
class Mention:
    """A place named in the text: a country (by name or demonym) or admin unit candidates."""

    start: int
    end: int
    text: str
    kind: str  # "country", "demonym", "admin", "city", or "block" (an organisation)
    iso3: str | None = None
    units: tuple[Unit, ...] = ()
    cities: tuple[tuple[str, int], ...] = ()  # (iso3, population) candidates of a city name


class PlaceFinder(Protocol):
    """Finds place mentions in a parsed document (gazetteer rules now, a model later)."""

    def mentions(self, text: str) -> list[Mention]: ...


def fold(text: str) -> str:
    """Accents removed, for matching names written without them."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def variants(name: str) -> set[str]:
    """Ways a gazetteer name is written in news: no article, no "Province", no accents."""
    out = {name}
    for part in re.findall(r"\(([^)]+)\)", name):
        out.add(part)
    out.add(re.sub(r"\s*\([^)]*\)", "", name))
    for v in list(out):
        out.add(SUFFIX.sub("", PREFIX.sub("", v)))
    for v in list(out):
        first, _, rest = v.partition("-")
        if first.lower() in COMPASS and rest:
            out.add(f"{COMPASS[first.lower()]} {rest}")
        out.add(fold(v))
        out.add(v.replace("-", " "))
    stop = place_stopwords()
    return {v.strip() for v in out if len(v.strip()) >= 3 and v.strip().casefold() not in stop}


class GazetteerPlaces:
    """Country names, demonyms and admin names from the bundled gazetteer, looked up by token.

    A dictionary from lower-cased word tuples to entries, probed where a word starts a name:
    spaCy's PhraseMatcher gives the same matches but takes ~8 s to build for the 33,000
    admin names (a lexeme per new word), this index about half a second.
    """

    def __init__(self) -> None:
        self.index: dict[tuple[str, ...], Entry] = {}  # lower-case words -> entry
        self.prefixes: set[tuple[str, ...]] = set()  # every leading run of words of a name
        self.starts: set[str] = set()  # first words of names
        self._add_countries()
        self._add_admin(gazetteer.admin_units())
        self._add_cities()
        for name in not_places():
            self._add(name, Entry("block"))

    def _add(self, name: str, entry: Entry) -> None:
        key = tuple(_key_word(w) for w in words(name))
        if not key:
            return
        old = self.index.get(key)
        if old is None or RANK[entry.kind] < RANK[old.kind]:
            self.index[key] = entry
        elif old.kind == entry.kind == "admin":
            self.index[key] = Entry("admin", None, old.units + entry.units)
        elif entry.kind == "city" and old.kind in ("admin", "city"):
            # namesake towns together (a unit's too, as a fallback), most populous first
            towns = tuple(sorted(set(old.cities + entry.cities), key=lambda c: -c[1]))
            self.index[key] = Entry(old.kind, None, old.units, cities=towns)
        self.starts.add(key[0])
        self.prefixes.update(key[:n] for n in range(1, len(key) + 1))

    def _add_countries(self) -> None:
        names: dict[str, str] = {}
        for row in gazetteer.countries().itertuples():
            for name in [row.name, *str(row.alt_names).split("|")]:
                if name and "(" not in name and "," not in name:
                    names[name] = str(row.iso3)
        names.update(dict(country_names()))
        for name, iso3 in names.items():
            self._add(name, Entry("country", iso3, upper=name.isupper()))
        for name, iso3 in demonyms():
            self._add(name, Entry("demonym", iso3))

    def _add_admin(self, units: pd.DataFrame) -> None:
        columns = [units[c].tolist() for c in ("pcode", "iso3", "level", "name", "parent_pcode")]
        for pcode, iso3, level, name, parent in zip(*columns, strict=True):
            unit = Unit(pcode, iso3, int(level), name, _opt(parent))
            for v in variants(name):
                self._add(v, Entry("admin", None, (unit,)))

    def _add_cities(self) -> None:
        stop = place_stopwords()
        for name, found in cities().items():
            if len(name) >= 4 and name.casefold() not in stop:
                self._add(name, Entry("city", None, (), cities=found))
        for name, iso3 in regions():  # as a town of a million: a region wins its namesakes
            self._add(name, Entry("city", None, (), cities=((iso3, REGION),)))
        for name, iso3, level in world_admin():  # a province anywhere: its country at least
            for v in variants(name):
                if v.casefold() not in stop:
                    weight = WORLD_ADMIN if level == 1 else WORLD_ADMIN // 10
                    self._add(v, Entry("city", None, (), cities=((iso3, weight),)))

    def mentions(self, text: str) -> list[Mention]:
        """Longest mentions left to right; names capitalised, abbreviations in capitals."""
        tokens = Words.of(text)
        starts = self.starts
        out: list[Mention] = []
        resume = 0
        for i in [i for i, w in enumerate(tokens.keys) if w in starts]:  # words that start a name
            hit = self._longest_at(tokens, i) if i >= resume else None
            if hit is None:
                continue
            n, entry = hit
            start, end = tokens.starts[i], tokens.end(i + n - 1)
            out.append(
                Mention(
                    start, end, text[start:end], entry.kind, entry.iso3, entry.units, entry.cities
                )
            )
            resume = i + n
        return out

    def _longest_at(self, tokens: Words, i: int) -> tuple[int, Entry] | None:
        """The longest name starting at word i whose words are cased as a name's."""
        lengths = []
        key: tuple[str, ...] = ()
        for j in range(i, len(tokens.keys)):  # on while some name starts with these words
            key += (tokens.keys[j],)
            if key not in self.prefixes:
                break
            if key in self.index:
                lengths.append(len(key))
        for n in reversed(lengths):
            entry = self.index[key[:n]]
            cased = [tokens.cased(k) for k in range(i, i + n)]
            if not any(cased) or (entry.upper and not all(cased)):
                continue
            return n, entry
        return None


@dataclass(frozen=True)
class Words:
    """A text's words as the index keys them, from one scan of its lower-case copy."""

    text: str
    lower: list[str]
    keys: list[str]  # lower case, accents off
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> Words:
        """The words of a text, their keys and offsets."""
        found = list(WORD.finditer(lowered(text)))
        lower = list(map(re.Match.group, found))
        keys = lower if text.isascii() else [w if w.isascii() else _key_word(w) for w in lower]
        return cls(text, lower, keys, list(map(re.Match.start, found)))

    def end(self, k: int) -> int:
        """Where word k ends."""
        return self.starts[k] + len(self.lower[k])

    def cased(self, k: int) -> bool:
        """Word k is written otherwise than its key: a capital, or an accent the key drops."""
        return self.text[self.starts[k] : self.end(k)] != self.keys[k]


REGION = 1_000_000  # the weight a listed region gets among namesake towns
WORLD_ADMIN = 400_000  # an ISO 3166-2 province among namesake towns (its districts a tenth)
RANK = {"block": 0, "country": 1, "demonym": 2, "admin": 3, "city": 4}


@dataclass(frozen=True)
class Entry:
    """What a name in the index stands for."""

    kind: str
    iso3: str | None = None
    units: tuple[Unit, ...] = ()
    upper: bool = False
    cities: tuple[tuple[str, int], ...] = ()


def _key_word(word: str) -> str:
    """A word as the index keys it: lower case, accents off ("Kasaï" = "Kasai"), one apostrophe."""
    word = word.lower()
    return word if word.isascii() else fold(word).replace("’", "'")


def _opt(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]


@cache
def gazetteer_places() -> GazetteerPlaces:
    """The place index, built once per process (about half a second)."""
    return GazetteerPlaces()
