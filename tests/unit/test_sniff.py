"""Files told apart by their bytes: UTF-16 text (Excel's "Unicode text") reads like UTF-8."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from flows.sources import registry
from transforms.lineage import Origin
from transforms.parsed import InputError
from transforms.sniff import utf8

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    ("hapi-idps", "data/samples/hapi/hapi_idps_HTI_TCD_slice.csv"),
    ("hxl", "data/samples/hxl/idmc_idps_country_year_slice_hxl.csv"),
    ("unhcr", "data/samples/unhcr/unhcr_population_2022_TCD.csv"),
    ("unhcr", "tests/fixtures/unhcr_population_api_page_1.json"),
    ("idmc-gidd", "data/samples/idmc-gidd/hdx_conflict_idps_AFG.csv"),
    ("idmc-idu", "data/samples/idmc-idu/idu_hdx_IND.csv"),
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
@pytest.mark.parametrize(("kind", "path"), FILES)
def test_a_utf16_file_gives_the_rows_of_its_utf8_original(kind: str, path: str, encoding: str):
    original = (ROOT / path).read_bytes()
    text = original.decode("utf-8-sig")
    wide = ("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding)
    assert b"\x00" in wide[:8]
    origin = Origin(kind, path, datetime(2026, 1, 1, tzinfo=UTC), "run-1")
    parse = registry()[kind].transform
    expected, got = parse(original, origin), parse(wide, origin)
    assert len(expected.tables["displacement"]) > 0
    pd.testing.assert_frame_equal(got.tables["displacement"], expected.tables["displacement"])


def test_bytes_without_a_utf16_mark_pass_unchanged_and_a_false_mark_is_an_input_error() -> None:
    assert utf8(b"iso3,figure\nTCD,5\n", "x.csv") == b"iso3,figure\nTCD,5\n"
    with pytest.raises(InputError, match=r"x\.csv: opens with a UTF-16 byte-order mark"):
        utf8(b"\xff\xfe\x00\xd8", "x.csv")  # a lone surrogate
