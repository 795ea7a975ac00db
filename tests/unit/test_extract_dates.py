"""Event dates: the calendar reading of news date phrases gives dateparser's answers."""

from __future__ import annotations

from datetime import date

import pytest

from transforms.extract.dates import event_date, parse_phrase

# Phrasings from the IDETECT and IDMC excerpts and from wire copy, as they stand in sentences.
PHRASES = [
    "on 3 February 2021", "on 3rd of February, 2021", "on February 3, 2021", "on Feb. 3 2021",
    "since 19 August 2010", "on 1st June 2020", "on 3 Sept. 2021", "on 12 Dec 2019",
    "on March 28, 2017", "on Oct 7 2023", "in February 2021", "in Feb 2021", "in Sept 2020",
    "in mid-June 2019", "in late December 2018", "in early Jan 2020", "by May 2020",
    "on 3 February", "on February 3", "on 15 March", "on 16 March", "on March 15", "on 3 May",
    "on 29 February", "on 31 December", "on 1 January", "yesterday", "today", "last week",
    "last month", "on Monday", "on Friday", "last Friday", "on Sunday", "on Thursday",
    "on 31 February 2021", "on Nov 31, 2020", "on 0 March 2021",
]  # fmt: skip
PUBLISHED = [None, date(2024, 3, 15), date(2023, 11, 2), date(2024, 2, 29), date(2024, 1, 1)]


@pytest.mark.parametrize("phrase", PHRASES)
def test_calendar_reading_gives_dateparsers_answer(phrase: str) -> None:
    for published in PUBLISHED:
        sentence = f"Some 4,000 people fled Goma {phrase}."
        found = event_date(sentence, published)
        bare = _bare(phrase)
        wanted = parse_phrase(bare, published) if published or _year(bare) else None
        assert found == wanted, (phrase, published)


def _bare(phrase: str) -> str:
    """The phrase as dateparser alone was given it: lower case, no lead word or period word."""
    words = phrase.lower().replace("mid-", "").replace("late ", "").replace("early ", "")
    for lead in ("on ", "in ", "since ", "by "):
        words = words.removeprefix(lead)
    return words


def _year(phrase: str) -> bool:
    return any(part.isdigit() and len(part) == 4 for part in phrase.replace(",", " ").split())


@pytest.mark.parametrize(
    ("published", "expected"),
    [(date(2024, 3, 15), date(2024, 3, 1)), (date(2024, 2, 10), date(2023, 3, 1))],
)
def test_a_month_without_year_is_the_last_one_begun_by_publication(
    published: date, expected: date
) -> None:
    # dateparser takes the missing day from the clock, so its answer changes with the run day
    assert event_date("Some 4,000 people fled Goma in March.", published) == expected
    assert event_date("Some 4,000 people fled Goma in mid-March.", published) == expected


def test_month_abbreviations_alone_are_words_not_dates() -> None:
    assert event_date("They may return.", date(2024, 3, 15)) is None
    assert event_date("Rains continue to mar the harvest.", date(2024, 3, 15)) is None


def test_a_day_the_calendar_lacks_is_left_to_dateparser() -> None:
    assert event_date("4,000 fled on 29 February.", date(2023, 11, 2)) == date(2020, 2, 29)
    assert event_date("4,000 fled on 31 February 2021.", None) is None
