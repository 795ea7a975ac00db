"""Event dates in a sentence, resolved against the article's publication date when relative."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache, lru_cache

from transforms.extract.numbers import MONTHS

WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
DATE_PHRASE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    rf"|(?:(?:early|mid|late)[\s-]?)?(?:{MONTHS})\.?(?:\s+\d{{4}})?"
    rf"|yesterday|today|last\s+(?:week|month)|(?:last\s+)?(?:{WEEKDAYS}))\b",
    re.IGNORECASE,
)
HAS_YEAR = re.compile(r"\d{4}")
MONTH_ONLY = re.compile(rf"^(?:{MONTHS})$", re.IGNORECASE)


@cache
def _parser() -> object:
    import dateparser  # slow import; only when a date phrase is found

    return dateparser


def event_date(sentence: str, published: date | None) -> date | None:
    """The first date phrase of the sentence as a date; relative phrases need `published`."""
    for m in DATE_PHRASE.finditer(sentence):
        phrase = re.sub(r"^(?:early|mid|late)[\s-]?", "", m.group(0), flags=re.IGNORECASE)
        if MONTH_ONLY.match(phrase) and len(phrase) <= 3:
            continue  # "mar", "may" as words
        if not HAS_YEAR.search(phrase) and published is None:
            continue
        found = parse_phrase(phrase.lower(), published)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=4096)
def parse_phrase(phrase: str, published: date | None) -> date | None:
    """dateparser on one phrase, first day of the month when no day is given; cached."""
    settings: dict[str, object] = {"PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past"}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    parsed = _parser().parse(phrase, languages=["en"], settings=settings)  # type: ignore[attr-defined]
    return parsed.date() if parsed else None
