"""One description per live API: its credential and hosts are read from it, nowhere else."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from flows import hosts, http, live_api
from flows.settings import Settings
from flows.sources import registry

APIS = {name: kind.live for name, kind in sorted(registry().items()) if kind.live is not None}


@pytest.mark.parametrize("kind", sorted(k for k, api in APIS.items() if api.credential))
def test_each_credential_is_a_secret_setting(kind: str) -> None:
    credential = APIS[kind].credential
    assert credential is not None
    field = Settings.model_fields.get(credential.setting)
    assert field is not None, f"{kind}: no setting {credential.setting}"
    assert field.annotation == SecretStr | None, f"{kind}: {credential.setting} is not secret"


def test_each_live_api_names_its_provider_hosts() -> None:
    declared = {host for api in APIS.values() for host in api.hosts}
    # every provider host the allow-list named before it was read from the descriptions
    providers = {"dtmapi.iom.int", "hapi.humdata.org", "data.humdata.org", "api.reliefweb.int"}
    assert providers | {"helix-tools-api.idmcdb.org", "api.unhcr.org"} <= declared
    assert all(APIS[k].hosts for k in ("dtm", "hapi-idps", "reliefweb", "unhcr", "idmc-idu"))


@pytest.mark.parametrize("kind", sorted(k for k, api in APIS.items() if api.hosts))
def test_a_live_client_allows_its_api_hosts_and_its_locations_only(kind: str) -> None:
    api = APIS[kind]
    client = live_api.api_client(Settings(), ["https://example.org/x.csv"], None, api.hosts)
    with client:
        (guard,) = [h for h in client.event_hooks["request"] if isinstance(h, hosts.HostGuard)]
    assert guard.allowed is not None
    assert sorted(guard.allowed) == sorted({*api.hosts, "example.org"})
    with pytest.raises(hosts.HostRefusedError, match="not an allowed host"):
        guard.check(httpx.URL("https://elsewhere.org/v1"))


def test_the_allowed_hosts_setting_replaces_the_defaults() -> None:
    assert hosts.guard(Settings(allowed_hosts=["a.org"]), [], ["x.org"]).allowed == ["a.org"]
    assert hosts.guard(Settings(), ["data/x.csv"]).allowed == []


def test_a_secret_setting_is_redacted_once_the_settings_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "rw-app-name-5c0ffee1"
    text = f"GET https://api.example.org/v1/reports?id={secret} failed: {secret}"
    assert secret in http.redact(text)  # not a credential sitrep knows of yet
    monkeypatch.setenv("SITREP_RELIEFWEB_APPNAME", secret)
    Settings()
    assert secret not in http.redact(text) and "REDACTED" in http.redact(text)
