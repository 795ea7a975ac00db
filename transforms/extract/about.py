"""The places an article is about: every admin unit and town it names, counted."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from transforms.extract.resolve import ArticlePlaces
from transforms.extract.segment import sentences


@dataclass(frozen=True)
class AboutPlace:
    """A place an article names below the country, with how often and where first."""

    place_name: str
    iso3: str | None
    admin1_pcode: str | None
    admin2_pcode: str | None
    mentions: int
    first_sentence: str
    first_at: int


def places_named(text: str, places: ArticlePlaces) -> list[AboutPlace]:
    """Admin units (by p-code) and towns (by country and name) the text names, most mentioned
    first, then in order of first mention. Countries and demonyms are not rows: an article's
    country is its facts' iso3 and is counted in every row's."""
    groups: dict[tuple[str | None, str], list[int]] = {}
    first: dict[tuple[str | None, str], tuple[str, str | None, str | None, str | None]] = {}
    for p in places.located:
        if p.kind not in ("unit", "city"):
            continue
        unit = p.unit
        key = (None, unit.pcode) if unit else (p.iso3, p.text.casefold())
        groups.setdefault(key, []).append(p.start)
        if key not in first:
            if unit is not None:
                admin1 = unit.pcode if unit.level == 1 else unit.parent
                admin2 = unit.pcode if unit.level == 2 else None
                first[key] = (unit.name, unit.iso3, admin1, admin2)
            else:
                first[key] = (p.text, p.iso3, None, None)
    if not groups:
        return []
    spans = list(sentences(text))
    starts = [s for s, _ in spans]
    out = []
    for key, at in groups.items():
        name, iso3, admin1, admin2 = first[key]
        s, e = spans[max(0, bisect_right(starts, at[0]) - 1)]
        out.append(AboutPlace(name, iso3, admin1, admin2, len(at), text[s:e].strip(), at[0]))
    return sorted(out, key=lambda p: (-p.mentions, p.first_at))
