"""The extraction vocabularies, read once from the CSV and text files in `data/`."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from transforms.extract.scan import compile_scan

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass(frozen=True)
class TermPattern:
    """A phrase that reports displacement, the IDMC term it means, and what it counts."""

    regex: re.Pattern[str]
    term: str
    kind: str  # "people" or "housing"


@cache
def term_patterns() -> tuple[TermPattern, ...]:
    """Reporting-term patterns in priority order (earlier rows win at the same place)."""
    return tuple(
        TermPattern(re.compile(_spaced(r["pattern"]), re.IGNORECASE), r["term"], r["kind"])
        for r in _rows("terms.csv")
    )


def _spaced(pattern: str) -> str:
    """A space in a pattern matches any run of whitespace (PDF text breaks lines anywhere)."""
    return pattern.replace(" ", r"\s+")


@cache
def terms_regex() -> re.Pattern[str]:
    """One alternation of every term pattern, a named group per row, for a single scan of
    lower-cased text (the patterns are lower case)."""
    alternation = "|".join(f"(?P<t{i}>{p.regex.pattern})" for i, p in enumerate(term_patterns()))
    return compile_scan(alternation)


@dataclass(frozen=True)
class Noun:
    """What a counted noun says about a figure: its unit and, for some, the term itself."""

    unit: str
    term: str | None
    housing: bool


@cache
def noun_table() -> tuple[tuple[str, Noun], ...]:
    """(regex alternation, Noun) per row of nouns.csv."""
    out = []
    for r in _rows("nouns.csv"):
        housing = r["term"] == "housing"
        term = None if housing or not r["term"] else r["term"]
        out.append((r["noun"], Noun(r["unit"], term, housing)))
    return tuple(out)


@cache
def qualifier_regex() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Phrases just before a figure (anchored at its start) and the qualifier each means; for
    lower-cased text, as the two below."""
    return tuple(
        (re.compile(rf"(?:^|[^\w])(?:{r['phrase']})\s*$"), r["qualifier"])
        for r in _rows("qualifiers.csv")
    )


@cache
def blockers_regex() -> re.Pattern[str]:
    """Words right after a figure that make it something other than displacement."""
    alts = "|".join(r["pattern"] for r in _rows("blockers.csv"))
    return re.compile(rf"\s*(?:[\w-]+\s+){{0,2}}?(?:{alts})(?![\w])")


@cache
def casualty_before() -> re.Pattern[str]:
    """A casualty verb right before a figure ("killed 12 people")."""
    return re.compile(
        r"(?:killed|killing|kills|injured|injuring|wounded|wounding|death of|lives of|"
        r"claimed|kidnapped|abducted)\s+(?:\w+\s+){0,2}$"
    )


@cache
def mojibake() -> tuple[tuple[str, str], ...]:
    """Known mis-decoded sequences and what they stood for, longest first."""
    pairs = [(r["broken"], r["fixed"]) for r in _rows("mojibake.csv")]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@cache
def country_names() -> tuple[tuple[str, str], ...]:
    """Extra (name, iso3) pairs that override or add to the taxonomy's names."""
    return tuple((r["name"], r["iso3"]) for r in _rows("country_names.csv"))


@cache
def demonyms() -> tuple[tuple[str, str], ...]:
    """(demonym, iso3) pairs: weaker evidence of the country than its name."""
    rows = _rows("demonyms.csv") + _rows("world_demonyms.csv")
    return tuple((name, r["iso3"]) for r in rows for name in r["demonym"].split("|"))


@cache
def not_places() -> tuple[str, ...]:
    """Names of organisations and features that contain a place name but are not places."""
    return tuple(_lines("not_places.txt"))


@cache
def place_stopwords() -> frozenset[str]:
    """Place names that are ordinary words ("Most", "Same", "Central"); never matched alone."""
    words = _lines("place_stopwords.txt") + _lines("stop_words_en.txt")
    return frozenset(w.casefold() for w in words)


@cache
def cities() -> dict[str, tuple[tuple[str, int], ...]]:
    """City name -> ((iso3, population), ...), most populous first (GeoNames: primary names of
    towns >= 15,000, alternate names of towns >= 200,000)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for r in _rows("cities.csv") + _rows("city_alternates.csv"):
        found = out.setdefault(r["name"], [])
        if (r["iso3"], int(r["population"])) not in found:
            found.append((r["iso3"], int(r["population"])))
    return {k: tuple(sorted(v, key=lambda c: -c[1])) for k, v in out.items()}


@cache
def regions() -> tuple[tuple[str, str], ...]:
    """(name, iso3) of regions and islands news names that neither gazetteer lists."""
    return tuple((r["name"], r["iso3"]) for r in _rows("regions.csv"))


@cache
def world_admin() -> tuple[tuple[str, str, int], ...]:
    """(name, iso3, level) of every ISO 3166-2 subdivision: country evidence, no p-code."""
    return tuple((r["name"], r["iso3"], int(r["level"])) for r in _rows("world_admin.csv"))
