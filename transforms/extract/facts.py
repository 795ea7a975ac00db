"""Displacement facts of one text: figure, unit, term, qualifier, place, date, confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TypedDict, Unpack
from urllib.parse import urlsplit

from transforms import gazetteer
from transforms.extract.about import AboutPlace, places_named
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


class Known(TypedDict, total=False):
    """What is known of a text besides its words. `title` and `url`: the countries they name
    weigh for every place of the text and are the country of a figure whose sentence names
    none. `language` ("fr", "es", ...; from `articles.language`): the number style (a decimal
    comma in "1,2 million")."""

    title: str
    url: str
    language: str | None


def extract(
    text: str,
    published: date | None = None,
    finder: PlaceFinder | None = None,
    **known: Unpack[Known],
) -> list[Fact]:
    """The facts of a text, most salient first (confidence tier, then order in the text)."""
    facts, _ = read_article(text, published, finder, **known)
    return facts


def read_article(
    text: str,
    published: date | None = None,
    finder: PlaceFinder | None = None,
    **known: Unpack[Known],
) -> tuple[list[Fact], list[AboutPlace]]:
    """The facts of a text and the places it names below the country (`article_places`)."""
    text, language = repair(text), known.get("language")
    finder = finder or gazetteer_places()
    context = context_of(finder, known.get("title", ""), known.get("url", ""))
    places = resolve(finder.mentions(text), text, context.prior)
    places.title_places = list(context.places)
    dateline = DATELINE.match(text)
    places.dateline_end = dateline.end() if dateline else 0
    found: list[Fact] = []
    for start, end in sentences(text):
        sent = Sentence(start, end, text[start:end])
        found.extend(sentence_facts(sent, places, published, language))
    ranked = sorted(found, key=lambda f: (-round(f.confidence, 1), f.position))
    return distinct(ranked), places_named(text, places)


URL_WORDS = re.compile(r"[a-z]+")
# "JUBA, South Sudan (Reuters) - ": where the story was filed, context for the country but
# not the place of the figures of the first sentence.
DATELINE = re.compile(
    r"\s*[A-Z][A-Z.'’ -]{2,40}(?:,\s*[A-Z][\w.'’ -]{1,40}){0,2}\s*(?:\([^()\n]{1,40}\))?"
    r"\s*(?:[-–—:]+)\s+"
)
# Country-code domains used as generic ones (.io, .tv, .co...): no evidence of a country.
GENERIC_TLDS = frozenset(
    [
        "io",
        "tv",
        "co",
        "me",
        "fm",
        "ly",
        "ai",
        "am",
        "cc",
        "ws",
        "to",
        "la",
        "gg",
        "im",
        "is",
        "it",
        "ac",
        "ag",
        "as",
        "bz",
        "nu",
        "sh",
        "st",
        "tk",
        "vc",
    ]
)


@dataclass(frozen=True)
class Context:
    """What an article's title and URL say: country weights and the title's places."""

    prior: dict[str, float]
    places: tuple[Located, ...] = ()


def context_of(finder: PlaceFinder, title: str, url: str) -> Context:
    """Country weights from the title (any place it names), the URL path (country names and
    demonyms in its words: /report/democratic-republic-congo/...) and a country-code domain;
    and the admin units and towns the title names, resolved."""
    prior: dict[str, float] = {}
    parts = urlsplit(url if "//" in url else "//" + url) if url else None
    words = " ".join(w.capitalize() for w in URL_WORDS.findall(parts.path if parts else ""))
    for source, weight in ((words, 1.0),):
        for m in finder.mentions(source) if source else []:
            if m.kind in ("country", "demonym") and m.iso3:
                prior[m.iso3] = prior.get(m.iso3, 0.0) + weight
    tld = (parts.hostname or "").rpartition(".")[2] if parts else ""
    if len(tld) == 2 and tld not in GENERIC_TLDS:
        iso3 = _iso2_to_iso3().get(tld.upper())
        if iso3:
            prior[iso3] = prior.get(iso3, 0.0) + 0.5
    if not title:
        return Context(prior)
    named = resolve(finder.mentions(title), title, prior)
    for p in named.located:
        if p.iso3:
            prior[p.iso3] = prior.get(p.iso3, 0.0) + (1.5 if p.kind == "country" else 1.0)
    fine = tuple(p for p in named.located if p.kind in ("unit", "city"))
    return Context(prior, fine)


@cache
def _iso2_to_iso3() -> dict[str, str]:
    table = gazetteer.countries()
    return {str(a): str(b) for a, b in zip(table["iso2"], table["iso3"], strict=True) if a}


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


def sentence_facts(
    sent: Sentence, places: ArticlePlaces, published: date | None, language: str | None = None
) -> list[Fact]:
    """Facts whose figure is in this sentence."""
    found = figures(sent.text, language)
    if not found:
        return []
    terms = term_mentions(sent.text)
    readings = [(fig, r) for fig in found if fig.value >= 1 and (r := read(sent.text, fig, terms))]
    if not readings:
        return []
    when = event_date(sent.text, published)  # one date per sentence, read only when it has facts
    here = SentencePlaces.of(sent, places)
    return [
        make_fact(sent, fig, r, locate(sent.start + fig.num_start, here, places, sent), when)
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
    """A rough 0-1 score: a term right by the figure, a counted noun, digits, a known place
    in the figure's own clause (a country-level place, or one from another clause, costs)."""
    score = 0.45
    score += 0.3 if reading.gap <= 30 else 0.15 if reading.gap <= 80 else 0.0
    score += 0.1 if reading.noun else 0.0
    score += 0.05 if fig.digits else -0.2 if fig.vague else 0.0
    score += 0.05 if where is not None and where.unit is not None else 0.0
    if where is None or where.kind in ("country", "demonym"):
        score -= 0.1
    elif where.kind == "outside":
        score -= 0.05
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
        inside = places.within(max(sent.start, places.dateline_end), sent.end)
        taken = inside + places.blocked_from(sent.start, sent.end)
        return cls(
            units=[p for p in inside if p.kind == "unit"],
            towns=[p for p in inside if p.kind == "city"],
            countries=[p for p in inside if p.kind in ("country", "demonym")],
            names=nearby_names(sent.text, sent.start, taken),
        )


