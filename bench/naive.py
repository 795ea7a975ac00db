"""The straightforward pandas pipeline the benchmark compares against, and the stage inputs.

read_csv, rename and type the DTM columns, stamp lineage, Great Expectations on the whole
frame, to_parquet, one DuckDB insert: what an analyst would write first. No place
resolution, no quarantine; the canonical frame it builds also feeds the stage benchmarks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from transforms.lineage import Origin, add_lineage
from transforms.schema import conform

CAUSES = {"Conflict": "conflict", "Insecurity": "conflict", "Natural disaster": "disaster"}


def read(csv_path: Path) -> pd.DataFrame:
    """The HDX CSV without its HXL row, every column as text."""
    return pd.read_csv(csv_path, skiprows=[1], dtype="string")


def canonical(raw: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    """DTM columns renamed and typed onto `displacement`, lineage stamped, bad figures dropped."""
    figure = pd.to_numeric(raw["numPresentIdpInd"], errors="coerce")
    raw, figure = raw[figure.notna()], figure[figure.notna()]
    reported = pd.to_datetime(raw["reportingDate"], format="ISO8601").dt.date
    level = raw["adminLevel"].astype("int8")
    key = raw[["adminLevel", "operation", "admin0Pcode", "admin1Pcode", "admin2Pcode"]]
    key = key.fillna("")
    out = pd.DataFrame(
        {
            "iso3": raw["admin0Pcode"].str.upper(),
            "admin_level": level,
            "admin1_pcode": raw["admin1Pcode"],
            "admin2_pcode": raw["admin2Pcode"],
            "admin1_name": raw["admin1Name"],
            "admin2_name": raw["admin2Name"],
            "place_name": raw["admin2Name"].fillna(raw["admin1Name"]).fillna(raw["admin0Name"]),
            "metric": "idp_stock",
            "cause": raw["displacementReason"].map(CAUSES).fillna("other"),
            "figure": figure.astype("int64"),
            "unit": "people",
            "qualifier": "exact",
            "period_start": reported,
            "period_end": reported,
            "reported_on": reported,
            "round_number": pd.to_numeric(raw["roundNumber"]).astype("int32"),
            "assessment_type": raw["assessmentType"],
            "event_name": raw["operation"],
            "source_record_id": key["adminLevel"].str.cat(
                [key[c] for c in key.columns[1:]]
                + [raw["reportingDate"], raw["roundNumber"], raw["displacementReason"]]
                + [raw["assessmentType"]],
                sep="|",
            ),
        }
    )
    return add_lineage(out.reset_index(drop=True), origin)


def origin(csv_path: Path, run_id: str = "bench-run") -> Origin:
    """The lineage of a benchmark input."""
    return Origin("dtm-bench", str(csv_path), datetime(2026, 1, 1, tzinfo=UTC), run_id)


def canonical_parquet(csv_path: Path, out: Path) -> Path:
    """The canonical frame of a generated CSV, written as a lake file (stage input)."""
    import pyarrow.parquet as pq

    frame = canonical(read(csv_path), origin(csv_path))
    pq.write_table(conform(frame, "displacement"), out)
    return out
