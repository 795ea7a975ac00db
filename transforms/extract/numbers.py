"""Figures in news phrasing: "over 7 million", "some 300,000", "1.2m", "tens of thousands"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transforms.extract.lexicon import qualifier_regex
from transforms.extract.scan import lowered

MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
SMALL = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "half a": 0.5, "a quarter of a": 0.25,
}  # fmt: skip
SCALE = {
    "hundred": 100, "thousand": 1_000, "k": 1_000, "lakh": 100_000, "lakhs": 100_000,
    "million": 1_000_000, "millions": 1_000_000, "m": 1_000_000, "mn": 1_000_000,
    "mln": 1_000_000, "crore": 10_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000,
    "millones": 1_000_000, "millón": 1_000_000, "millon": 1_000_000, "mille": 1_000,
    "milliers": 1_000, "mil": 1_000, "milliards": 1_000_000_000, "milliard": 1_000_000_000,
}  # fmt: skip
VAGUE = {
    "hundreds of thousands": 100_000, "tens of thousands": 10_000, "thousands": 1_000,
    "hundreds": 100, "dozens": 24, "scores": 40, "millions": 1_000_000,
    "des dizaines de milliers": 10_000, "des centaines de milliers": 100_000,
    "des milliers": 1_000, "plusieurs milliers": 1_000, "des centaines": 100,
    "plusieurs centaines": 100, "decenas de miles": 10_000, "miles": 1_000, "cientos": 100,
    "centenares": 100,
}  # fmt: skip

DIGITS = (
    r"\d{1,3}(?:(?:,\s?|[ \u00a0\u202f'])\d{3})+(?![\d])"  # 1,200  158 000  61, 000
    r"|\d{1,3}(?:\.\d{3})+(?![\d.,])"  # 1.300 (dot as thousands separator)
    r"|\d+(?:\.\d+)?"
)
WORDS = "|".join(sorted((re.escape(w) for w in SMALL), key=len, reverse=True))
ALONE = "|".join(w for w in SMALL if " " not in w and w != "a")
INITIALS = sorted({w[0] for w in [*SMALL, *VAGUE, "hundred", "thousand", "million", "dozen"]})
ROMANCE_VAGUE = (
    "des dizaines de milliers|des centaines de milliers|des milliers|plusieurs milliers|"
    "des centaines|plusieurs centaines|decenas de miles|miles|cientos|centenares"
)
DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}\s?(?:millions?|millones|mill[oó]n|milliards?)\b)")
ROMANCE = frozenset(("fr", "es", "pt", "it", "ca"))
ROMANCE_ONLY = frozenset(("miles", "cientos", "centenares", "decenas de miles"))
STARTS = rf"(?=[\d{''.join(INITIALS)}])"  # how every figure begins: a cheap first test
QUICK = re.compile(
    rf"{STARTS}(?:\d|hundred|thousand|million|dozen|des |plusieurs|miles|cientos|centenares|"
    rf"decenas|\b(?:{ALONE})\b)"
)  # lower case
SCALES = r"hundred|thousand|million|millions|billion|lakhs?|crore|mln|mn|bn|m|k"
NUMBER = (
    rf"(?:(?P<digits>{DIGITS})(?:\s?(?P<dscale>millions?|billion|thousand|hundred|lakhs?|crore|"
    rf"millones|mill[oó]n|milliards?|milliers|mille|mil)"
    rf"|(?P<tscale>mln|mn|bn|m|k))?(?![a-z\d])"
    rf"|(?P<words>\b(?:{WORDS})(?:[\s-](?:{WORDS}))?)\s?(?P<wscale>hundred|thousand|million|billion)"
    rf"(?:\s(?:and\s)?(?P<wtail>thousand|hundred))?\b"
    rf"|(?P<vague>\b(?:hundreds of thousands|tens of thousands|thousands|hundreds|dozens|millions|"
    rf"{ROMANCE_VAGUE})"
    rf"\b)"
    rf"|(?P<small>\b(?:{ALONE})\b))"
)

BETWEEN = re.compile(r"between\s*$")  # these four on lower-cased text
AND = re.compile(r"\band\b")
MONTH_AFTER = re.compile(rf"\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(?:{MONTHS})\b")
MONTH_BEFORE = re.compile(rf"\b(?:{MONTHS})\.?\s*$")
YEAR = re.compile(r"(?:19|20)\d\d")
DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
SEPARATORS = re.compile(r"[,\s\u00a0\u202f']")
# No count of people or homes comes near this; a longer run of digits is not a figure (and
# would overflow the float it is read into).
MAX_FIGURE = 10_000_000_000


@dataclass(frozen=True)
class Figure:
    """A number found in text: its value, how it is qualified and where it is."""

    value: int
    qualifier: str
    start: int  # start of the qualifier phrase, or of the number when there is none
    num_start: int
    end: int
    digits: bool  # written with digits (small word numbers are weak evidence)
    vague: bool = False


@cache
def number_regex() -> re.Pattern[str]:
    """The figure grammar as one compiled pattern, for lower-cased text; a range is two numbers
    and a connector."""
    # A figure starts a word, or digits glued to a word in PDF text ("least140,000"); the
    # first assertion fails fast inside words, which keeps the scan cheap.
    lead = rf"{STARTS}(?:(?=\d)|\b)(?<![\d.,/])"
    return re.compile(
        rf"{lead}(?P<first>{NUMBER.replace('?P<', '?P<a_')})"
        rf"(?:\s*(?:to|and|-|–)\s*(?P<second>{NUMBER}))?"
    )


def _value(g: dict[str, str | None], prefix: str = "") -> float | None:
    """The value of the first (prefix "a_") or second number of a match's groups."""
    digits = g.get(prefix + "digits")
    if digits:
        return _digits_value(digits, g.get(prefix + "dscale") or g.get(prefix + "tscale"))
    words = g.get(prefix + "words")
    if words:
        base = sum(SMALL[w] for w in re.split(r"[\s-]", words) if w in SMALL)
        value = base * SCALE[str(g[prefix + "wscale"])]
        tail = g.get(prefix + "wtail")
        return value * SCALE[tail] if tail else value
    vague = g.get(prefix + "vague")
    if vague:
        return VAGUE[vague]
    small = g.get(prefix + "small")
    return float(SMALL[small]) if small and small not in ("a", "half a") else None


