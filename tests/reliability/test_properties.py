"""Every normaliser on arbitrary records: it fails only with InputError/SchemaDriftError, and
every record read is either kept or rejected with a reason naming the file, row and field."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from flows.sources import registry
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.schema import SchemaDriftError

ROOT = Path(__file__).resolve().parents[2]
NAME = "corpus-input"


@dataclass(frozen=True)
class Shape:
    """A real file of a kind, where its records are, and how many rows a record may make."""

    kind: str
    path: str
    records: str | None  # JSON key of the record list; None for a top-level list; "csv" for CSV
    rows_per_record: int = 1  # 1: exactly one row or one reject; k: up to k rows (figures)


SHAPES = [
    Shape("dtm", "data/samples/dtm/displacement-admin1-tcd.json", "result"),
    Shape("dtm", "data/samples/dtm-hdx/global-iom-dtm-from-api-slice.csv", "csv"),
    Shape("idmc-idu", "data/samples/idmc-idu/idu_api_IND.json", None),
    Shape("idmc-idu", "data/samples/idmc-idu/idu_hdx_IND.csv", "csv"),
    Shape("idmc-gidd", "data/samples/idmc-gidd/api_disasters_page_0.json", "results", 2),
    Shape("idmc-gidd", "data/samples/idmc-gidd/hdx_conflict_idps_AFG.csv", "csv", 2),
    Shape("hapi-idps", "data/samples/hapi/hapi_idps_HTI_TCD_slice.csv", "csv"),
    Shape("hapi-idps", "tests/fixtures/hapi_idps_slice.json", "data"),
    Shape("unhcr", "tests/fixtures/unhcr_population_api_page_1.json", "items", 12),
    Shape("unhcr", "data/samples/unhcr/unhcr_population_2022_TCD.csv", "csv", 12),
    Shape("hxl", "data/samples/hxl/idmc_idps_country_year_slice_hxl.csv", "csv", 4),
    Shape("reliefweb", "data/samples/reliefweb/reports-cod.json", "data"),
]
PRESENT = [s for s in SHAPES if s.kind in registry() and (ROOT / s.path).exists()]
# Crashes these tests found in normalisers owned elsewhere, kept visible until fixed.
KNOWN: dict[str, str] = {}


def shape_id(shape: Shape) -> str:
    return f"{shape.kind}:{Path(shape.path).name}"


def cases() -> list[Any]:
    """Each present shape, marked xfail (not strict) while it has a known crash."""
    return [
        pytest.param(
            s,
            id=shape_id(s),
            marks=[pytest.mark.xfail(reason=KNOWN[shape_id(s)])] if shape_id(s) in KNOWN else [],
        )
        for s in PRESENT
    ]


ODD = st.sampled_from(
    ["", " ", "NaN", "nan", "inf", "-1", "-0", "1e6", "4e+05", "1,234", "9" * 40, "0x1F",
     "2025-02-30", "2025-13-01", "0000-00-00", "31/12/2024", "ZZZ", "xx", "COD ", "C0D",
     "N/A", "null", "١٢٣", "\u202e", "<script>alert(1)</script>", "a\nb", 'q"uote', "Ã©"]
)  # fmt: skip
VALUE = st.one_of(
    ODD,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
CELL = st.one_of(ODD, st.text(max_size=20), st.integers().map(str))


def sample_records(shape: Shape) -> tuple[list[dict[str, Any]], Any]:
    """Up to 6 real records of the file and the document around them (for CSV: its HXL row)."""
    raw = (ROOT / shape.path).read_bytes()
    if shape.records == "csv":
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        hxl = rows[0] if all(str(v).startswith("#") for v in rows[0].values() if v) else None
        return rows[1:7] if hxl else rows[:6], {"hxl": hxl}
    body = json.loads(raw)
    records = body if shape.records is None else body[shape.records]
    return records[:6], body


@st.composite
def mutated(draw: st.DrawFn, shape: Shape) -> tuple[bytes, int]:
    """A file of the shape whose records had fields changed, dropped, added or duplicated."""
    records, body = sample_records(shape)
    out = []
    for record in draw(st.lists(st.sampled_from(records), min_size=0, max_size=8)):
        record = dict(record)
        keys = list(record)
        for key in draw(st.sets(st.sampled_from(keys), max_size=4)) if keys else ():
            record[key] = draw(CELL if shape.records == "csv" else VALUE)
        for key in draw(st.sets(st.sampled_from(keys), max_size=1)) if keys else ():
            del record[key]
        out.append(record)
    if shape.records == "csv":
        return to_csv(out, list(records[0]), body["hxl"], draw), len(out)
    if shape.records is None:
        return json.dumps(out).encode(), len(out)
    return json.dumps({**body, shape.records: out}).encode(), len(out)


def to_csv(
    records: list[dict[str, Any]], header: list[str], hxl: dict | None, draw: st.DrawFn
) -> bytes:
    """Records as CSV (HXL row kept); sometimes with a column renamed."""
    names = list(header)
    if draw(st.booleans()):
        names[draw(st.integers(0, len(names) - 1))] = draw(st.text(min_size=1, max_size=8))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # quotes cells holding \r or \n
    writer.writerow(names)
    if hxl:
        writer.writerow([hxl.get(h, "") for h in header])
    writer.writerows([[r.get(h, "") for h in header] for r in records])
    return buf.getvalue().encode()


def check(shape: Shape, raw: bytes, n_records: int) -> None:
    """The invariant: a clean error naming the file, or every record kept or rejected."""
    kind = registry()[shape.kind]
    origin = Origin("prop", f"file:///{NAME}", datetime(2025, 1, 1, tzinfo=UTC), "run-p")
    try:
        parsed = kind.transform(raw, origin)
    except (InputError, SchemaDriftError) as exc:
        assert NAME in str(exc), f"error does not name the file: {exc}"
        return
    assert isinstance(parsed, Parsed)
    for table in kind.tables[:1]:
        kept = len(parsed.tables.get(table, ()))
        rejects = parsed.rejects.get(table, [])
        for reject in rejects:
            assert NAME in reject.reason and reject.reason.strip(), reject.reason
        if shape.rows_per_record == 1:
            assert kept + len(rejects) == n_records, (kept, len(rejects), n_records)
        else:  # a record makes one row or one reject per figure; unknown (null) figures none
            assert kept + len(rejects) <= shape.rows_per_record * n_records


# The normal suite: a fixed, small sample and no shrinking (a failure shows the raw input);
# `make test-reliability` draws many more, at random, and shrinks what fails.
PROFILE = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    database=None,
)


@pytest.mark.parametrize("shape", cases())
@PROFILE
@given(data=st.data())
def test_normaliser_on_mutated_records(shape: Shape, data: st.DataObject) -> None:
    raw, n = data.draw(mutated(shape))
    check(shape, raw, n)


@pytest.mark.reliability
@pytest.mark.parametrize("shape", cases())
@settings(PROFILE, max_examples=150, derandomize=False, phases=list(Phase))
@given(data=st.data())
def test_normaliser_on_many_mutated_records(shape: Shape, data: st.DataObject) -> None:
    raw, n = data.draw(mutated(shape))
    check(shape, raw, n)


TEXT_KINDS = [k for k in ("article-files", "rss", "reliefweb") if k in registry()]


@pytest.mark.parametrize("kind", TEXT_KINDS)
@PROFILE
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_bytes_end_in_rows_or_a_clean_error(kind: str, raw: bytes) -> None:
    origin = Origin("prop", f"file:///{NAME}", datetime(2025, 1, 1, tzinfo=UTC), "run-p")
    try:
        parsed = registry()[kind].transform(raw, origin)
    except (InputError, SchemaDriftError) as exc:
        assert NAME in str(exc)
        return
    table = registry()[kind].tables[0]
    for reject in parsed.rejects.get(table, []):
        assert NAME in reject.reason
    if kind == "article-files":
        assert len(parsed.tables.get(table, ())) + len(parsed.rejects.get(table, [])) == 1
