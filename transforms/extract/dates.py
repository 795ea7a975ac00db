"""Event dates in a sentence, resolved against the article's publication date when relative.

The phrase shapes news uses ("3 February 2021", "March 28", "mid-June", "last Friday") are
read by one compiled pattern and the calendar; dateparser (about a millisecond a call) is
asked only when the calendar refuses a day ("29 February" of a common year).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

from transforms.extract.numbers import MONTHS
from transforms.extract.scan import compile_scan, lowered

WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?"
PHRASE = (
    rf"\b(?:{DAY.format('d1')}\s+(?:of\s+)?(?P<m1>{MONTHS})\.?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{MONTHS})\.?\s+{DAY.format('d2')}\b(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?:(?:early|mid|late)[\s-]?)?(?P<m3>{MONTHS})\.?(?:\s+(?P<y3>\d{{4}}))?"
    rf"|(?P<rel>yesterday|today|last\s+(?:week|month))|(?:last\s+)?(?P<wd>{WEEKDAYS}))\b"
)
DATE_PHRASE = compile_scan(PHRASE)  # on lower-cased text
PERIOD = re.compile(r"^(?:early|mid|late)[\s-]?")
WEEKDAY_NUMBER = {name: i for i, name in enumerate(WEEKDAYS.split("|"))}
MONTH_NUMBER = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip


def event_date(sentence: str, published: date | None) -> date | None:
    """The first date phrase of the sentence as a date; relative phrases need `published`."""
    for m in DATE_PHRASE.finditer(lowered(sentence)):
        month = m["m1"] or m["m2"] or m["m3"]
        if m["m3"] and m["y3"] is None and m.end() - m.start("m3") <= 3:
            continue  # "mar", "may" as words
        year = m["y1"] or m["y2"] or m["y3"]
        if year is None and published is None:
            continue
        found = read_phrase(m, month, year, published) or parse_phrase(
            " ".join(PERIOD.sub("", m.group(0)).split()), published
        )
        if found is not None:
            return found
    return None


def read_phrase(
    m: re.Match[str], month: str | None, year: str | None, published: date | None
) -> date | None:
    """The date a matched phrase means, by the calendar; None when the day does not exist."""
    if month is None:
        assert published is not None
        return relative(m["rel"], m["wd"], published)
    number = MONTH_NUMBER[month[:3]]
    day = int(m["d1"] or m["d2"] or 1)
    try:
        if year is not None:
            return date(int(year), number, day)
        assert published is not None
        found = date(published.year, number, day)
        return found if found <= published else found.replace(year=published.year - 1)
    except ValueError:
        return None


def relative(word: str | None, weekday: str | None, published: date) -> date:
    """Yesterday, today, last week or month, or the last such weekday before publication."""
    if weekday is not None:
        back = (published.weekday() - WEEKDAY_NUMBER[weekday] - 1) % 7 + 1
        return published - timedelta(days=back)
    word = " ".join(str(word).split())
    if word == "last month":
        return (published.replace(day=1) - timedelta(days=1)).replace(day=1)
    return published - timedelta(days={"today": 0, "yesterday": 1, "last week": 7}[word])


@cache
def _parser() -> object:
    import dateparser  # slow import; only for days the calendar refuses

    return dateparser


@lru_cache(maxsize=4096)
def parse_phrase(phrase: str, published: date | None) -> date | None:
    """dateparser on one phrase, first day of the month when no day is given; cached."""
    settings: dict[str, object] = {"PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past"}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    parsed = _parser().parse(phrase, languages=["en"], settings=settings)  # type: ignore[attr-defined]
    return parsed.date() if parsed else None