def _digits_value(text: str, scale: str | None) -> float | None:
    """Digits with separators ("1,200", "158 000", "1.300") and an optional scale word."""
    if not scale and DOT_THOUSANDS.fullmatch(text):
        return float(text.replace(".", ""))
    clean = SEPARATORS.sub("", text)
    try:
        value = float(clean)
    except ValueError:
        return None
    if not value <= MAX_FIGURE:  # also inf, from hundreds of digits
        return None
    if scale:
        return value * SCALE[scale]
    return value if value == int(value) else None


def figures(text: str, language: str | None = None) -> list[Figure]:
    """Every figure in `text` that could count people or homes (dates and years excluded).

    In French, Spanish and other languages with a decimal comma, "1,2 million" is 1,200,000
    (the comma is read as a point only before a scale word, so "12,000" stays twelve thousand).
    """
    out: list[Figure] = []
    low = lowered(text)
    if language in ROMANCE:
        low = DECIMAL_COMMA.sub(".", low)
    if not QUICK.search(low):
        return out
    pos = 0
    while m := number_regex().search(low, pos):
        if m.start() and "A" <= text[m.start() - 1] <= "Z":  # a name: "M23", "COVID19"
            pos = m.start() + 1
            continue
        pos = m.end()
        fig = _figure(text, m)
        if fig is not None and m.group("a_vague") in ROMANCE_ONLY and language not in ROMANCE:
            continue  # "miles" away, in English
        if fig is not None:
            out.append(fig)
    return out


def _figure(text: str, m: re.Match[str]) -> Figure | None:
    """The figure a match of the lower-cased text stands for; None for dates and years."""
    if _is_year(m) or _is_date(m.string, m):
        return None
    g = m.groupdict()
    first = _value(g, "a_")
    if first is None or not 0 <= first <= MAX_FIGURE:
        return None
    second = _value(g, "") if g["second"] else None
    second = second if second is not None and 0 <= second <= MAX_FIGURE else None
    before = m.string[max(0, m.start() - 40) : m.start()]  # lower case
    said = text[m.start() : m.end()]
    is_range = second is not None and (BETWEEN.search(before) or not AND.search(said))
    value = max(first, second) if is_range and second is not None else first
    if is_range and second is not None and first < 1000 <= second and first < second / 1000:
        value = second
    qualifier, q_len = _qualifier(before)
    if is_range:
        qualifier = "up_to"
    end = m.end() if is_range else m.end("first")
    return Figure(
        value=round(value),
        qualifier="more_than" if g.get("a_vague") and not is_range else qualifier,
        start=m.start() - q_len,
        num_start=m.start(),
        end=end,
        digits=bool(g.get("a_digits")),
        vague=bool(g.get("a_vague")),
    )


def _qualifier(before: str) -> tuple[str, int]:
    """The qualifier phrase that ends where the figure starts, and its length."""
    for regex, qualifier in qualifier_regex():
        found = regex.search(before)
        if found:
            return qualifier, len(before) - found.start()
    return "exact", 0


def _is_date(low: str, m: re.Match[str]) -> bool:
    """A day of a month ("7 March", "March 28 and 29") rather than a count."""
    if MONTH_AFTER.match(low, m.end(), m.end() + 14):
        return True
    return bool(MONTH_BEFORE.search(low[max(0, m.start() - 12) : m.start()]))


def _is_year(m: re.Match[str]) -> bool:
    """A bare four-digit year (1900-2099) written without separators."""
    digits = m.group("a_digits") or ""
    return bool(YEAR.fullmatch(digits)) and not m.group("a_dscale")
