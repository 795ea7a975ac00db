"""Places: ISO3 from country names or codes, admin p-codes repaired and resolved by the gazetteer.

Plain "Congo" is left unresolved on purpose: officially it is the Republic of the Congo (COG),
but in displacement reporting it mostly means the DRC (COD); a caller with more context (a
place in the same text, a code column) decides. See `data/country_overrides.csv`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pandas as pd
from rapidfuzz import fuzz, process

from transforms import extra
from transforms.distinct import per_distinct
from transforms.gazetteer import DATA, admin_units, countries, idmc_territories, pcode_lengths

FUZZY_CUTOFF = 85.0
FUZZY_MARGIN = 3.0  # the best candidate must beat the next one by this much
# How a level was matched, best first; a row's `admin_match` is the worst of its levels.
METHODS = ("code", "repaired_code", "name", "fuzzy", "unresolved")
ADMIN_COLUMNS = ("admin1_pcode", "admin2_pcode", "admin1_name", "admin2_name")


def simplify(text: str) -> str:
    """Lower case without accents or punctuation, single spaces: the key names are compared on."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


@cache
def _overrides() -> dict[str, str | None]:
    """Tested exceptions to the taxonomy (empty iso3: deliberately not a country)."""
    raw = pd.read_csv(DATA / "country_overrides.csv", dtype="string", keep_default_na=False)
    return {simplify(n): (c or None) for n, c in zip(raw["name"], raw["iso3"], strict=True)}


@cache
def country_codes() -> frozenset[str]:
    """Every ISO3 code of a country or an IDMC territory."""
    return frozenset(countries()["iso3"]) | frozenset(idmc_territories()["iso3"])


@cache
def _names() -> dict[str, str]:
    """Every preferred or alternative name (simplified) that belongs to exactly one country."""
    c = countries()
    pairs = [
        (simplify(n), iso)
        for iso, name, alts in zip(c["iso3"], c["name"], c["alt_names"], strict=True)
        for n in [name, *alts.split("|")]
        if n
    ]
    idmc = idmc_territories()
    pairs += [
        (simplify(n), i) for i, n in zip(idmc["iso3"], idmc["idmc_short_name"], strict=True) if n
    ]
    frame = pd.DataFrame(pairs, columns=["name", "iso3"]).drop_duplicates()
    unique = frame[~frame["name"].duplicated(keep=False)]
    return dict(zip(unique["name"], unique["iso3"], strict=True))


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    c = countries()
    pairs = zip(c["iso3"], c["regex"], strict=True)
    return tuple((re.compile(rx, re.IGNORECASE), iso) for iso, rx in pairs if rx)


def one_country(value: str) -> str | None:
    """ISO3 of one code or name: overrides, then codes, then taxonomy names, then its regexes."""
    key = simplify(value)
    overrides = _overrides()
    if key in overrides:
        return overrides[key]
    if value.upper() in country_codes():
        return value.upper()
    if key in _names():
        return _names()[key]
    hits = {iso for rx, iso in _patterns() if rx.search(value.lower()) or rx.search(key)}
    return hits.pop() if len(hits) == 1 else None


def country_iso3(names_or_codes: pd.Series) -> pd.Series:
    """ISO3 (or a non-ISO code in use such as AB9, XKX) per value; NA for unknown or ambiguous."""
    text = names_or_codes.astype("string").str.strip().replace("", pd.NA)
    found = {v: one_country(str(v)) for v in text.dropna().unique()}
    return text.map(found, na_action="ignore").astype("string")


@cache
def _prefixes() -> pd.DataFrame:
    """Per ISO3: its ISO2 and the country prefix the gazetteer's p-codes use (2 or 3 letters)."""
    c = countries().set_index("iso3")
    lengths = {iso: lens[0][0] for iso, lens in pcode_lengths().items() if lens and lens[0]}
    want = pd.Series(lengths, dtype="Int64").reindex(c.index)
    prefix = c.index.to_series().where(want == 3, c["iso2"].where(want == 2))
    return pd.DataFrame({"iso2": c["iso2"], "prefix": prefix.astype("string")})


