"""Fast regex scans: case-blind on a lower-cased copy, and behind a first-character test.

re.IGNORECASE makes a scan about twice as slow as a case-sensitive one on lower-cased text, and
a long alternation is tried branch by branch at every position unless a cheap lookahead for
the characters a match can begin with rules the position out first.
"""

from __future__ import annotations

import importlib
import re
from typing import Any


def lowered(text: str) -> str:
    """A lower-case copy with the same offsets ("İ" would grow to two characters; it is "i")."""
    return text.replace("İ", "i").lower()


def compile_scan(pattern: str) -> re.Pattern[str]:
    """The pattern compiled behind its first-character test, for scans with finditer/search."""
    return re.compile(f"{first_test(pattern)}(?:{pattern})")


def first_test(pattern: str) -> str:
    """A lookahead for the characters a match can begin with ("" when unsure): the scan then
    skips most positions after one test instead of trying every alternative there."""
    found = _initials(importlib.import_module("re._parser").parse(pattern).data)
    return f"(?=[{''.join(sorted(found))}])" if found else ""


def _initials(items: list[tuple[Any, Any]]) -> set[str] | None:
    """First characters of a parsed pattern: literals, classes, groups, branches, repeats
    (a zero-width anchor or an optional part before them is looked past)."""
    if not items:
        return None
    op, arg = items[0]
    kind = str(op)
    if kind in ("AT", "ASSERT", "ASSERT_NOT"):  # a boundary or lookaround takes no character
        return _initials(items[1:])
    if kind == "LITERAL":
        return {_char(chr(arg))}
    if kind == "IN":
        return _class_initials(arg)
    if kind == "SUBPATTERN":
        return _initials(arg[3].data)
    if kind == "BRANCH":
        branches = [_initials(b.data) for b in arg[1]]
        return None if None in branches else set().union(*branches)  # type: ignore[arg-type]
    if kind in ("MAX_REPEAT", "MIN_REPEAT"):
        first = _initials(arg[2].data)
        rest = _initials(items[1:]) if arg[0] == 0 else set()
        return None if first is None or rest is None else first | rest
    return None


def _class_initials(items: list[tuple[Any, Any]]) -> set[str] | None:
    """A class of literals, digits and spaces as class items; None for any other class."""
    chars: set[str] = set()
    for op, arg in items:
        if str(op) == "LITERAL":
            chars.add(_char(chr(arg)))
        elif str(arg) in CATEGORIES:
            chars.add(CATEGORIES[str(arg)])
        else:
            return None
    return chars


CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s"}


def _char(c: str) -> str:
    """A character as a class item: escaped, by code when unprintable."""
    return re.escape(c) if c.isprintable() else f"\\u{ord(c):04x}"
