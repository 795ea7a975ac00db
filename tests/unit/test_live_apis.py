"""One description per live API: its credential and hosts are read from it, nowhere else."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from flows import hosts, http
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


def test_the_default_allow_list_is_the_apis_hosts_and_the_locations() -> None:
    declared = {host for api in APIS.values() for host in api.hosts}
    # every provider host the allow-list named before it was read from the descriptions
    providers = {"dtmapi.iom.int", "hapi.humdata.org", "data.humdata.org", "api.reliefweb.int"}
    assert providers | {"helix-tools-api.idmcdb.org", "api.unhcr.org"} <= declared
    guard = hosts.guard(Settings(), ["https://example.org/file.csv", "data/x.csv"])
    assert guard.allowed is not None
    assert sorted(guard.allowed) == sorted({*declared, "example.org"})
    assert hosts.guard(Settings(allowed_hosts=["a.org"]), []).allowed == ["a.org"]


def test_a_secret_setting_is_redacted_once_the_settings_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "rw-app-name-5c0ffee1"
    text = f"GET https://api.example.org/v1/reports?id={secret} failed: {secret}"
    assert secret in http.redact(text)  # not a credential sitrep knows of yet
    monkeypatch.setenv("SITREP_RELIEFWEB_APPNAME", secret)
    Settings()
    assert secret not in http.redact(text) and "REDACTED" in http.redact(text)
