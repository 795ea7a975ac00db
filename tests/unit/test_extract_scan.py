"""The case-blind scans: lower-cased copies keep offsets, and capitals read as lower case."""

from __future__ import annotations

import re
from datetime import date

import pytest

from transforms.extract import extract
from transforms.extract.lexicon import term_patterns, terms_regex
from transforms.extract.numbers import figures
from transforms.extract.places import gazetteer_places
from transforms.extract.scan import first_test, lowered
from transforms.extract.terms import term_mentions


def test_lowered_text_keeps_every_offset() -> None:
    text = "İDP camp in İzmir: 300 DÉPLACÉS"
    low = lowered(text)
    assert len(low) == len(text)
    assert low == "idp camp in izmir: 300 déplacés"


def test_term_patterns_are_lower_case() -> None:
    # they are matched against lower-cased text without re.IGNORECASE
    for pattern in term_patterns():
        assert not re.search(r"(?<!\\)[A-Z]", pattern.regex.pattern), pattern.regex.pattern


@pytest.mark.parametrize(
    ("pattern", "test"),
    [
        ("(?:temporary|emergency) shelters?|camps?", "(?=[cet])"),
        ("d[ée]plac\\w*|idps\\b", "(?=[di])"),
        ("[ée]vacu\\w*|x", "(?=[exé])"),
        ("(?:ab)+c|x", "(?=[ax])"),
        ("\\bcamp|x", "(?=[cx])"),  # a word boundary takes no character
        ("(?:early |mid-)?june", "(?=[ejm])"),
        ("\\d{1,2} june", "(?=[\\d])"),  # any digit, Arabic-Indic ones too
        ("(?<=[.!?])\\s+|\\n", "(?=[\\s\\u000a])"),  # a lookbehind takes no character
        ("\\w+camp|x", ""),  # any word character: no test
        ("(?:a)?", ""),  # may match nothing: no test
    ],
)
def test_first_test_lists_the_characters_a_match_can_begin_with(pattern: str, test: str) -> None:
    assert first_test(pattern) == test


def test_the_terms_scan_has_a_first_test() -> None:
    # a row starting with \w, \s or a lookaround drops it and slows the scan by a third
    assert terms_regex().pattern.startswith("(?=[")


@pytest.mark.parametrize(
    ("sentence", "term", "where"),
    [
        ("300 PEOPLE WERE DISPLACED", "displaced", (16, 25)),
        ("Some 300 Déplacés arrived", "displaced", (9, 17)),
        ("İki: 300 people Fled", "forced_to_flee", (16, 20)),
    ],
)
def test_terms_in_capitals_are_found_where_they_stand(
    sentence: str, term: str, where: tuple[int, int]
) -> None:
    [found] = term_mentions(sentence)
    assert (found.term, (found.start, found.end)) == (term, where)


def test_headline_capitals_give_the_same_fact_as_sentence_case() -> None:
    upper = extract("MORE THAN 5,000 PEOPLE DISPLACED BY FLOODS IN GOMA")
    plain = extract("More than 5,000 people displaced by floods in Goma")
    assert [(f.figure, f.term, f.qualifier) for f in upper] == [
        (f.figure, f.term, f.qualifier) for f in plain
    ]


def test_capitals_around_a_figure_read_as_in_lower_case() -> None:
    found = extract(
        "FIGHTING KILLED 45 PEOPLE; ABOUT 5,000 FAMILIES WERE DISPLACED ON 3 MARCH 2024."
    )
    assert [(f.figure, f.unit, f.qualifier, f.event_date) for f in found] == [
        (5_000, "households", "approximately", date(2024, 3, 3))
    ]
    assert [f.figure for f in extract("DONORS GAVE USD 300,000 WHILE 2,000 FAMILIES FLED")] == [
        2_000
    ]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("TWO MILLION PEOPLE", [2_000_000]),
        ("Tens Of Thousands fled", [10_000]),
        ("Between 2,000 AND 4,000 people", [4_000]),
        ("M23 took 5 towns; COVID19 reached 3 camps", [5, 3]),
        ("at least140,000 people", [140_000]),
    ],
)
def test_figures_in_capitals_read_as_in_lower_case(text: str, values: list[int]) -> None:
    assert [f.value for f in figures(text)] == values


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        (
            "Fighting in the Democratic Republic of the Congo spread.",
            "the Democratic Republic of the Congo",
        ),
        ("They fled to eastern Congo last year.", "eastern Congo"),
        ("Refugees from the DRC arrived.", "DRC"),
        ("Floods hit Kasaï province.", "Kasaï"),
    ],
)
def test_the_longest_name_is_found_whatever_its_first_word(text: str, mentioned: str) -> None:
    found = gazetteer_places().mentions(text)
    assert mentioned in [m.text for m in found]


def test_names_in_lower_case_are_words_not_places() -> None:
    assert gazetteer_places().mentions("the water rose near the road") == []


def test_a_title_in_capitals_still_marks_a_person() -> None:
    fact = extract("PRIME MINISTER Perry Christie said an estimated 836 homes were destroyed.")[0]
    assert (fact.iso3, fact.place_name) == (None, None)
