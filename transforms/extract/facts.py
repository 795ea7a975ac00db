"""Displacement facts of one text: figure, unit, term, qualifier, place, date, confidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from transforms.extract.dates import event_date
from transforms.extract.numbers import Figure, figures
from transforms.extract.places import PlaceFinder, gazetteer_places
from transforms.extract.resolve import (
    ArticlePlaces,
    Located,
    country_name,
    nearby_names,
    resolve,
)
from transforms.extract.segment import sentences
from transforms.extract.terms import Reading, read, term_mentions
from transforms.extract.textfix import repair


@dataclass(frozen=True)
class Fact:
    """One displacement figure reported in a text, located and dated where the text allows."""

    iso3: str | None
    place_name: str | None
    admin1_pcode: str | None
    admin2_pcode: str | None
    figure: int
    unit: str
    term: str
    qualifier: str
    event_date: date | None
    sentence: str
    confidence: float
    position: int


def extract(
    text: str, published: date | None = None, finder: PlaceFinder | None = None
) -> list[Fact]:
    """The facts of a text, most salient first (confidence tier, then order in the text)."""
    text = repair(text)
    places = resolve((finder or gazetteer_places()).mentions(text), text)
    found: list[Fact] = []
    for start, end in sentences(text):
        found.extend(sentence_facts(Sentence(start, end, text[start:end]), places, published))
    ranked = sorted(found, key=lambda f: (-round(f.confidence, 1), f.position))
    return distinct(ranked)


def distinct(facts: list[Fact]) -> list[Fact]:
    """One fact per figure, unit and term: a headline repeating the lead is not a second fact."""
    seen: set[tuple[int, str, str]] = set()
    out = []
    for fact in facts:
        key = (fact.figure, fact.unit, fact.term)
        if key not in seen:
            seen.add(key)
            out.append(fact)
    return out


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article and where it starts and ends."""

    start: int
    end: int
    text: str


def sentence_facts(sent: Sentence, places: ArticlePlaces, published: date | None) -> list[Fact]:
    """Facts whose figure is in this sentence."""
    found = figures(sent.text)
    if not found:
        return []
    terms = term_mentions(sent.text)
    readings = [(fig, r) for fig in found if fig.value >= 1 and (r := read(sent.text, fig, terms))]
    if not readings:
        return []
    when = event_date(sent.text, published)  # one date per sentence, read only when it has facts
    here = SentencePlaces.of(sent, places)
    return [
        make_fact(sent, fig, r, locate(sent.start + fig.num_start, here, places), when)
        for fig, r in readings
    ]


def make_fact(
    sent: Sentence, fig: Figure, reading: Reading, where: Located | None, when: date | None
) -> Fact:
    """The fact row for a figure read in a sentence."""
    unit = where.unit if where else None
    return Fact(
        iso3=where.iso3 if where else None,
        place_name=where.text if where else None,
        admin1_pcode=(unit.pcode if unit.level == 1 else unit.parent) if unit else None,
        admin2_pcode=unit.pcode if unit and unit.level == 2 else None,
        figure=fig.value,
        unit=reading.unit,
        term=reading.term,
        qualifier=fig.qualifier,
        event_date=when,
        sentence=sent.text.strip(),
        confidence=confidence(fig, reading, where),
        position=sent.start + fig.num_start,
    )


def confidence(fig: Figure, reading: Reading, where: Located | None) -> float:
    """A rough 0-1 score: a term right by the figure, a counted noun, digits, a known place."""
    score = 0.45
    score += 0.3 if reading.gap <= 30 else 0.15 if reading.gap <= 80 else 0.0
    score += 0.1 if reading.noun else 0.0
    score += 0.05 if fig.digits else -0.2 if fig.vague else 0.0
    score += 0.05 if where is not None and where.unit is not None else 0.0
    return round(min(score, 0.95), 2)


@dataclass(frozen=True)
class SentencePlaces:
    """The places a sentence names, found once for all the figures in it."""

    units: list[Located]
    towns: list[Located]
    countries: list[Located]
    names: list[Located]  # capitalised names after "in", "from"... that the gazetteer lacks

    @classmethod
    def of(cls, sent: Sentence, places: ArticlePlaces) -> SentencePlaces:
        inside = places.within(sent.start, sent.end)
        taken = inside + places.blocked_from(sent.start, sent.end)
        return cls(
            units=[p for p in inside if p.kind == "unit"],
            towns=[p for p in inside if p.kind == "city"],
            countries=[p for p in inside if p.kind in ("country", "demonym")],
            names=nearby_names(sent.text, sent.start, taken),
        )


def locate(at: int, here: SentencePlaces, places: ArticlePlaces) -> Located | None:
    """Where a figure at offset `at` is: the first place its sentence names (admin unit, known
    town, or a name after "in", "from", "to"), else the place the article names most, else its
    country."""
    units, towns, countries = here.units, here.towns, here.countries
    country = _closest([p for p in countries if p.kind == "country"], at) or _closest(countries, at)
    anchor = units or towns or ([country] if country else [])
    iso3 = anchor[0].iso3 if anchor else places.dominant_country()
    named = [Located(n.start, n.end, n.text, iso3) for n in here.names]
    first = min(units + towns + named, key=lambda p: p.start, default=None)
    if first is not None:
        return first
    main = places.dominant_unit(iso3)
    if main is not None:
        return main
    if country is not None and country.kind == "country":
        return country
    return Located(at, at, country_name(iso3), iso3, None, "country") if iso3 else None


def _closest(items: list[Located], at: int) -> Located | None:
    return min(items, key=lambda p: abs(p.start - at), default=None)