def repair_pcode(pcode: pd.Series, iso3: pd.Series) -> pd.Series:
    """P-codes upper-cased, and those whose country prefix has the wrong length fixed.

    DTM writes TD07 where the gazetteer has TCD07 (Chad uses its ISO3), and CAF62 where it has
    CF62 (CAR uses its ISO2); `pcode_lengths()` says which length each country uses.
    """
    text = pcode.astype("string").str.strip()
    looks_like_code = text.str.fullmatch(r"[A-Za-z]{2,3}\d+").fillna(False).astype(bool)
    code = text.where(~looks_like_code, text.str.upper())
    parts = code.str.extract(r"^([A-Z]{2,3})(\d+)$")
    iso = iso3.astype("string").str.upper()
    want = iso.map(_prefixes()["prefix"])
    own = (parts[0] == iso) | (parts[0] == iso.map(_prefixes()["iso2"]))
    wrong = (own & (parts[0] != want)).fillna(False).astype(bool)
    return code.where(~wrong, want + parts[1])


@cache
def _synonyms() -> dict[str, str]:
    raw = pd.read_csv(DATA / "admin_name_synonyms.csv", dtype="string", keep_default_na=False)
    return dict(zip(raw["word"], raw["means"], strict=True))


def name_key(name: str) -> str:
    """An admin name as compared: simplified, synonyms applied (Ouest → west), filler dropped."""
    words = (_synonyms().get(w, w) for w in simplify(name).split())
    return " ".join(w for w in words if w)


def name_keys(names: pd.Series) -> pd.Series:
    """`name_key` of every value, computed once per distinct name."""
    text = names.astype("string")
    keys = {v: name_key(str(v)) for v in text.dropna().unique()}
    return text.map(keys, na_action="ignore").astype("string")


@cache
def _units() -> pd.DataFrame:
    """The gazetteer's units by p-code (name keys are worked out per pool, when asked)."""
    return admin_units().set_index("pcode", drop=False)


