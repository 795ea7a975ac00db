"""The bundled reference data: countries and territories, admin 1/2 units by p-code."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"


@cache
def admin_units() -> pd.DataFrame:
    """Admin 1 and 2 units: pcode, iso3, level, name, parent_pcode (OCHA global p-code list)."""
    raw = pd.read_csv(
        DATA / "global_pcodes_adm_1_2_hxl.csv", skiprows=[1], dtype="string", encoding="utf-8-sig"
    )
    return pd.DataFrame(
        {
            "pcode": raw["P-Code"].str.strip(),
            "iso3": raw["Location"].str.strip(),
            "level": pd.to_numeric(raw["Admin Level"]).astype("int8"),
            "name": raw["Name"].str.strip(),
            "parent_pcode": raw["Parent P-Code"].str.strip(),
        }
    ).drop_duplicates("pcode")


@cache
def countries() -> pd.DataFrame:
    """Countries and territories: iso3, iso2, name, alt_names ('|'-joined), region, regex."""
    raw = pd.read_csv(
        DATA / "countries_territories_taxonomy.csv", dtype="string", encoding="utf-8-sig"
    ).fillna("")
    iso3 = raw["ISO 3166-1 Alpha 3-Codes"].where(
        raw["ISO 3166-1 Alpha 3-Codes"] != "", raw["x Alpha3 codes"]
    )
    alt_cols = [
        "ISO Alt Term",
        "DGACM Alt Term",
        "HPC Tools Alt Term",
        "RW Short Name",
        "RW API Alt Term",
        "English Short",
        "French Short",
        "English Formal",
    ]
    alt = raw[alt_cols].apply(lambda r: "|".join(dict.fromkeys(v for v in r if v)), axis=1)
    out = pd.DataFrame(
        {
            "iso3": iso3.str.strip(),
            "iso2": raw["ISO 3166-1 Alpha 2-Codes"].str.strip(),
            "name": raw["Preferred Term"].str.strip(),
            "alt_names": alt,
            "region": raw["Region Name"],
            "regex": raw["Regex"],
        }
    )
    return out[out["iso3"] != ""].drop_duplicates("iso3").reset_index(drop=True)


@cache
def pcode_lengths() -> dict[str, tuple[tuple[int, ...], ...]]:
    """Per ISO3: allowed lengths of the country prefix, admin 1 and admin 2 parts of p-codes.

    Some countries allow several lengths at one level (written `3|7` in the source file).
    """
    raw = pd.read_csv(
        DATA / "global_pcode_lengths.csv", skiprows=[1], dtype="string", encoding="utf-8-sig"
    ).fillna("")
    cols = ["Country Length", "Admin 1 Length", "Admin 2 Length"]
    return {
        str(row["Location"]): tuple(
            tuple(int(n) for n in str(row[c]).split("|") if n) for c in cols
        )
        for _, row in raw.iterrows()
    }


@cache
def idmc_territories() -> pd.DataFrame:
    """IDMC's own territory codes (iso3, iso2, name), including non-ISO ones such as AB9."""
    return pd.read_csv(DATA / "idmc_territories.csv", dtype="string", keep_default_na=False)
