"""The bad-file corpus (tests/corpus/README.md): each file gets the behaviour written there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from suites import validate

from flows.sources import registry
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.schema import SchemaDriftError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@dataclass(frozen=True)
class Error:
    """The whole file is refused with this message."""

    message: str


@dataclass(frozen=True)
class Rows:
    """The file parses: rows kept, reasons of the rejected rows, and text the rows must hold;
    rows the table's suite then quarantines, with text each of their reasons holds in order.
    `table` is the kind's first table unless named."""

    kept: int
    rejected: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    suite_quarantines: int = 0
    suite_reasons: tuple[str, ...] = ()
    table: str | None = None


@dataclass(frozen=True)
class Case:
    file: str
    kind: str
    expected: Error | Rows
    known_bug: str | None = field(default=None)


FIGURE = "field numPresentIdpInd"
CASES = [
    Case("dtm-empty.json", "dtm", Error("empty file")),
    Case("dtm-utf8-bom.json", "dtm", Rows(3)),
    Case("dtm-utf16.json", "dtm", Error("")),
    Case("dtm-latin1.json", "dtm", Error("not valid JSON")),
    Case("dtm-missing-field.json", "dtm", Error("missing column.*'numPresentIdpInd'")),
    Case("dtm-renamed-field.json", "dtm", Error("missing column.*'numPresentIdpInd'")),
    Case("dtm-extra-field.json", "dtm", Rows(3)),
    Case("dtm-wrong-type.json", "dtm", Rows(2, (f"row 2 {FIGURE}: not a number",))),
    Case(
        "dtm-figures.json",
        "dtm",
        Rows(
            2,
            (
                f"row 1 {FIGURE}: negative figure",
                f"row 2 {FIGURE}: too large",
                f"row 3 {FIGURE}: not a number",
                f"row 4 {FIGURE}: too large",
                f"row 5 {FIGURE}: not a whole number",
                f"row 7 {FIGURE}: not a number",
            ),
            contains=("400000", "148138"),
        ),
    ),
    Case(
        "dtm-dates.json",
        "dtm",
        Rows(1, tuple(f"row {n} field reportingDate: not a date" for n in (1, 2, 3, 4))),
    ),
    Case(
        "dtm-country-codes.json",
        "dtm",
        Rows(
            1,
            (
                "row 1 field admin0Pcode: unknown country code (ZZZ)",
                "row 2 field admin0Pcode: unknown country code (TD)",
                "row 3 field admin0Pcode: unknown country code (td)",
                "row 4 field admin1Pcode: not an admin 1 p-code of its country",
            ),
        ),
    ),
    Case(
        "dtm-pcodes.json",
        "dtm",
        Rows(2, tuple(f"row {n} field admin1Pcode: not an admin 1 p-code" for n in (1, 2, 4))),
    ),
    Case("dtm-duplicates.json", "dtm", Rows(3, suite_quarantines=1)),
    Case("dtm-no-records.json", "dtm", Rows(0)),
    Case("dtm-html-200.json", "dtm", Error("")),
    Case("dtm-api-failure.json", "dtm", Error("reported failure.*invalid subscription key")),
    Case("dtm-hdx-header-only.csv", "dtm", Rows(0)),
    Case("dtm-hdx-bom.csv", "dtm", Rows(3)),
    Case("dtm-hdx-utf16.csv", "dtm", Error("")),
    Case("dtm-hdx-latin1.csv", "dtm", Rows(3, contains=("Lac région",))),
    Case(
        "dtm-hdx-cp1252.csv",
        "dtm",
        Rows(3, contains=("Lac – Bol’s région",)),
    ),
    Case(
        "dtm-hdx-mojibake.csv",
        "dtm",
        Rows(3, contains=("Lac région",)),
    ),
    Case("dtm-unexpected-sheet.xlsx", "dtm", Error("no sheet")),
    Case("idmc-gidd-header-only.csv", "idmc-gidd", Rows(0)),
    Case("article-empty.txt", "article-files", Rows(0, ("empty article file",))),
    Case(
        "article-no-source-line.txt",
        "article-files",
        Rows(0, ("line 13 field 'Original Source'",)),
    ),
    Case("article-cp1252.txt", "article-files", Rows(1, contains=("\u201cwe fled\u201d",))),
    # cp1252 has no byte 0x9d, so the closing quote was lost when the mojibake was made.
    Case("article-mojibake.txt", "article-files", Rows(1, contains=("\u2013 \u201cwe fled",))),
    Case("article-utf16.txt", "article-files", Rows(1, contains=("Rwanda-backed M23",))),
    Case("article-html-script.txt", "article-files", Rows(1, contains=("<script>",))),
    Case("rss-billion-laughs.xml", "rss", Error("DTD or entities")),
    Case("rss-external-entity.xml", "rss", Error("DTD or entities")),
    Case("rss-truncated.xml", "rss", Error("not well-formed")),
    Case("rss-hostile-markup.xml", "rss", Rows(1, contains=("Reference a <b a <b", "Serial 9999"))),
    Case("dtm-repeated-key.json", "dtm", Error("not valid JSON.*repeats the key 'result'")),
    Case("dtm-deep-nesting.json", "dtm", Error("nested deeper than 64 levels")),
    Case("dtm-nested-70.json", "dtm", Error(r"nested deeper than 64 levels.*\(73 levels\)")),
    Case("dtm-hdx-repeated-header.csv", "dtm", Error("names column 'numPresentIdpInd' twice")),
    Case(
        "dtm-hdx-repeated-header-cp1252.csv",
        "dtm",
        Error("names column 'numPresentIdpInd' twice"),
    ),
    Case("hxl-repeated-header.csv", "hxl", Error("names column 'Conflict Stock Displacement'")),
    Case("dtm-nul.json", "dtm", Error("a NUL byte at offset 235, so not text")),
    Case("dtm-hdx-nul.csv", "dtm", Error("a NUL byte at offset 708, so not text")),
    Case("rss-nul.xml", "rss", Error("a NUL byte at offset 653, so not text")),
    Case("article-nul.txt", "article-files", Rows(0, ("a NUL byte at offset 1435, so not text",))),
    Case(
        "dtm-future-date.json",
        "dtm",
        Rows(
            3,
            suite_quarantines=1,
            suite_reasons=("field reported_on: later than the retrieval date + 1 day(s) (2100",),
        ),
    ),
    Case(
        "rss-future-date.xml",
        "rss",
        Rows(
            2,
            suite_quarantines=1,
            suite_reasons=(
                "field published_at: later than the retrieval date + 1 day(s) (2100-01-01",
            ),
        ),
    ),
    Case(
        "article-future-event.txt",
        "article-files",
        Rows(
            1,
            suite_quarantines=1,
            suite_reasons=(
                "field event_date: later than the retrieval date + 1 day(s) (2100-03-03",
            ),
            table="article_facts",
        ),
    ),
]


