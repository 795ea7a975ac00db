"""One encoding of `extra` for every kind: the same JSON text for the same fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from flows.sources import get_kind
from transforms import extra, idmc_idu
from transforms.lineage import Origin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# A file of each kind (and each reader within a kind) whose rows carry `extra` fields.
CASES = [
    ("dtm", "dtm_api_admin0_hti_slice.json"),
    ("dtm", "dtm_hdx_global_slice.csv"),
    ("hapi-idps", "hapi_idps_slice.json"),
    ("hapi-idps", "hapi_idps_slice.csv"),
    ("hxl", "dtm_ethiopia_sites_slice_hxl.csv"),
    ("idmc-idu", "idmc_idu_api_IND_slice.json"),
    ("idmc-idu", "idmc_idu_hdx_hxl_IND_slice.csv"),
    ("idmc-gidd", "idmc_gidd_conflicts_page_0_slice.json"),
    ("idmc-gidd", "idmc_gidd_hdx_conflict_idps_AFG.csv"),
    ("unhcr", "unhcr_population_2022_slice.csv"),
    ("unhcr", "unhcr_odp_get-origin-geo-id-295-population-collection-429.json"),
    ("unhcr", "unhcr_odp_population-collection-4-geo-id-1.json"),
    ("unhcr", "unhcr_odp_hdx_situations.csv"),
    ("unhcr", "unhcr_legacy_HDX_EndYearPopulationTotals_slice.csv"),
]


def extras(kind: str, name: str) -> pd.Series:
    origin = Origin("s", name, datetime(2026, 1, 1, tzinfo=UTC), "run-1")
    parsed = get_kind(kind).transform((FIXTURES / name).read_bytes(), origin)
    return parsed.tables["displacement"]["extra"]


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}:{n}" for k, n in CASES])
def test_extra_is_the_one_encoding_in_every_kind(kind: str, name: str) -> None:
    values = extras(kind, name)
    present = [v for v in values if not pd.isna(v)]
    assert present, f"{name}: no row has an extra field to compare"
    for text in present:
        fields = json.loads(text)
        assert isinstance(fields, dict) and fields, f"{name}: an empty object, not NULL: {text}"
        # The one encoder, given the same fields in the same order, writes the same text.
        again = extra.to_json(pd.DataFrame([fields], dtype=object)).iloc[0]
        assert again == text, f"{name}: {text!r} is not encoded as {again!r}"


def test_no_fields_is_null_and_keys_keep_the_order_given() -> None:
    frame = pd.DataFrame({"zeta": ["z", None], "alpha": [1.5, None], "mid": [[1, "a"], None]})
    got = extra.to_json(frame.astype(object), ["zeta", "alpha", "mid", "absent"])
    assert got.iloc[0] == json.dumps({"zeta": "z", "alpha": 1.5, "mid": [1, "a"]})
    assert pd.isna(got.iloc[1])


def test_a_kind_that_once_sorted_its_keys_now_keeps_the_order_given_as_the_others_do() -> None:
    records = json.loads((FIXTURES / "idmc_idu_api_IND_slice.json").read_text())
    origin = Origin("s", "idu.json", datetime(2026, 1, 1, tzinfo=UTC), "run-1")
    got = idmc_idu.parse(json.dumps(records[:1]).encode(), origin).tables["displacement"]
    keys = list(json.loads(got["extra"].iloc[0]))
    declared = [k for k in idmc_idu.EXTRA if k in keys]
    assert keys == declared and len(keys) > 3  # the fields in the order given, not sorted
    assert declared != sorted(declared)
