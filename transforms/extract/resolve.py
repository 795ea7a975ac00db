"""Which country and which admin unit each place mention stands for, given the whole article."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from transforms import gazetteer
from transforms.extract.numbers import MONTHS
from transforms.extract.places import Mention, Unit
from transforms.extract.scan import compile_scan, lowered

LEVEL_WORDS = {  # this and TITLE_BEFORE on lower-cased text
    1: re.compile(r"^\s*(?:province|region|state|governorate|prefecture|department)\b"),
    2: re.compile(r"^\s*(?:territory|district|county|city|town|municipality|ville|commune)\b"),
}
POSSESSIVE = re.compile(r"^['’]s\b")
TITLE_BEFORE = re.compile(
    r"\b(?:minister|president|mr|mrs|ms|dr|gen|general|governor|mayor|senator|colonel)\.?\s+$"
)
NEAR = (
    r"\b(?:[Ii]n|[Ff]rom|to|at|around|near|across|towards|into|"
    r"(?:town|city|village|district|parts|area|areas|outskirts|peninsula|island) of)\s+"
    r"(?:the\s+)?(?P<name>[A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'-]*|de|del|do|da|dos|and\s+[A-Z]"
    r"[\w’'-]*)){0,3})"
)
NEAR_PLACE = compile_scan(NEAR)
LINK_AT_END = re.compile(r"\s+(?:and|de|del|do|da|dos)$")
NOT_NAMES = re.compile(
    rf"^(?:{MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the|a|an|this|"
    r"these|government|islamic|president|prime|minister|ministry|army|police|people|internally|"
    r"according|between|about|more|over|some|early|mid|late|local|national|humanitarian)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Located:
    """A place mention resolved: its text, country and, when known, its admin unit."""

    start: int
    end: int
    text: str
    iso3: str | None
    unit: Unit | None = None
    kind: str = "town"  # "country", "demonym", "unit", "city" (GeoNames) or "town" (by context)


@dataclass
class ArticlePlaces:
    """Every place of one article, resolved, with the countries it is most about.

    Asked once per sentence or figure, so each question costs the size of its answer (bisection
    on the sorted starts, one answer per country), never a pass over the whole article.
    """

    located: list[Located] = field(default_factory=list)
    blocked: list[Located] = field(default_factory=list)  # organisations named after places
    weights: dict[str, float] = field(default_factory=dict)
    title_places: list[Located] = field(default_factory=list)  # units and towns of the title
    dateline_end: int = 0  # where a dateline ("GOMA, Congo (Reuters) - ") ends, 0 without one
    _starts: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _units: dict[str | None, Located | None] = field(default_factory=dict, repr=False)

    def dominant_country(self) -> str | None:
        return max(self.weights, key=self.weights.__getitem__) if self.weights else None

    def dominant_unit(self, iso3: str | None) -> Located | None:
        """The admin unit the article names most often in that country (first one on ties)."""
        if iso3 not in self._units:
            self._units[iso3] = self._dominant_unit(iso3)
        return self._units[iso3]

    def _dominant_unit(self, iso3: str | None) -> Located | None:
        units = [p for p in self.located if p.unit and (iso3 is None or p.iso3 == iso3)]
        if not units:
            return None
        counts = Counter(p.unit.pcode for p in units if p.unit)
        top = max(counts.values())
        return next(p for p in units if p.unit and counts[p.unit.pcode] == top)

    def within(self, start: int, end: int) -> list[Located]:
        """Places wholly inside [start, end)."""
        return [p for p in self._between("located", start, end) if p.end <= end]

    def blocked_from(self, start: int, end: int) -> list[Located]:
        """Organisation names that start inside [start, end)."""
        return self._between("blocked", start, end)

    def _between(self, which: str, start: int, end: int) -> list[Located]:
        """Items of a list sorted by start whose start is in [start, end)."""
        items: list[Located] = getattr(self, which)
        starts = self._starts.get(which)
        if starts is None or len(starts) != len(items):
            starts = self._starts[which] = [p.start for p in items]
        return items[bisect_left(starts, start) : bisect_left(starts, end)]


def resolve(
    mentions: list[Mention], text: str, prior: dict[str, float] | None = None
) -> ArticlePlaces:
    """Countries weighed by mention (and by the `prior` of the article's title, URL and
    language); each admin name and town resolved to the candidate its neighbourhood names (a
    parent unit or a country within the next words), else one of the article's countries
    (the most named first), else the clearly largest namesake."""
    places = ArticlePlaces()
    places.weights.update(prior or {})
    low = lowered(text)
    for m in mentions:
        if m.kind == "block":
            places.blocked.append(Located(m.start, m.end, m.text, None))
        elif m.kind in ("country", "demonym"):
            iso3 = str(m.iso3)
            places.weights[iso3] = places.weights.get(iso3, 0.0) + (
                1.0 if m.kind == "country" else 0.5
            )
            places.located.append(Located(m.start, m.end, m.text, m.iso3, None, m.kind))
    countries = dict(places.weights)
    starts = [m.start for m in mentions]
    for m in mentions:
        if m.kind != "admin":
            continue
        near = _near(m, mentions, starts)
        unit = pick_unit(m, countries, low[m.end : m.end + 20], near)
        if unit is not None:
            places.weights[unit.iso3] = places.weights.get(unit.iso3, 0.0) + 0.75
            places.located.append(Located(m.start, m.end, m.text, unit.iso3, unit, "unit"))
    resolved = {p.start for p in places.located}
    countries = dict(places.weights)
    anchors = sorted((p.start, str(p.iso3)) for p in places.located if p.iso3)
    for m in mentions:
        if TITLE_BEFORE.search(low, max(0, m.start - 12), m.start):
            continue  # "Minister Perry Christie": a person, not the town of Perry
        # towns, and admin names no unit of the article's countries carries ("San Jose")
        if not m.cities or m.start in resolved:
            continue
        local = {iso3 for at, iso3 in anchors if -60 <= at - m.start <= 160}
        local |= {c[0] for n in _near(m, mentions, starts) for c in n.cities[:1]}
        city = pick_city(m, countries, local)
        if city is not None:
            places.weights[city] = places.weights.get(city, 0.0) + 0.5
            places.located.append(Located(m.start, m.end, m.text, city, None, "city"))
    places.located.sort(key=lambda p: p.start)
    places.blocked.sort(key=lambda p: p.start)
    return places


def _near(m: Mention, mentions: list[Mention], starts: list[int]) -> list[Mention]:
    """Place mentions in the 80 characters after m: the admin chain the text names with it
    ("Mitwaba territory in Haut-Katanga province", "Bor, Jonglei state"). `starts` are the
    mentions' starts, in order (mentions come left to right)."""
    lo, hi = bisect_right(starts, m.end), bisect_right(starts, m.end + 80)
    return [n for n in mentions[lo:hi] if n.kind in ("admin", "city", "country")]


