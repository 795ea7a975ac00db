"""`sitrep report` on the small warehouse: pages, charts, tables, escaping, data quality."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from small_warehouse import article, build, fact, insert
from typer.testing import CliRunner

from flows.cli import app
from flows.settings import Settings
from warehouse.report import report_markdown, write_report

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from screenshot_report import browser, screenshot  # noqa: E402

runner = CliRunner()
HOSTILE_TITLE = '<script>alert("x")</script> Goma & <b>Bukavu</b>'


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The small warehouse plus a hostile article and some quality problems, reported."""
    home = tmp_path_factory.mktemp("report") / "home"
    home.mkdir()
    db = build(home / "warehouse.duckdb")
    with duckdb.connect(str(db)) as con:
        insert(con, "articles", [article("H1", "2024-07-06", HOSTILE_TITLE, url="javascript:x()")])
        insert(con, "article_facts", [fact("H1", 1, 5_000, admin1_pcode="CD62")])
        insert(con, "quarantine", [quarantined(1), quarantined(2)])
        insert(con, "validation_results", [failed_expectation()])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SITREP_HOME", str(home))
        result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    assert f"report: {(home / 'reports' / 'index.html').resolve()}" in result.stdout
    yield home / "reports"


def quarantined(row_no: int) -> dict[str, object]:
    return {
        "load_run_id": "dtm-run0",
        "table": "displacement",
        "row_no": row_no,
        "source": "dtm",
        "source_record_id": f"bad{row_no}",
        "reason": "row 12 field figure: 'n/a' is not a number",
        "record": "{}",
    }


def failed_expectation() -> dict[str, object]:
    return {
        "load_run_id": "dtm-run0",
        "table": "displacement",
        "expectation": "expect_column_values_to_not_be_null",
        "column": "admin1_pcode",
        "success": False,
        "unexpected_count": 3,
        "details": "{}",
    }


def test_a_page_per_country_and_an_overview(reports: Path) -> None:
    names = {p.name for p in reports.iterdir()}
    assert {"index.html", "index.md", "COD.html", "COD.md", "SDN.html", "SDN.md"} <= names
    assert "COD-trend.png" in names and "COD-new-displacement.png" in names
    overview = (reports / "index.html").read_text()
    assert [a["href"] for t, a in tags(overview) if t == "a"] == ["COD.html", "SDN.html"]
    assert "125,000" in overview


def test_country_page_is_self_contained_with_charts_and_tables(reports: Path) -> None:
    html = (reports / "COD.html").read_text()
    found = tags(html)
    images = [a["src"] or "" for t, a in found if t == "img"]
    assert len(images) == 2
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not [t for t, a in found if t in ("script", "link", "iframe")]
    assert sum(t == "table" for t, _ in found) >= 4
    assert "125,000" in html
    assert "source priority: dtm (1) over hapi-cod (2)" in html
    for pcode, name in [("CD61", "Nord-Kivu"), ("CD62", "Sud-Kivu"), ("CD63", "Maniema")]:
        assert f"<td>{pcode}</td><td>{name}</td>" in html
    assert "more than 7,000,000 people" in html
    assert "no official figure for this place" in html
    assert "row 12 field figure: &#39;n/a&#39; is not a number" in html
    assert "expect_column_values_to_not_be_null" in html
    assert "stale" in html


def test_source_strings_stay_text_in_html(reports: Path) -> None:
    html = (reports / "COD.html").read_text()
    assert "<script" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Goma &amp; &lt;b&gt;Bukavu&lt;/b&gt;"
        in html
    )
    hrefs = [a.get("href") or "" for t, a in tags(html) if t == "a"]
    assert "https://news.example.org/A1" in hrefs
    assert not [h for h in hrefs if "javascript" in h.lower()]


def test_markdown_page_links_its_charts_and_escapes(reports: Path) -> None:
    text = (reports / "COD.md").read_text()
    assert "![IDP figures over time](COD-trend.png)" in text
    assert "| CD61 | Nord-Kivu | 80,000 | reported total | — | 2024-06-30 | " in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "(javascript:" not in text


def test_markdown_text_for_an_artifact(reports: Path) -> None:
    db = reports.parent / "warehouse.duckdb"
    overview = report_markdown(db)
    assert (
        "| Democratic Republic of the Congo (COD) | 125,000 | 2024-06-30 **stale** | "
        "reported\\_total | dtm |"
    ) in overview
    page = report_markdown(db, "COD")
    assert page.startswith("# Democratic Republic of the Congo (COD)")
    assert "![" not in page


def test_write_report_returns_the_overview_and_country_pages(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    build(home / "warehouse.duckdb")
    settings = Settings(home=home)
    assert write_report(settings) == settings.reports_dir / "index.html"
    out = tmp_path / "elsewhere"
    assert write_report(settings, "SDN", out) == out / "SDN.html"
    pages = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert pages == ["SDN-trend.png", "SDN.html", "SDN.md"]


def test_unknown_country_is_exit_2(home: Path) -> None:
    home.mkdir(parents=True)
    build(home / "warehouse.duckdb")
    result = runner.invoke(app, ["report", "--country", "XXX"])
    assert result.exit_code == 2
    assert "no data for XXX" in result.stderr


@pytest.mark.skipif(browser() is None, reason="chromium is not installed")
def test_headless_chromium_renders_the_page(reports: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread

    png = screenshot(reports / "COD.html", tmp_path / "COD.png", size="1280,1600")
    pixels = imread(png)
    assert pixels.shape[:2] == (1600, 1280)
    assert pixels.std() > 0.05  # not a blank page