def params() -> list[object]:
    """Cases whose kind exists; a known bug owned elsewhere is a non-strict xfail."""
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.known_bug)] if case.known_bug else []
        if case.kind not in registry():
            marks = [pytest.mark.skip(reason=f"no {case.kind} kind yet")]
        out.append(pytest.param(case, id=case.file, marks=marks))
    return out


def read(case: Case) -> Parsed:
    """The file through its kind's normaliser, as the pipeline's normalise step does."""
    path = CORPUS / case.file
    origin = Origin("corpus", f"file://{path}", datetime(2025, 1, 1, tzinfo=UTC), "run-c")
    return registry()[case.kind].transform(path.read_bytes(), origin)


def test_every_corpus_file_has_a_case_and_a_readme_line() -> None:
    readme = (CORPUS / "README.md").read_text()
    files = sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")
    assert files == sorted(c.file for c in CASES)
    assert [f for f in files if f"`{f}`" not in readme] == []


@pytest.mark.parametrize("case", params())
def test_corpus_file(case: Case) -> None:
    if isinstance(case.expected, Error):
        with pytest.raises((InputError, SchemaDriftError)) as caught:
            read(case)
        assert case.file in str(caught.value), "the error must name the file"
        assert re.search(case.expected.message, str(caught.value)), str(caught.value)
        return
    parsed = read(case)
    table = case.expected.table or registry()[case.kind].tables[0]
    frame = parsed.tables.get(table)
    kept = 0 if frame is None else len(frame)
    rejects = parsed.rejects.get(table, [])
    reasons = [r.reason for r in rejects]
    assert kept == case.expected.kept, reasons
    assert len(reasons) == len(case.expected.rejected), reasons
    for reason, expected in zip(reasons, case.expected.rejected, strict=True):
        assert case.file in reason and expected in reason, reason
    text = "" if frame is None else frame.astype("string").to_csv()
    for wanted in case.expected.contains:
        assert wanted in text
    if kept:
        reasons_of_suite = validate(frame, table).reasons.dropna().tolist()
        assert len(reasons_of_suite) == case.expected.suite_quarantines, reasons_of_suite
        for reason, expected in zip(reasons_of_suite, case.expected.suite_reasons, strict=False):
            assert case.file in reason and expected in reason, reason
