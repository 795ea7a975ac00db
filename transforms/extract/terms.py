"""Reporting terms and counted nouns around a figure: what it counts and what happened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transforms.extract.lexicon import (
    Noun,
    blockers_regex,
    casualty_before,
    noun_table,
    term_patterns,
    terms_regex,
)
from transforms.extract.numbers import Figure
from transforms.extract.scan import lowered


@dataclass(frozen=True)
class TermMention:
    """A reporting term in a sentence."""

    start: int
    end: int
    term: str
    kind: str  # "people" or "housing"


@dataclass(frozen=True)
class Reading:
    """How a figure reads in its sentence: unit, term, and how close the term is."""

    unit: str
    term: str
    gap: float  # characters between figure and term, weighted; 0 when the noun is the term
    noun: bool


def term_mentions(sentence: str) -> list[TermMention]:
    """Every reporting term in the sentence, earliest first; longer phrases win ties."""
    patterns = term_patterns()
    out = []
    for m in terms_regex().finditer(lowered(sentence)):
        index = int(str(m.lastgroup)[1:])
        out.append(TermMention(m.start(), m.end(), patterns[index].term, patterns[index].kind))
    return out


@cache
def noun_regex() -> re.Pattern[str]:
    """A counted noun after a figure, allowing up to three modifiers ("newly displaced people")."""
    alts = "|".join(f"(?P<n{i}>{pattern})" for i, (pattern, _) in enumerate(noun_table()))
    return re.compile(
        rf"\s*(?:of\s+|the\s+(?:total\s+)?number\s+of\s+)?(?:\(?[\w’'-]+\)?,?\s+){{0,3}}?"
        rf"(?:{alts})(?![\w])"
    )  # on lower-cased text


def noun_after(low: str, fig: Figure) -> Noun | None:
    """The counted noun right after the figure in the lower-cased sentence, if any."""
    m = noun_regex().match(low, fig.end, min(len(low), fig.end + 70))
    if m is None:
        return None
    return noun_table()[int(str(m.lastgroup)[1:])][1]


def blocked(low: str, fig: Figure) -> bool:
    """Deaths, money, measures, percentages, durations and counted places are not facts."""
    if blockers_regex().match(low, fig.end, min(len(low), fig.end + 40)):
        return True
    if MONEY_BEFORE.search(low, max(0, fig.start - 6), fig.start):
        return True
    return bool(casualty_before().search(low, max(0, fig.start - 30), fig.start))


def read(sentence: str, fig: Figure, terms: list[TermMention]) -> Reading | None:
    """The unit and term of a figure, or None when nothing ties it to displacement."""
    low = lowered(sentence)
    if blocked(low, fig):
        return None
    noun = noun_after(low, fig)
    if noun is None and not fig.digits and not fig.vague:
        return None  # "two hospitals", "one was killed": small word numbers need a noun
    if noun is not None and noun.term:
        return Reading(noun.unit, noun.term, 0.0, True)
    if noun is None:  # a bare number needs its term right beside it ("35,000 were displaced")
        after = [t for t in terms if t.start >= fig.end]
        best = _nearest(sentence, fig, after)  # its verb, if it has one, follows it
        best = best if best is not None and best[1] <= 22 else _nearest(sentence, fig, terms)
        late = best is not None and best[1] > 22 and best[0].end <= fig.start
        if late and best is not None and REACHED.match(low[best[0].end : fig.start]):
            best = (best[0], 0.0)  # "the number of displaced people reached 45,000"
        if best is None or best[1] > 22:
            return None
        unit = "households" if best[0].kind == "housing" else "people"
        return Reading(unit, best[0].term, best[1], False)
    best = _nearest(sentence, fig, [t for t in terms if (t.kind == "housing") == noun.housing])
    if best is None:
        return None
    return Reading(noun.unit, best[0].term, best[1], True)


MONEY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:us|usd|eur|gbp|chf)\s?)$")  # lower case
OTHER_FIGURE = re.compile(
    r"\b(?:and|or|while|but|,)\s+(?:(?:some|about|another|nearly|over|around)\s+)?"
    r"\d[\d,.]*(?:\s+(?:million|thousand))?\s+(?:[a-z]+\s+)?$"
)  # "6,000 people affected and 2,000 displaced": the term is the later figure's
REACHED = re.compile(
    r"^\s*(?:people|persons|idps|families|households)?\s*(?:has|have|had)?\s*"
    r"(?:reached|rose to|risen to|climbed to|increased to|stands? at|stood at|totals?|totalled|"
    r"exceeds?|exceeded|surpassed|(?:is|was|are|were) (?:now |estimated at |about |some )?)\s*$"
)  # on lower-cased text between a term and the figure after it
ASIDE = re.compile(r"\([^()]*\)|\bor\s+(?:about\s+|some\s+)?[\d.,]+\s*(?:million\s+)?\w+")


def _nearest(
    sentence: str, fig: Figure, terms: list[TermMention]
) -> tuple[TermMention, float] | None:
    """The closest term; a term before the figure counts its distance half again.

    Asides between figure and term do not count: "2,400 families (8,200 people) were displaced".
    """
    best: tuple[TermMention, float] | None = None
    for t in terms:
        if t.start >= fig.end:
            between = ASIDE.sub("", sentence[fig.end : t.start])
            if OTHER_FIGURE.search(between):
                continue
            gap = float(len(between))
        elif t.end <= fig.start:
            gap = (fig.start - t.end) * 1.5
        else:
            gap = 0.0  # the figure sits inside the phrase: "forced 2,500 people out of their homes"
        if best is None or gap < best[1]:
            best = (t, gap)
    return best
