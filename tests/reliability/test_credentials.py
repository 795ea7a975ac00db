"""Credentials stay on their host, live hosts are allow-listed, secrets in URLs are redacted.

Against the loopback fake API (tests/reliability/fakeapi.py): two servers on 127.0.0.1 are
two origins (another port), so a redirect from one to the other is a cross-origin redirect.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import pytest

from flows import http
from flows.fetch import FetchError, fetch_location
from flows.hosts import HostGuard, HostRefusedError
from flows.settings import Settings, SourceConfig
from flows.sources import get_kind
from reliability.fakeapi import FakeApi, body, echo, fake_api, huge, redirect, slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
REDIRECTS = (301, 302, 303, 307, 308)
SECRETS = {
    "dtm": "dtm-key-5e1f0c2a",
    "hapi-idps": "hapi-app-93b7d4e1",
    "idmc-idu": "idmc-client-0a8c6f",
    "idmc-gidd": "idmc-client-0a8c6f",
    "reliefweb": "rw-appname-7d20b9",
}


@dataclass(frozen=True)
class Live:
    """How one credentialed kind reads its live API: the route asked first, the location."""

    kind: str
    route: str
    location: str
    params: dict[str, object]


LIVE = {
    "dtm": Live("dtm", "/v3/displacement/admin0", "/v3/displacement",
                {"countries": ["TCD"], "admin_levels": [0]}),
    "hapi-idps": Live("hapi-idps", "/api/v2/affected-people/idps",
                      "/api/v2/affected-people/idps", {"location_codes": ["HTI"], "page_size": 5}),
    "idmc-idu": Live("idmc-idu", "/external-api/idus/last-180-days/",
                     "/external-api/idus/last-180-days/", {}),
    "idmc-gidd": Live("idmc-gidd", "/external-api/gidd/conflicts/",
                      "/external-api/gidd/conflicts/?format=json&limit=100", {}),
    "reliefweb": Live("reliefweb", "/v1/reports", "/v1/reports", {"countries": ["COD"]}),
}  # fmt: skip


def settings_for(home: Path, **extra: object) -> Settings:
    """Settings with every credential set, fast HTTP and the loopback host allowed."""
    values: dict[str, object] = {
        "home": home,
        "dtm_subscription_key": SECRETS["dtm"],
        "hapi_app_identifier": SECRETS["hapi-idps"],
        "idmc_client_id": SECRETS["idmc-idu"],
        "reliefweb_appname": SECRETS["reliefweb"],
        "http_retries": 0,
        "http_timeout": 2.0,
        "allowed_hosts": ["127.0.0.1"],
    }
    return Settings(**{**values, **extra})  # type: ignore[arg-type]


def files_holding(folder: Path, needles: list[str]) -> list[str]:
    """Files under `folder` whose bytes hold a needle (as UTF-8 or UTF-16)."""
    encoded = [n.encode(e) for n in needles for e in ("utf-8", "utf-16-le")]
    return [
        str(p)
        for p in folder.rglob("*")
        if p.is_file() and any(e in p.read_bytes() for e in encoded)
    ]


@pytest.fixture
def two_origins() -> Iterator[tuple[FakeApi, FakeApi]]:
    """The configured API (origin A) and another origin (B, another port) that echoes."""
    with fake_api() as a, fake_api({"/echo": echo}) as b:
        yield a, b


def carry_query(target: str) -> object:
    """A Location to `target` with the request's own query carried on (client_id included)."""
    return lambda seen: f"{target}?{urlsplit(seen.path).query}"


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("kind", sorted(LIVE))
def test_no_credential_follows_a_redirect_to_another_origin(
    two_origins: tuple[FakeApi, FakeApi], tmp_path: Path, kind: str, status: int
) -> None:
    a, b = two_origins
    live = LIVE[kind]
    a.routes[live.route] = redirect(status, carry_query(f"{b.base_url}/echo"))  # type: ignore[arg-type]
    source = SourceConfig(name=kind, kind=kind, location=[a.base_url + live.location],
                          params=live.params)  # fmt: skip
    settings = settings_for(tmp_path / "home")
    raws = get_kind(kind).fetch(source, settings)
    secret = SECRETS[kind]
    assert secret in a.sent()  # the configured origin got the credential ...
    assert b.seen and secret not in b.sent()  # ... the other one, redirected to, did not
    assert raws and files_holding(tmp_path, [secret]) == []