CLAUSE_BREAK = re.compile(
    r";|\s(?:while|whilst|whereas|meanwhile|but|and another|tandis que|alors que|mientras)\s"
)  # on lower-cased text


def clause(sent: Sentence, at: int) -> tuple[int, int]:
    """The [start, end) offsets in the article of the clause of a sentence holding `at`."""
    start, end = sent.start, sent.end
    for m in CLAUSE_BREAK.finditer(sent.text.lower()):
        if sent.start + m.end() <= at:
            start = sent.start + m.end()
        elif sent.start + m.start() > at:
            end = sent.start + m.start()
            break
    return start, end


def locate(
    at: int, here: SentencePlaces, places: ArticlePlaces, sent: Sentence | None = None
) -> Located | None:
    """Where a figure at offset `at` is: the first place its own clause names (admin unit,
    known town, or a name after "in", "from", "to"); else the nearest place of an earlier
    clause of its sentence (kind "outside"); else the country the sentence names, or the
    article's country: a country-level figure."""
    units, towns, countries = here.units, here.towns, here.countries
    country = _closest([p for p in countries if p.kind == "country"], at) or _closest(countries, at)
    lo, hi = clause(sent, at) if sent is not None else (0, 1 << 62)
    fine = [p for p in units + towns if lo <= p.start < hi]
    anchor = fine or units or towns or ([country] if country else [])
    iso3 = anchor[0].iso3 if anchor else places.dominant_country()
    named = [Located(n.start, n.end, n.text, iso3) for n in here.names]
    first = min(
        fine + [n for n in named if lo <= n.start < hi], key=lambda p: p.start, default=None
    )
    if first is not None:
        return first
    before = [p for p in units + towns + named if p.start < lo]
    if before:
        p = max(before, key=lambda p: p.start)
        return Located(p.start, p.end, p.text, p.iso3, p.unit, "outside")
    if country is not None and country.kind == "country":
        return country
    if country is not None:
        return Located(at, at, country_name(str(country.iso3)), country.iso3, None, "country")
    titled = [p for p in places.title_places if p.iso3 == iso3]
    if titled:  # the sentence names no place at all: the place of the article's title
        p = titled[0]
        return Located(at, at, p.text, p.iso3, p.unit, "outside")
    return Located(at, at, country_name(iso3), iso3, None, "country") if iso3 else None


def _closest(items: list[Located], at: int) -> Located | None:
    return min(items, key=lambda p: abs(p.start - at), default=None)
