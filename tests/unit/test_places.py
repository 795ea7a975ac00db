"""Country codes from names and codes, p-code repair and admin resolution against the gazetteer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SHARED
from transforms import dtm, hapi
from transforms.lineage import Origin
from transforms.places import (
    country_iso3,
    repair_pcode,
    resolve_admin,
    unresolved_admin,
    with_country_names,
)


def iso3(*values: object) -> list[object]:
    out = country_iso3(pd.Series(values, dtype=object))
    return [None if pd.isna(v) else v for v in out]


def test_codes_are_upper_cased_and_non_iso_codes_kept() -> None:
    assert iso3("cod", "hti", " TCD ", "AB9", "XKX") == ["COD", "HTI", "TCD", "AB9", "XKX"]


def test_unhcr_unknown_and_stateless_codes_are_not_countries() -> None:
    assert iso3("UKN", "UNK", "STA", "XXA", "TIB") == [None] * 5


def test_congo_names_follow_the_override_table() -> None:
    cod = iso3(
        "DR Congo", "DRC", "eastern Congo", "Congo-Kinshasa", "Democratic Republic of the Congo"
    )
    assert cod == ["COD"] * 5
    assert iso3("Republic of Congo", "Congo-Brazzaville") == ["COG", "COG"]


def test_plain_congo_is_left_ambiguous() -> None:
    # COG by the taxonomy, COD in most displacement reporting: the caller decides from context.
    assert iso3("Congo", "congo") == [None, None]


def test_names_resolve_by_taxonomy_names_and_regexes() -> None:
    names = ("Haiti", "Chad", "Côte d'Ivoire", "Ivory Coast", "South Sudan", "Sudan", "Niger")
    assert iso3(*names) == ["HTI", "TCD", "CIV", "CIV", "SSD", "SDN", "NER"]
    assert iso3("Nigeria", "Kosovo", "Abyei Area") == ["NGA", "XKX", "AB9"]


def test_unknown_blank_and_missing_values_give_na() -> None:
    assert iso3("Atlantis", "", None, float("nan")) == [None] * 4


def test_repair_pcode_fixes_the_country_prefix_length() -> None:
    codes = pd.Series(["TD07", "TD0701", "td07", "CAF62", "CAF621", "HT01", "TCD07"])
    countries = pd.Series(["TCD", "TCD", "TCD", "CAF", "CAF", "HTI", "TCD"])
    assert list(repair_pcode(codes, countries)) == [
        "TCD07", "TCD0701", "TCD07", "CF62", "CF621", "HT01", "TCD07",
    ]  # fmt: skip


def test_repair_pcode_leaves_other_text_and_other_countries_alone() -> None:
    codes = pd.Series(["Not available", "HT01", None], dtype="string")
    out = repair_pcode(codes, pd.Series(["TCD", "TCD", "TCD"]))
    assert list(out.fillna("<NA>")) == ["Not available", "HT01", "<NA>"]


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    cols = ["iso3", "admin1_pcode", "admin2_pcode", "admin1_name", "admin2_name", "extra"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows])


def notes(row: pd.Series) -> dict[str, str]:
    return json.loads(row["extra"]) if isinstance(row["extra"], str) else {}


def test_codes_resolve_first_and_gazetteer_names_replace_provider_names() -> None:
    out = resolve_admin(frame([{"iso3": "HTI", "admin1_pcode": "HT01", "admin1_name": "Ouest"}]))
    row = out.iloc[0]
    assert (row["admin1_pcode"], row["admin1_name"]) == ("HT01", "West")
    assert notes(row) == {"provider_admin1_name": "Ouest"}


def test_wrong_length_codes_are_repaired_and_the_provider_code_kept() -> None:
    rows = [
        {"iso3": "TCD", "admin1_pcode": "TD07", "admin2_pcode": "TD0701", "admin2_name": "Mamdi"}
    ]
    row = resolve_admin(frame(rows)).iloc[0]
    assert (row["admin1_pcode"], row["admin2_pcode"]) == ("TCD07", "TCD0701")
    assert notes(row)["provider_admin1_pcode"] == "TD07"
    assert notes(row)["provider_admin2_pcode"] == "TD0701"
    assert notes(row)["admin_match"] == "repaired_code"


def test_french_provider_names_match_english_gazetteer_names() -> None:
    names = ["Ouest", "Nord Ouest", "Sud-Est", "Nord Est", "Grande Anse"]
    out = resolve_admin(frame([{"iso3": "HTI", "admin1_name": n} for n in names]))
    assert list(out["admin1_pcode"]) == ["HT01", "HT09", "HT02", "HT04", "HT08"]
    assert notes(out.iloc[1]) == {"provider_admin1_name": "Nord Ouest", "admin_match": "name"}


def test_truncated_names_match_fuzzily_inside_their_parent() -> None:
    rows = [
        {"iso3": "HTI", "admin1_name": "Artibonite", "admin2_name": "Petite Riviere De L'Art"},
        {"iso3": "HTI", "admin1_name": "Artibonite", "admin2_name": "Dessalines/Marchandes"},
        {"iso3": "HTI", "admin1_name": "Nord Est", "admin2_name": "Valliere"},
    ]
    out = resolve_admin(frame(rows))
    assert list(out["admin2_pcode"]) == ["HT0542", "HT0541", "HT0441"]
    assert {notes(r)["admin_match"] for _, r in out.iterrows()} == {"fuzzy"}


def test_an_admin2_code_alone_fills_in_its_admin1_parent() -> None:
    row = resolve_admin(frame([{"iso3": "COD", "admin2_pcode": "CD6104"}])).iloc[0]
    assert (row["admin1_pcode"], row["admin1_name"]) == ("CD61", "Nord-Kivu")
    assert row["admin2_name"] == "Walikale"


def test_unresolved_rows_keep_provider_values_and_are_counted() -> None:
    rows = [
        {"iso3": "HTI", "admin1_pcode": "HT01"},
        {"iso3": "HTI", "admin1_pcode": "HT99", "admin1_name": "Atlantide", "extra": '{"a": 1}'},
        {"iso3": "HTI"},
    ]
    out = resolve_admin(frame(rows))
    assert len(out) == 3
    lost = out.iloc[1]
    assert (lost["admin1_pcode"], lost["admin1_name"]) == ("HT99", "Atlantide")
    assert notes(lost) == {"a": 1, "admin_match": "unresolved"}
    assert list(unresolved_admin(out)) == [False, True, False]


def test_other_columns_pass_through_untouched() -> None:
    data = frame([{"iso3": "HTI", "admin1_pcode": "HT01"}]).assign(figure=5, source="x")
    out = resolve_admin(data)
    assert (out["figure"].iloc[0], out["source"].iloc[0]) == (5, "x")
    assert list(out.columns) == list(data.columns)


def shared_files() -> list[Path]:
    folder = SHARED / "dtm"
    found = sorted((folder / "api").glob("displacement-admin[12]-*.json"))
    found += [folder / "hdx_global_dtm_admin0-2_hxl.csv"]
    found += sorted((folder / "baseline_xlsx").glob("*.xlsx"))
    return [*found, SHARED / "hdx" / "hapi_idps_HTI_TCD.csv"]


@pytest.mark.skipif(not SHARED.exists(), reason="shared data folder not present")
@pytest.mark.parametrize("path", shared_files(), ids=lambda p: p.name)
def test_dtm_and_hapi_admin_rows_resolve_to_gazetteer_pcodes(path: Path) -> None:
    origin = Origin("t", str(path), datetime(2026, 1, 1, tzinfo=UTC), "r")
    parse = hapi.parse if "hapi" in path.name else dtm.parse
    rows = parse(path.read_bytes(), origin).tables["displacement"]
    admin_rows = rows[rows["admin_level"] >= 1]
    resolved = resolve_admin(admin_rows)
    rate = 1 - unresolved_admin(resolved).mean()
    print(f"{path.name}: {len(admin_rows)} admin rows, {rate:.2%} resolved")
    assert len(admin_rows) > 0
    assert rate >= 0.99


@pytest.mark.skipif(not SHARED.exists(), reason="shared data folder not present")
def test_provider_names_alone_find_the_codes_hapi_assigned() -> None:
    raw = pd.read_csv(
        SHARED / "hdx" / "hapi_idps_HTI_TCD.csv", dtype="string", encoding="utf-8-sig"
    )
    raw = raw[raw["admin_level"] != "0"]
    names_only = pd.DataFrame(
        {
            "iso3": raw["location_code"],
            "admin1_name": raw["provider_admin1_name"],
            "admin2_name": raw["provider_admin2_name"],
        }
    )
    out = resolve_admin(names_only)
    deepest = raw["admin2_code"].fillna(raw["admin1_code"])
    found = out["admin2_pcode"].fillna(out["admin1_pcode"])
    agreement = (found == deepest).mean()
    print(f"HAPI provider names alone: {agreement:.2%} match HAPI's p-codes")
    assert agreement >= 0.99


def test_country_rows_of_every_kind_take_the_gazetteers_name() -> None:
    given = pd.DataFrame(
        {
            "iso3": ["COD", "AB9", "HTI", "COD"],
            "admin_level": [0, 0, 0, 1],
            "place_name": ["DR Congo", None, "Haiti", "Nord-Kivu"],
            "extra": [None, None, None, None],
        }
    )
    out = with_country_names(given)
    assert list(out["place_name"]) == [
        "Democratic Republic of the Congo", "Abyei Area", "Haiti", "Nord-Kivu"
    ]  # fmt: skip
    assert json.loads(out["extra"][0]) == {"provider_place_name": "DR Congo"}
    assert out["extra"][1:].isna().all()