@pytest.mark.parametrize("kind", sorted(LIVE))
def test_an_api_echoing_its_credential_is_stored_redacted(tmp_path: Path, kind: str) -> None:
    live = LIVE[kind]
    with fake_api({live.route: echo}) as api:
        source = SourceConfig(name=kind, kind=kind, location=[api.base_url + live.location],
                              params=live.params)  # fmt: skip
        raws = get_kind(kind).fetch(source, settings_for(tmp_path / "home"))
    assert SECRETS[kind] in api.sent()
    assert raws and files_holding(tmp_path, [SECRETS[kind]]) == []
    assert any(b"REDACTED" in raw.read() for raw in raws)


def test_a_next_link_to_another_origin_gets_no_client_id(
    two_origins: tuple[FakeApi, FakeApi], tmp_path: Path
) -> None:
    a, b = two_origins
    page = f'{{"results": [], "next": "{b.base_url}/echo?client_id=&page=2"}}'.encode()
    a.routes["/external-api/gidd/conflicts/"] = body(page)
    source = SourceConfig(name="g", kind="idmc-gidd",
                          location=[f"{a.base_url}/external-api/gidd/conflicts/"])  # fmt: skip
    get_kind("idmc-gidd").fetch(source, settings_for(tmp_path / "home"))
    assert SECRETS["idmc-gidd"] in a.sent()
    assert b.seen and SECRETS["idmc-gidd"] not in b.sent()


def test_a_loopback_location_is_refused_unless_allowed(tmp_path: Path) -> None:
    with fake_api({"/admin": body(b'{"admin": true}')}) as api:
        url = f"{api.base_url}/admin?token=tok-9a7c1e"
        with pytest.raises(HostRefusedError) as refused:
            fetch_location(url, tmp_path, settings=Settings(home=tmp_path))
        assert api.seen == []  # refused before connecting
        allowed = Settings(home=tmp_path, allowed_hosts=["127.0.0.1"])
        assert fetch_location(url, tmp_path, settings=allowed).read() == b'{"admin": true}'
    message = str(refused.value)
    assert "SITREP_ALLOWED_HOSTS" in message and "loopback" in message
    assert "/admin?token=REDACTED" in message and "tok-9a7c1e" not in message


def test_a_name_resolving_to_loopback_is_loopback(tmp_path: Path) -> None:
    with fake_api({"/x": body(b"{}")}) as api:
        port = urlsplit(api.base_url).port
        with pytest.raises(HostRefusedError, match="host localhost resolves to"):
            fetch_location(f"http://localhost:{port}/x", tmp_path, settings=Settings(home=tmp_path))
        assert api.seen == []


def test_a_host_off_the_allow_list_is_refused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, allowed_hosts=["127.0.0.1"])
    with pytest.raises(HostRefusedError, match="not an allowed host; add it to SITREP_ALLOWED"):
        fetch_location("http://169.254.169.254/latest/meta-data/", tmp_path, settings=settings)


@pytest.mark.parametrize("status", REDIRECTS)
def test_every_redirect_hop_is_checked(
    two_origins: tuple[FakeApi, FakeApi], tmp_path: Path, status: int
) -> None:
    a, b = two_origins
    port = urlsplit(b.base_url).port
    a.routes["/data.json"] = redirect(status, lambda seen: f"http://localhost:{port}/echo")
    # Off the allow-list: refused by name.
    with pytest.raises(HostRefusedError, match="host localhost is not an allowed host"):
        fetch_location(f"{a.base_url}/data.json", tmp_path, settings=settings_for(tmp_path))
    # On the allow-list but not named explicitly: refused because it resolves to loopback.
    guard = HostGuard(allowed=["127.0.0.1", "localhost"], explicit=["127.0.0.1"])
    with http.client(2.0, check=guard) as client, pytest.raises(HostRefusedError, match="loopback"):
        http.get(client, f"{a.base_url}/data.json", retries=0)
    assert len(a.seen) == 2 and b.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://0.0.0.0/",
        "http://127.1/",
        "http://2130706433/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
    ],
)
def test_non_public_addresses_in_any_spelling_are_refused(url: str) -> None:
    with pytest.raises(HostRefusedError, match="loopback, link-local or private"):
        HostGuard(allowed=None, explicit=["127.0.0.1"]).check(httpx.URL(url))