@cache
def _pool(iso3: str, level: int, parent: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Name keys and p-codes of the units a name may match: one country, level and parent."""
    u = _units()
    mask = (u["iso3"] == iso3) & (u["level"] == level)
    if parent is not None:
        mask &= u["parent_pcode"] == parent
    return tuple(name_keys(u.loc[mask, "name"])), tuple(u.loc[mask, "pcode"])


def match_name(iso3: str, level: int, parent: str | None, key: str) -> tuple[str | None, str]:
    """(p-code, method) for one name key: exact within parent, exact in country, then fuzzy."""
    for scope in dict.fromkeys([parent, None]):
        keys, codes = _pool(iso3, level, scope)
        exact = {c for k, c in zip(keys, codes, strict=True) if k == key}
        if len(exact) == 1:
            return exact.pop(), "name"
    keys, codes = _pool(iso3, level, parent)
    # Whole-name similarity first; inside a known parent also partial (truncated) names.
    scorers = [fuzz.token_sort_ratio] + ([fuzz.token_set_ratio] if parent is not None else [])
    for scorer in scorers:
        hits = process.extract(key, keys, scorer=scorer, limit=2, score_cutoff=FUZZY_CUTOFF)
        if hits and (len(hits) == 1 or hits[0][1] - hits[1][1] >= FUZZY_MARGIN):
            return codes[hits[0][2]], "fuzzy"
    return None, "unresolved"


def _by_name(iso3: pd.Series, name: pd.Series, parent: pd.Series, level: int) -> pd.DataFrame:
    """Name matches for rows whose code did not resolve: one lookup per distinct name."""
    keys = pd.DataFrame({"iso3": iso3, "parent": parent, "key": name_keys(name)})
    keys = keys.astype(object).where(keys.notna(), None)
    wanted = keys.dropna(subset=["iso3", "key"])
    found = {
        row: match_name(row[0], level, row[1], row[2])
        for row in set(wanted.itertuples(index=False, name=None))
    }
    rows = keys.itertuples(index=False, name=None)
    pairs = [found.get(row, (None, "unresolved")) for row in rows]
    return pd.DataFrame(pairs, columns=["pcode", "method"], index=iso3.index).astype("string")


def _resolve_level(
    df: pd.DataFrame, iso3: pd.Series, level: int, parent: pd.Series
) -> pd.DataFrame:
    """Per row: the gazetteer p-code of one admin level and how it was found (NA: no info)."""
    pcode, name = df[f"admin{level}_pcode"], df[f"admin{level}_name"]
    units = _units()
    repaired = repair_pcode(pcode, iso3)
    same_country = repaired.map(units["iso3"].where(units["level"] == level)) == iso3
    by_code = repaired.where(same_country.fillna(False).astype(bool))
    as_given = by_code == pcode.astype("string").str.strip().str.upper()
    method = pd.Series(pd.NA, index=df.index, dtype="string")
    method = method.mask(by_code.notna(), "repaired_code").mask(as_given.fillna(False), "code")
    todo = by_code.isna() & name.notna()
    named = _by_name(iso3[todo], name[todo], parent[todo], level)
    out = pd.DataFrame({"pcode": by_code, "method": method})
    out.loc[todo, ["pcode", "method"]] = named[["pcode", "method"]]
    has_info = pcode.notna() | name.notna()
    out["method"] = out["method"].mask(has_info & out["method"].isna(), "unresolved")
    return out


def _admin_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The admin columns, present or all-NA, as strings ('' and 'Not available' become NA)."""
    absent = pd.Series(pd.NA, index=df.index)
    out = pd.DataFrame({c: df[c] if c in df.columns else absent for c in ADMIN_COLUMNS})
    out = out.astype("string")
    out = out.apply(lambda s: s.str.strip())
    return out.mask(out.isin(["", "Not available", "N/A"]))


def resolve_admin(df: pd.DataFrame) -> pd.DataFrame:
    """Admin 1/2 p-codes and names set from the gazetteer: by code (repaired), name, then fuzzy.

    Rows that do not resolve keep the provider's codes and names; replaced provider values and
    the match method (when not a plain code match) are kept in `extra`.
    """
    return resolve_and_count(df)[0]


def resolve_and_count(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """`resolve_admin`, and how many rows still name an admin unit the gazetteer lacks.

    Each distinct place is resolved once, however many rows name it.
    """
    if df.empty:
        return df, 0
    resolved = per_distinct(resolve_distinct, _admin_frame(df).assign(iso3=df["iso3"]))
    out = df.copy()
    for column in ADMIN_COLUMNS:
        out[column] = resolved[column]
    notes = resolved.drop(columns=[*ADMIN_COLUMNS, "unresolved"])
    existing = out["extra"] if "extra" in out.columns else pd.Series(None, index=out.index)
    out["extra"] = extra.merge(existing, notes)
    return with_country_names(out), int(resolved["unresolved"].sum())


def resolve_distinct(given: pd.DataFrame) -> pd.DataFrame:
    """Per row of `given` (iso3 and the admin columns as a transform wrote them): the resolved
    admin columns, the notes for `extra` (provider values replaced, `admin_match`) and whether
    it still names an admin unit the gazetteer lacks. Row-wise: call it on distinct rows."""
    keys = _admin_frame(given)
    keys["iso3"] = given["iso3"].astype("string").str.strip().str.upper()
    return _resolve(keys)


@cache
def country_names() -> dict[str, str]:
    """ISO3 (and IDMC territory code) -> the gazetteer's name of the country."""
    territories = idmc_territories()
    names = dict(zip(territories["iso3"], territories["idmc_short_name"], strict=True))
    names.update(zip(countries()["iso3"], countries()["name"], strict=True))
    return names


def with_country_names(df: pd.DataFrame) -> pd.DataFrame:
    """Country rows (admin level 0) named by the gazetteer, whatever the kind wrote there
    (`AFG`, `Afghanistan`, nothing); a different provider name is kept in `extra`."""
    if "place_name" not in df.columns or "admin_level" not in df.columns:
        return df
    iso3 = df["iso3"].astype("string").str.strip().str.upper()
    named = iso3.map(country_names()).astype("string")
    given = df["place_name"].astype("string")
    country = (df["admin_level"] == 0) & named.notna()
    out = df.copy()
    out["place_name"] = given.mask(country, named)
    differs = country & given.notna() & (given != named)
    notes = pd.DataFrame({"provider_place_name": given.where(differs.fillna(False))})
    if differs.any():
        out["extra"] = extra.merge(out["extra"], notes)
    return out


def _resolve(keys: pd.DataFrame) -> pd.DataFrame:
    """Resolved admin columns and the notes for `extra`, for distinct (admin…, iso3) rows."""
    iso3 = keys["iso3"]
    none = pd.Series(pd.NA, index=keys.index, dtype="string")
    a1 = _resolve_level(keys, iso3, 1, none)
    a2 = _resolve_level(keys, iso3, 2, a1["pcode"])
    from_child = a2["pcode"].map(_units()["parent_pcode"])
    a1["method"] = a1["method"].mask(from_child.notna() & a1["pcode"].isna(), a2["method"])
    a1["pcode"] = from_child.fillna(a1["pcode"])
    return _apply(keys, {1: a1, 2: a2})


def _apply(admin: pd.DataFrame, levels: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Resolved codes and names; provider values replaced and the match method as notes."""
    names = _units()["name"]
    out: dict[str, pd.Series] = {}
    notes: dict[str, pd.Series] = {}
    for level, res in levels.items():
        pc, nm = f"admin{level}_pcode", f"admin{level}_name"
        hit = res["pcode"].notna()
        code = res["pcode"].where(hit, admin[pc])
        name = res["pcode"].map(names).astype("string").where(hit, admin[nm])
        notes[f"provider_{pc}"] = admin[pc].where(hit & (admin[pc] != code))
        notes[f"provider_{nm}"] = admin[nm].where(hit & (admin[nm] != name))
        out[pc], out[nm] = code, name
    order = {m: i for i, m in enumerate(METHODS)}
    rank = pd.concat([r["method"].map(order) for r in levels.values()], axis=1).max(axis=1)
    worst = rank.map(lambda i: None if pd.isna(i) or i == 0 else METHODS[int(i)])
    notes["admin_match"] = worst.astype("string")
    admin_out = pd.DataFrame({c: out[c] for c in ADMIN_COLUMNS})
    return admin_out.assign(**notes, unresolved=_unresolved(_admin_frame(admin_out)))


def unresolved_admin(df: pd.DataFrame) -> pd.Series:
    """Rows naming an admin unit whose deepest named level has no gazetteer p-code."""
    if df.empty:
        return pd.Series(False, index=df.index)
    return per_distinct(_unresolved, _admin_frame(df))


def _unresolved(admin: pd.DataFrame) -> pd.Series:
    has1 = admin["admin1_pcode"].notna() | admin["admin1_name"].notna()
    has2 = admin["admin2_pcode"].notna() | admin["admin2_name"].notna()
    ok1, ok2 = (_known(admin[f"admin{n}_pcode"]) for n in (1, 2))
    return ((has2 & ~ok2) | (~has2 & has1 & ~ok1)).astype(bool)


def _known(pcodes: pd.Series) -> pd.Series:
    """True where a p-code is in the gazetteer."""
    known = _known_pcodes()
    return pd.Series([v in known for v in pcodes.fillna("")], index=pcodes.index, dtype=bool)


@cache
def _known_pcodes() -> frozenset[str]:
    return frozenset(_units()["pcode"])