def pick_city(m: Mention, countries: dict[str, float], local: set[str] | None = None) -> str | None:
    """The country of a town name: one named beside it, else the article's country that weighs
    most, else the clearly largest namesake."""
    beside = [c for c in m.cities if c[0] in (local or set())]
    if beside:
        return beside[0][0]
    inside = [c for c in m.cities if c[0] in countries]
    if inside:
        return max(inside, key=lambda c: countries[c[0]])[0]
    if countries or not m.cities:
        return None
    top = m.cities[0]
    others = [c for c in m.cities if c[0] != top[0]]
    if not others:
        return top[0]  # every place of that name is in one country
    return top[0] if top[1] >= 50_000 and top[1] >= 5 * others[0][1] else None


def pick_unit(
    m: Mention, countries: dict[str, float], after: str, near: list[Mention] | None = None
) -> Unit | None:
    """The unit a name means: a child of a unit named right after it, else in a country the
    article names, else only when unambiguous."""
    parents = {u.pcode for n in near or [] for u in n.units}
    chained = [u for u in m.units if u.parent in parents]
    beside = {str(n.iso3) for n in near or [] if n.iso3} | {
        u.iso3 for n in near or [] if len({v.iso3 for v in n.units}) == 1 for u in n.units
    }
    if not chained and beside and not any(u.iso3 in beside for u in m.units):
        return None  # "Bor, Jonglei state": not the Bor of another country
    units = (
        chained
        or [u for u in m.units if u.iso3 in beside]
        or [u for u in m.units if u.iso3 in countries]
    )
    if len({u.iso3 for u in units}) > 1:
        best = max(countries.get(u.iso3, 0.0) for u in units)
        units = [u for u in units if countries.get(u.iso3, 0.0) == best]
    level = next((lv for lv, rx in LEVEL_WORDS.items() if rx.match(after)), None)
    if not units:
        if countries and level is None and (len(m.text) < 8 or POSSESSIVE.match(after)):
            return None  # outside the article's countries, a short name is rather a word or name
        units = list(m.units) if len({u.iso3 for u in m.units}) == 1 else []
        homes = {u.iso3 for u in m.units}
        big_elsewhere = bool(m.cities) and m.cities[0][1] >= 50_000
        if not countries and big_elsewhere and not any(c[0] in homes for c in m.cities):
            return None  # "Kaya": a town of 120,000 elsewhere, not a small unit's namesake
    if not units:
        return None
    preferred = [u for u in units if u.level == level] or sorted(units, key=lambda u: u.level)
    return preferred[0]


def nearby_names(sentence: str, offset: int, taken: list[Located]) -> list[Located]:
    """Capitalised names after "in", "from", "to"... that the gazetteer lacks (towns, areas)."""
    out = []
    for m in NEAR_PLACE.finditer(sentence):
        name = LINK_AT_END.sub("", m.group("name")).rstrip(".")
        start = offset + m.start("name")
        if NOT_NAMES.match(name) or (name.isupper() and len(name) <= 6):
            continue
        if any(p.start <= start < p.end for p in taken):
            continue
        out.append(Located(start, start + len(name), name, None))
    return out


@cache
def country_name(iso3: str) -> str:
    """A short, familiar name for a country (the shortest of its names)."""
    table = gazetteer.countries()
    row = table[table["iso3"] == iso3]
    if row.empty:
        return iso3
    name = str(row["name"].iloc[0])
    if name and "(" not in name and "," not in name and len(name) <= 24:
        return name  # the preferred term ("India", not a shorter name in another language)
    names = [name, *str(row["alt_names"].iloc[0]).split("|")]
    return min((n for n in names if n and "(" not in n and "," not in n), key=len)