def test_allowed_hosts_setting_takes_a_list_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", "127.0.0.1, *.example.org")
    assert Settings().allowed_hosts == ["127.0.0.1", "*.example.org"]
    monkeypatch.setenv("SITREP_ALLOWED_HOSTS", '["api.example.org"]')
    assert Settings().allowed_hosts == ["api.example.org"]
    guard = HostGuard(allowed=["*.example.org"], explicit=[])
    with pytest.raises(HostRefusedError):
        guard.check(httpx.URL("https://example.org.evil.net/"))


def test_a_slow_api_fails_with_the_url_redacted(tmp_path: Path) -> None:
    with fake_api({"/slow": slow(3.0)}) as api:
        url = f"{api.base_url}/slow?key=key-6f1d2b"
        settings = settings_for(tmp_path, http_timeout=0.3)
        with pytest.raises(FetchError) as failed:
            fetch_location(url, tmp_path, settings=settings)
    assert "Timeout" in str(failed.value) and "key=REDACTED" in str(failed.value)
    assert "key-6f1d2b" not in str(failed.value)


def test_a_huge_api_answer_is_cut_at_the_limit_with_the_url_redacted(tmp_path: Path) -> None:
    with fake_api({"/huge": huge()}) as api:
        url = f"{api.base_url}/huge?sig=sig-1c9e7a"
        settings = settings_for(tmp_path, max_input_bytes=2**20)
        with pytest.raises(FetchError, match=r"sig=REDACTED: response body over the limit"):
            fetch_location(url, tmp_path, settings=settings)
    assert not list((tmp_path / "raw").glob("??/*"))


@pytest.mark.parametrize(
    "text, secret",
    [
        ("http://user:pa55-w0rd@h.example/x", "pa55-w0rd"),
        ("see https://h.example/f?sig=abc%2Fdef&sv=2024", "abc%2Fdef"),
        ("https://b.s3.example/k?X-Amz-Signature=f00dcafe&X-Amz-Date=1", "f00dcafe"),
        ("GET /v1?token=t0k3n-value&limit=1", "t0k3n-value"),
        ("https://h.example/a?key=k3y-value: HTTP 404", "k3y-value"),
        ('{"client_id": "c1ient-value", "limit": 100}', "c1ient-value"),
        ("Ocp-Apim-Subscription-Key: 0cp-key-value\nHost: x", "0cp-key-value"),
        ("{'x-hdx-hapi-app-identifier': 'hapi-value'}", "hapi-value"),
        ("Authorization: Bearer beare-token", "beare-token"),
        ("access_token=at-value&apikey=ak-value", "at-value"),
    ],
)
def test_redact_removes_credentials_from_any_text(text: str, secret: str) -> None:
    assert secret not in http.redact(text)
    assert "REDACTED" in http.redact(text)


def test_redact_leaves_ordinary_text_and_urls_alone() -> None:
    for text in [
        "KeyError: 'data'",
        "http://127.0.0.1:8/v3/displacement/admin0?Admin0Pcode=HTI",
        "dtm.json row 3 field figure: not a number ('12x')",
    ]:
        assert http.redact(text) == text


SIGNED = {
    "pass": "pa55word-4c1d",
    "sig": "sig-secret-8e2f",
    "amz": "amz-secret-1b7a",
    "token": "token-secret-5d93",
    "key": "key-secret-07c6",
}


def signed(base: str, path: str) -> str:
    """A URL carrying a secret in every usual place: user info and query values."""
    port = urlsplit(base).port
    return (
        f"http://reader:{SIGNED['pass']}@127.0.0.1:{port}{path}?sig={SIGNED['sig']}"
        f"&X-Amz-Signature={SIGNED['amz']}&token={SIGNED['token']}&key={SIGNED['key']}&v=1"
    )


