"""Inputs every kind refuses with a message naming the file: a JSON object repeating a key, JSON
nested past the depth limit, a CSV header naming a column twice, a NUL byte in text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.sources import registry
from transforms import hxl_tags, rss
from transforms.lineage import Origin
from transforms.parsed import InputError, Parsed
from transforms.readers import MAX_JSON_DEPTH, json_body, json_depth

ROOT = Path(__file__).resolve().parents[2]
JSON_FILES = [
    ("dtm", "data/samples/dtm/displacement-admin1-tcd.json"),
    ("idmc-idu", "data/samples/idmc-idu/idu_api_IND.json"),
    ("idmc-gidd", "data/samples/idmc-gidd/api_disasters_page_0.json"),
    ("hapi-idps", "tests/fixtures/hapi_idps_slice.json"),
    ("unhcr", "tests/fixtures/unhcr_population_api_page_1.json"),
    ("unhcr", "data/samples/unhcr/odp_population-collection-4-geo-id-178.json"),
    ("reliefweb", "data/samples/reliefweb/reports-cod.json"),
]
CSV_FILES = [
    ("dtm", "data/samples/dtm-hdx/global-iom-dtm-from-api-slice.csv"),
    ("hapi-idps", "data/samples/hapi/hapi_idps_HTI_TCD_slice.csv"),
    ("hxl", "data/samples/hxl/idmc_idps_country_year_slice_hxl.csv"),
    ("unhcr", "data/samples/unhcr/unhcr_population_2022_TCD.csv"),
    ("idmc-gidd", "data/samples/idmc-gidd/hdx_conflict_idps_AFG.csv"),
    ("idmc-idu", "data/samples/idmc-idu/idu_hdx_IND.csv"),
]
NAME = "input-7.dat"


def parse(kind: str, raw: bytes) -> Parsed:
    origin = Origin(kind, f"file:///in/{NAME}", datetime(2026, 1, 1, tzinfo=UTC), "run-7")
    return registry()[kind].transform(raw, origin)


def first_object(body: Any) -> dict[str, Any]:
    """The first record of a body: the first dict found in its first list, else the body."""
    if isinstance(body, list):
        return next(r for r in body if isinstance(r, dict))
    lists = [v for v in body.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    return first_object(lists[0]) if lists else body


def with_repeated_key(raw: bytes) -> tuple[bytes, str]:
    """The document with its first record's first key written twice (first `null`, then the
    real value: a reader keeping the last value would load the record unchanged)."""
    body = json.loads(raw)
    record = first_object(body)
    key = next(iter(record))
    text = json.dumps(body)
    pair = f"{json.dumps(key)}: {json.dumps(record[key])}"
    assert text.count(pair) >= 1
    return text.replace(pair, f"{json.dumps(key)}: null, {pair}", 1).encode(), key


@pytest.mark.parametrize(("kind", "path"), JSON_FILES)
def test_a_repeated_key_is_refused_naming_the_file_and_the_key(kind: str, path: str) -> None:
    original = (ROOT / path).read_bytes()
    assert parse(kind, original).rows_in(registry()[kind].tables[0]) > 0
    raw, key = with_repeated_key(original)
    with pytest.raises(InputError, match=f"{NAME}: .*repeats the key '{key}'"):
        parse(kind, raw)


def test_a_repeated_envelope_key_no_longer_loads_zero_rows() -> None:
    raw = (ROOT / JSON_FILES[0][1]).read_bytes().rstrip()
    assert raw.endswith(b"}")
    with pytest.raises(InputError, match="repeats the key 'result'"):
        parse("dtm", raw[:-1] + b', "result": []}')


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 100_000])
@pytest.mark.parametrize(("kind", "path"), JSON_FILES)
def test_json_nested_past_the_limit_is_refused_naming_the_file(
    kind: str, path: str, levels: int
) -> None:
    body = json.loads((ROOT / path).read_bytes())
    first_object(body)["nested"] = "NESTED"
    text = json.dumps(body).replace('"NESTED"', "[" * levels + "]" * levels)
    with pytest.raises(InputError, match=f"{NAME}: JSON nested deeper than {MAX_JSON_DEPTH}"):
        parse(kind, text.encode())


def test_a_feed_bundle_is_read_by_the_same_json_reader() -> None:
    bundle = rss.bundle(b"<rss/>", {"https://e.org/1": b"<p>x</p>"})
    assert bundle.startswith(rss.BUNDLE)
    with pytest.raises(InputError, match="repeats the key 'pages'"):
        rss.unbundle(bundle[:-1] + b', "pages": {}}', NAME)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=JSON_VALUE, indent=st.sampled_from([None, 1]))
def test_json_depth_counts_the_nesting_json_loads_sees(value: Any, indent: int | None) -> None:
    raw = json.dumps(value, indent=indent, ensure_ascii=False).encode()
    assert json_depth(raw) == depth_of(value)
    assert json_body(raw, NAME) == value


def reheader(raw: bytes, encoding: str) -> bytes:
    """The CSV with its second header cell named like its first, in `encoding` (UTF-8 goes
    through Arrow; Windows-1252 with an `é` through the careful reader and pandas)."""
    text = raw.decode("utf-8-sig")
    head, rest = text.split("\n", 1)
    cells = head.rstrip("\r").split(",")
    cells[1] = cells[0]
    if encoding == "cp1252":
        cells[2] += " é"  # not UTF-8 in the header: Arrow's reader leaves the file to pandas
    return (",".join(cells) + "\n" + rest).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize(("kind", "path"), CSV_FILES)
def test_a_header_naming_a_column_twice_is_refused(kind: str, path: str, encoding: str) -> None:
    raw = (ROOT / path).read_bytes()
    first = raw.decode("utf-8-sig").split(",", 1)[0]
    with pytest.raises(InputError, match=f"{NAME}: the header names column '{first}' twice"):
        parse(kind, reheader(raw, encoding))


def test_blank_header_cells_may_repeat() -> None:
    table = hxl_tags.read_csv(b"a,,,b\n1,2,3,4\n", NAME)
    assert list(table.frame.columns) == ["a", "col_2", "col_3", "b"]


def test_a_nul_past_the_first_block_of_a_streamed_csv_names_its_rows() -> None:
    lines = ["id,operation,figure\n"] + [f"{n},Lake Chad Basin Crisis,{n}\n" for n in range(6000)]
    lines[5000] = "4999,Lake\x00Chad,1\n"
    raw = "".join(lines).encode()
    assert raw.index(b"\x00") > 1 << 16  # past the bytes read before Arrow starts
    with pytest.raises(InputError, match=rf"{NAME}: a NUL byte in the rows from file row (\d+)"):
        list(hxl_tags.read_csv_batches(io.BytesIO(raw), NAME, block_bytes=4096))


@pytest.mark.parametrize(("kind", "path"), JSON_FILES[:1] + CSV_FILES)
def test_one_nul_byte_is_named_with_its_offset(kind: str, path: str) -> None:
    raw = (ROOT / path).read_bytes()
    at = len(raw) // 2
    with pytest.raises(InputError, match=f"{NAME}: a NUL byte at offset {at}, so not text"):
        parse(kind, raw[:at] + b"\x00" + raw[at:])


def test_a_windows_1252_header_over_ascii_rows_keeps_its_names() -> None:
    table = hxl_tags.read_csv("région,Bénin\n1,2\n".encode("cp1252"), NAME)
    assert list(table.frame.columns) == ["région", "Bénin"]
