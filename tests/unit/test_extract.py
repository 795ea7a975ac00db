"""Fact extraction: the seed article, the figure grammar, and each error class met on real text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from transforms.extract import extract
from transforms.extract.facts import read_article
from transforms.extract.numbers import figures
from transforms.extract.textfix import repair

SEED = Path(__file__).resolve().parents[2] / "data" / "samples" / "articles" / "walikale.txt"


def first(text: str, published: date | None = None):
    found = extract(text, published)
    assert found, f"no fact in {text!r}"
    return found[0]


def test_seed_article_national_figure_is_country_level_not_walikale() -> None:
    fact = first(SEED.read_text())
    assert (fact.figure, fact.unit, fact.term, fact.qualifier) == (
        7_000_000, "people", "displaced", "more_than",
    )  # fmt: skip
    assert "displacing over 7 million individuals" in fact.sentence
    # The clause names no place and the sentence only "eastern Congo": a country-level figure.
    assert (fact.iso3, fact.place_name, fact.admin2_pcode, fact.admin1_pcode) == (
        "COD", "eastern Congo", None, None,
    )  # fmt: skip
    assert 0 < fact.confidence < 0.95


def test_seed_article_is_about_walikale_most() -> None:
    _, about = read_article(SEED.read_text())
    top = about[0]
    assert (top.place_name, top.iso3, top.admin1_pcode, top.admin2_pcode) == (
        "Walikale", "COD", "CD61", "CD6104",
    )  # fmt: skip
    assert top.mentions > max(p.mentions for p in about[1:])
    assert "Walikale" in top.first_sentence
    assert {"Goma", "Bukavu"} <= {p.place_name for p in about}


def test_a_figure_takes_the_place_of_its_own_clause() -> None:
    text = (
        "Some 1,200 people are staying with host families in Kiwanja, while about 3,400 "
        "households have gathered in schools in Masisi territory."
    )
    by_figure = {f.figure: f for f in extract(text)}
    assert by_figure[3_400].place_name == "Masisi"
    assert by_figure[3_400].admin2_pcode is not None
    assert by_figure[1_200].place_name == "Kiwanja"


def test_a_town_is_resolved_by_the_state_named_beside_it() -> None:
    fact = first("Some 3,000 people fled to Bor, Jonglei state, after the attack.")
    assert (fact.iso3, fact.place_name) == ("SSD", "Bor")


def test_the_title_gives_the_country_of_a_sentence_naming_none() -> None:
    text = "A total of 1,964 households were displaced."
    assert first(text).iso3 is None
    fact = extract(text, title="Floods in Rio Grande do Sul, Brazil")[0]
    assert fact.iso3 == "BRA"
    assert extract(text, url="https://example.org/news/brazil-floods-2017")[0].iso3 == "BRA"


def test_a_province_of_a_country_outside_the_ocha_gazetteer_gives_its_country() -> None:
    fact = first("In Jammu and Kashmir, more than 1,500 people were displaced by shelling.")
    assert fact.iso3 == "IND"


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        (
            "Près de 12 000 personnes ont fui les violences autour de Bunia.",
            "fr",
            ("COD", 12_000, "people", "forced_to_flee", "approximately"),
        ),
        (
            "Plus de 1,2 million de personnes sont déplacées au Nord-Kivu.",
            "fr",
            ("COD", 1_200_000, "people", "displaced", "more_than"),
        ),
        (
            "Des milliers de familles ont été évacuées à Goma.",
            "fr",
            ("COD", 1_000, "households", "evacuated", "more_than"),
        ),
        (
            "Más de 3 000 familias fueron evacuadas en Colombia.",
            "es",
            ("COL", 3_000, "households", "evacuated", "more_than"),
        ),
    ],
)
def test_french_and_spanish(text: str, language: str, want: tuple[object, ...]) -> None:
    fact = extract(text, language=language)[0]
    assert (fact.iso3, fact.figure, fact.unit, fact.term, fact.qualifier) == want


def test_romance_vague_words_are_not_figures_in_english() -> None:
    assert extract("Residents fled miles away from Goma.", language="en") == []


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("over 7 million", 7_000_000, "more_than"),
        ("some 300,000", 300_000, "approximately"),
        ("1,200 families", 1_200, "exact"),
        ("tens of thousands of people", 10_000, "more_than"),
        ("1.2m people", 1_200_000, "exact"),
        ("Between 2,000 and 4,000 newly displaced", 4_000, "up_to"),
        ("between one to 1.5 million people", 1_500_000, "up_to"),
        ("at least140,000 people", 140_000, "more_than"),  # PDF text without spaces
        ("IDPs total 122 387", 122_387, "exact"),
        ("61, 000 people", 61_000, "exact"),
        ("2.14 lakh people", 214_000, "exact"),
        ("two million people", 2_000_000, "exact"),
        ("up to 30,000 homes", 30_000, "up_to"),
    ],
)
def test_figure_grammar(text: str, value: int, qualifier: str) -> None:
    [fig] = figures(text)
    assert (fig.value, fig.qualifier) == (value, qualifier)


@pytest.mark.parametrize("text", ["between 7 and 14 March", "in 2015", "M23 rebels", "6.5 quake"])
def test_dates_years_and_names_are_not_figures(text: str) -> None:
    assert figures(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Fighting killed 45 people and injured 120 in Goma.",
        "The floods left 12 people dead in Bukavu.",
        "Donors pledged $300,000 for displaced families in Goma.",
        "A convoy carried 300 tonnes of food to displaced people in Goma.",
        "In 2012 violence displaced people across Rakhine.",
        "About 63 per cent of the displaced people were women.",
        "Some 700 villages were flooded and people were evacuated.",
        "The camp is 75 kilometres from the displaced people's homes.",
    ],
)
def test_deaths_money_tonnes_years_percentages_are_not_facts(text: str) -> None:
    assert extract(text) == []


def test_households_are_a_unit_of_their_own_and_come_first() -> None:
    fact = first(
        "About 2,400 families (8,200 people) were displaced by floods in Sistan and "
        "Baluchestan province in late January."
    )
    assert (fact.figure, fact.unit, fact.term, fact.iso3) == (
        2_400,
        "households",
        "displaced",
        "IRN",
    )


def test_housing_figures_need_a_housing_term() -> None:
    fact = first("More than 2,000 houses were damaged in Goma.")
    assert (fact.figure, fact.unit, fact.term) == (
        2_000,
        "households",
        "partially_destroyed_housing",
    )
    assert first("Up to 30,000 homes may have been destroyed.").term == "destroyed_housing"
    assert extract("Nine houses on the atoll were flooded.") == []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("More than 11,000 people fled from Kamandi lake in Lubero territory.", "forced_to_flee"),
        ("About 14,000 people were evacuated from the town.", "evacuated"),
        ("1,900 people were still in nine evacuation centres.", "sheltered"),
        ("Some 195,000 Iraqis live in 21 camps around Mosul.", "in_relief_camp"),
        ("About 240 people were relocated to collective centres.", "relocated"),
        ("Around 2,000 people were made homeless by flooding.", "homeless"),
        ("Some 2,500 families returned to Beledweyne.", "returned"),
        ("The attack prevented the distribution of food aid to 1,500 IDPs.", "displaced"),
    ],
)
def test_reporting_terms(text: str, term: str) -> None:
    assert first(text).term == term


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("Fighting displaced 5,000 people in eastern Congo.", "COD"),
        ("Fighting displaced 5,000 people in DR Congo.", "COD"),
        ("Fighting in the DRC displaced 5,000 people.", "COD"),
        ("Floods displaced 5,000 people in Congo.", "COD"),
        ("Floods displaced 5,000 people in the Republic of Congo.", "COG"),
        ("Floods displaced 5,000 people in Congo-Brazzaville.", "COG"),
    ],
)
def test_congo_is_drc_unless_the_text_says_brazzaville(text: str, iso3: str) -> None:
    assert first(text).iso3 == iso3


def test_places_resolve_to_pcodes_in_the_articles_country() -> None:
    goma = first("Some 4,000 people were displaced in Goma, North Kivu, DR Congo.")
    assert (goma.admin2_pcode, goma.admin1_pcode) == ("CD6101", "CD61")
    bukavu = first("About 3,000 people fled to Bukavu.")
    assert (bukavu.iso3, bukavu.admin2_pcode) == ("COD", "CD6201")


def test_an_organisation_named_after_a_country_does_not_locate_the_fact() -> None:
    fact = first(
        "More than 35,000 were displaced because of fighting between government forces and "
        "Islamic State in Iraq and the Levant (ISIL) and the Syrian Democratic Forces."
    )
    assert fact.iso3 == "SYR"
    assert fact.place_name != "Iraq"


def test_pdf_mojibake_is_repaired() -> None:
    assert repair("displaced Š—“in mass displacementŠ—� events in Choc’_") == (
        "displaced “in mass displacement” events in Chocó"
    )
    assert first("More than 100,000 people fled their homes in Kasa’À province.").iso3 == "COD"


def test_event_date_is_resolved_against_the_publication_date() -> None:
    assert first("Some 4,000 people fled Goma on Sunday.", date(2025, 3, 26)).event_date == date(
        2025, 3, 23
    )
    assert first("About 6,000 people were displaced in January 2017.").event_date == date(
        2017, 1, 1
    )
    assert first("Some 4,000 people fled Goma on Sunday.").event_date is None  # no base date


def test_a_headline_repeating_the_lead_is_one_fact() -> None:
    found = extract("4,000 people displaced in Goma\n\nAbout 4,000 people were displaced in Goma.")
    assert [(f.figure, f.term) for f in found] == [(4_000, "displaced")]


def test_a_text_with_no_displacement_gives_nothing() -> None:
    assert extract("The council met on Tuesday to discuss the budget.") == []
    assert extract("") == []


@pytest.mark.parametrize(
    ("text", "place", "iso3"),
    [
        ("About 44,000 people were displaced in Taiz governorate.", "Taiz", "YEM"),
        (
            "About 14,000 people were evacuated from San Jose after heavy rain filled "
            "Anderson reservoir.",
            "San Jose",
            "USA",
        ),
        (
            "In West Java province, about 1,800 people were evacuated to shelters in Bandung "
            "district.",
            "West Java",
            "IDN",
        ),
        ("More than 11,000 people fled from Kamandi lake in Lubero territory.", "Kamandi", "COD"),
    ],
)
def test_the_first_place_of_the_sentence_locates_the_fact(text: str, place: str, iso3: str) -> None:
    fact = first(text)
    assert (fact.place_name, fact.iso3) == (place, iso3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A fire forced 2,500 people out of their homes.", (2_500, "people", "forced_to_flee")),
        ("29,739 People lost\ntheir homes (ONEMI)", (29_739, "people", "homeless")),
        ("Completely destroyed housing: 146", (146, "households", "destroyed_housing")),
        (
            "About 7,000 fami-lies (about 42,000 people) were newly displaced.",
            (7_000, "households", "displaced"),
        ),
        (
            "Among the hundreds of thousands of people displaced, at least 175,500 are staying "
            "in temporary shelters.",
            (175_500, "people", "sheltered"),
        ),
    ],
)
def test_error_classes_of_pdf_and_report_text(text: str, expected: tuple[int, str, str]) -> None:
    fact = first(text)
    assert (fact.figure, fact.unit, fact.term) == expected


def test_towns_named_like_ordinary_words_are_not_places() -> None:
    fact = first("About 66,000 people were displaced from Kunduz. Most fled to Kabul.")
    assert (fact.iso3, fact.place_name) == ("AFG", "Kunduz")
    assert extract("Most of the 2,000 people displaced returned.")[0].iso3 is None


def test_regions_and_islands_outside_the_gazetteer_give_the_country() -> None:
    assert first("At least 15,000 people were displaced on Java island.").iso3 == "IDN"
    assert first("Some 12,000 people fled fighting in Tigray.").iso3 == "ETH"


def test_a_person_after_a_title_is_not_a_town() -> None:
    fact = first("Prime Minister Perry Christie said an estimated 836 homes were destroyed.")
    assert (fact.iso3, fact.place_name) == (None, None)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Nearly 5,000 people have sought safety in villages in Ituri.", (5_000, "forced_to_flee")),
        ("Over 1,000 people abandoned their homes in Djibo.", (1_000, "forced_to_flee")),
        ("About 9,000 people were moved to evacuation centres in Albay.", (9_000, "sheltered")),
        ("About 2,500 people have moved in with relatives in Kaya.", (2_500, "sheltered")),
        ("The number of displaced people reached 45,000 in Cabo Delgado.", (45_000, "displaced")),
        ("Some 6,000 people were affected and 2,000 displaced in Hiraan.", (2_000, "displaced")),
    ],
)
def test_more_reporting_phrasings(text: str, want: tuple[int, str]) -> None:
    fact = first(text)
    assert (fact.figure, fact.term) == want


def test_a_dateline_is_context_not_the_place_of_the_first_figure() -> None:
    fact = first(
        "JUBA, South Sudan (Reuters) - About 800 people were displaced in Bor after clashes."
    )
    assert (fact.iso3, fact.place_name) == ("SSD", "Bor")


def test_the_title_resolves_a_town_with_namesakes_in_other_countries() -> None:
    text = "Plus de 3 000 ménages ont été déplacés vers Kaya, selon les autorités."
    fact = extract(text, language="fr", title="Burkina : afflux de déplacés à Kaya")[0]
    assert (fact.iso3, fact.place_name, fact.figure, fact.unit) == (
        "BFA",
        "Kaya",
        3_000,
        "households",
    )


def test_without_context_a_large_town_beats_a_small_units_namesake() -> None:
    assert first("Some 2,000 people fled Kaya after the attack.").iso3 == "BFA"
    # ... and the article's country decides when it names one
    assert extract("Some 2,000 people fled Kaya, in Chad's Lac province.")[0].iso3 == "TCD"


def test_extraction_repairs_mojibake_as_the_rest_of_sitrep_does() -> None:
    # UTF-8 read as cp1252, with a decomposed accent: re-decoded, then composed.
    broken = "More than 7,000 people fled the rÃ©gion of Goma â€“ eÌ\x81"
    assert repair(broken) == "More than 7,000 people fled the région of Goma – \u00e9"
    assert repair("Plain text, Chocó – untouched") == "Plain text, Chocó – untouched"