def prefect_database() -> list[Path]:
    """The Prefect API's SQLite files (database and write-ahead log), logs flushed first."""
    import prefect.settings
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    url = str(prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    db = Path(url.split("///", 1)[1])
    return [p for p in db.parent.glob(db.name + "*") if p.is_file()]


@pytest.mark.reliability  # about 35 s: a whole `sitrep run` of three sources
def test_no_secret_in_a_url_is_written_anywhere_after_a_whole_run(
    prefect_api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    dtm = (SAMPLES / "dtm" / "displacement-admin0-tcd.json").read_bytes()
    routes = {
        "/dtm.json": body(dtm),
        "/maintenance.json": body(b"<html><body>Maintenance</body></html>"),
    }
    home = tmp_path / "home"
    with fake_api(routes) as api:
        config = tmp_path / "sitrep.toml"
        sources = [("signed", "/dtm.json"), ("html", "/maintenance.json"), ("gone", "/gone.json")]
        locations = [(name, signed(api.base_url, path)) for name, path in sources]
        # An SSRF attempt: a name for loopback, not in SITREP_ALLOWED_HOSTS.
        locations.append(
            ("admin", signed(api.base_url, "/admin").replace("127.0.0.1", "localhost"))
        )
        config.write_text(
            "".join(
                f'[[sources]]\nname = "{name}"\nkind = "dtm"\nlocation = "{location}"\n'
                for name, location in locations
            )
        )
        for key, value in {
            "SITREP_HOME": str(home),
            "SITREP_ALLOWED_HOSTS": "127.0.0.1",
            "SITREP_HTTP_RETRIES": "0",
            "SITREP_HTTP_TIMEOUT": "5",
        }.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(app, ["run", "--config", str(config)])
        out, err = capfd.readouterr()
    printed = result.stdout + result.stderr + out + err
    assert result.exit_code == 1, printed[-3000:]
    assert f"sig={SIGNED['sig']}" in api.sent()  # the real URL was fetched
    assert "HTTP 404" in printed and "token=REDACTED" in printed
    assert "host localhost is not an allowed host" in printed
    assert not any(seen.path.startswith("/admin") for seen in api.seen)
    needles = list(SIGNED.values())
    assert [n for n in needles if n in printed] == []
    assert files_holding(home, needles) == []
    assert files_holding(Path(os.environ["PREFECT_HOME"]), needles) == []
    database = b"".join(p.read_bytes() for p in prefect_database())
    assert b"sig=REDACTED" in database  # the flow parameters, as Prefect keeps them
    assert [n for n in needles if n.encode() in database] == []
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        urls = [
            r[0] for r in con.execute("SELECT DISTINCT source_url FROM displacement").fetchall()
        ]
        errors = [
            r[0]
            for r in con.execute("SELECT error FROM load_runs WHERE error IS NOT NULL").fetchall()
        ]
        reasons = [
            r[0] for r in con.execute("SELECT reason || source_url FROM quarantine").fetchall()
        ]
    assert urls and all("REDACTED@127.0.0.1" in u and "sig=REDACTED" in u for u in urls)
    assert len(errors) == 3 and reasons
    assert [t for t in urls + errors + reasons if any(n in t for n in needles)] == []


def test_log_lines_and_their_tracebacks_are_redacted() -> None:
    import flows.pipeline  # noqa: F401  (installs the redaction of log records)

    written = io.StringIO()
    logger = logging.getLogger("sitrep.test.redaction")
    logger.addHandler(handler := logging.StreamHandler(written))
    url = "http://reader:pw-3e9a1c@api.example.org/x?token=tok-77b2d0"
    try:
        raise ValueError(f"could not read {url}")
    except ValueError:
        logger.exception("GET %s failed", url)
    finally:
        logger.removeHandler(handler)
    assert "pw-3e9a1c" not in written.getvalue() and "tok-77b2d0" not in written.getvalue()
    assert "could not read http://REDACTED@api.example.org/x?token=REDACTED" in written.getvalue()
