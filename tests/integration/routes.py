"""The HDX CSV shape of records the fixtures hold as API JSON, written as the providers write it.

GIDD disasters: the columns, order and spellings of IDMC's HDX CSV (`hazard_subtype_name`,
left empty; `event_codes` joined with `,`; no `event_codes_type`), as in
`Internal displacements (new displacements) associated with disasters_AFG.csv`.
DTM: the HDX global CSV (`global-iom-dtm-from-api-admin-0-to-2.csv`): the API fields of the
three admin levels in one table, `adminLevel` per row, its HXL row, `operationStatus` empty
where the API response does not give it. Values are written as the API gives them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

GIDD_DISASTER_COLUMNS = [
    "iso3",
    "country_name",
    "year",
    "start_date",
    "start_date_accuracy",
    "end_date",
    "end_date_accuracy",
    "event_name",
    "hazard_category",
    "hazard_category_name",
    "hazard_sub_category",
    "hazard_sub_category_name",
    "hazard_type",
    "hazard_type_name",
    "hazard_sub_type",
    "hazard_subtype_name",
    "new_displacement",
    "new_displacement_rounded",
    "total_displacement",
    "total_displacement_rounded",
    "event_codes",
]
DTM_COLUMNS = [
    "id",
    "operation",
    "admin0Name",
    "admin0Pcode",
    "admin1Name",
    "admin1Pcode",
    "admin2Name",
    "admin2Pcode",
    "adminLevel",
    "numPresentIdpInd",
    "reportingDate",
    "yearReportingDate",
    "monthReportingDate",
    "roundNumber",
    "displacementReason",
    "numberMales",
    "numberFemales",
    "idpOriginAdmin1Name",
    "idpOriginAdmin1Pcode",
    "assessmentType",
    "operationStatus",
]
DTM_HXL = [
    "#id+code",
    "#operation+name",
    "#country+name",
    "#country+code",
    "#adm1+name",
    "#adm1+code",
    "#adm2+name",
    "#adm2+code",
    "#adm+level",
    "#affected+idps",
    "#date+reported",
    "#date+year+reported",
    "#date+month+reported",
    "#round+code",
    "#cause+type",
    "#affected+idps+m",
    "#affected+idps+f",
    "#adm1+name+origin",
    "#adm1+code+origin",
    "#assessment+type",
    "#operation+status",
]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def gidd_disasters_csv(records: list[dict[str, Any]]) -> str:
    """GIDD disaster API records as IDMC's HDX disasters CSV."""
    rows = [GIDD_DISASTER_COLUMNS]
    for record in records:
        row = dict(record, hazard_subtype_name=None)
        rows.append([_cell(row.get(c)) for c in GIDD_DISASTER_COLUMNS])
    return _csv(rows)


def dtm_hdx_csv(api_files: list[Path]) -> str:
    """DTM API v3 responses (admin 0, 1 or 2) as the HDX global DTM CSV."""
    rows = [DTM_COLUMNS, DTM_HXL]
    for path in api_files:
        records = json.loads(path.read_text())["result"]
        for record in records:
            level = 2 if "admin2Pcode" in record else 1 if "admin1Pcode" in record else 0
            row = dict(record, adminLevel=level)
            rows.append([_cell(row.get(c)) for c in DTM_COLUMNS])
    return _csv(rows)
