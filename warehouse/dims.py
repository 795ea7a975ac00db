"""Reference dimensions `dim_country` and `dim_admin`, loaded from the bundled gazetteer.

Loaded inside the caller's transaction when the tables are empty or the bundled files changed
(their SHA-256 is kept in `reference_data`), so every warehouse has them without a reload per run.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from transforms.gazetteer import DATA, admin_units, countries, idmc_territories
from warehouse.db import statement

BUNDLE = "gazetteer"
FILES = (
    "global_pcodes_adm_1_2_hxl.csv",
    "countries_territories_taxonomy.csv",
    "idmc_territories.csv",
)


def bundle_hash() -> str:
    """SHA-256 over the bundled reference files, names and bytes."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode())
        digest.update((DATA / name).read_bytes())
    return digest.hexdigest()


def country_rows() -> pd.DataFrame:
    """dim_country rows: the OCHA taxonomy, plus IDMC territories it lacks (AB9 Abyei Area)."""
    taxonomy = countries()[["iso3", "name", "alt_names", "region"]]
    idmc = idmc_territories().rename(columns={"idmc_short_name": "name"})
    missing = idmc[~idmc["iso3"].isin(taxonomy["iso3"])].drop_duplicates("iso3")
    extra = missing.assign(alt_names=None, region=None)[taxonomy.columns]
    rows = pd.concat([taxonomy, extra], ignore_index=True)
    return rows.replace({"": None})


def admin_rows() -> pd.DataFrame:
    """dim_admin rows; an admin 1 unit's parent is its country (the iso3 column), not a p-code."""
    units = admin_units()[["pcode", "iso3", "level", "name", "parent_pcode"]].copy()
    units["parent_pcode"] = units["parent_pcode"].where(units["level"] > 1)
    return units


def load_dims(con: duckdb.DuckDBPyConnection) -> bool:
    """Replace both dimensions when empty or stale; True when they were (re)loaded."""
    digest = bundle_hash()
    stored = con.execute("SELECT sha256 FROM reference_data WHERE name = ?", [BUNDLE]).fetchall()
    admins = con.execute("SELECT count(*) FROM dim_admin").fetchall()[0][0]
    if stored == [(digest,)] and admins > 0:
        return False
    rows = 0
    for table, frame in (("dim_country", country_rows()), ("dim_admin", admin_rows())):
        con.register("reference_rows", frame)
        con.execute(statement("dims_replace").format(table=table))
        con.unregister("reference_rows")
        rows += len(frame)
    con.execute(statement("save_reference_data"), {"name": BUNDLE, "sha256": digest, "rows": rows})
    return True
