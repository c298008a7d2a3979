"""`SAFEGUARD_TEMPORAL_TLS__*` into the SDK's TLSConfig; production never talks in plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from safeguard.settings import Settings
from safeguard.temporal import tls_config_for
from safeguard.temporal_tls import PlaintextTemporalError, TemporalTlsSettings
from tests.certificates import Authority
from tests.deploy.code import settings_from


def _files(tmp_path: Path) -> dict[str, str]:
    ca = Authority("temporal-ca")
    cert, key = ca.client("safeguard-worker").write(tmp_path, "worker")
    (tmp_path / "ca.crt").write_bytes(ca.cert)
    return {
        "SAFEGUARD_TEMPORAL_TLS__CLIENT_CERT": str(cert),
        "SAFEGUARD_TEMPORAL_TLS__CLIENT_KEY": str(key),
        "SAFEGUARD_TEMPORAL_TLS__SERVER_CA": str(tmp_path / "ca.crt"),
        "SAFEGUARD_TEMPORAL_TLS__SERVER_NAME": "temporal-frontend",
    }


def test_the_environment_names_the_files_the_client_presents(tmp_path: Path) -> None:
    env = _files(tmp_path)
    config = tls_config_for(settings_from(env | {"SAFEGUARD_ENVIRONMENT": "test"}))
    assert isinstance(config, TLSConfig)
    assert config.client_cert == Path(env["SAFEGUARD_TEMPORAL_TLS__CLIENT_CERT"]).read_bytes()
    assert config.client_private_key == Path(env["SAFEGUARD_TEMPORAL_TLS__CLIENT_KEY"]).read_bytes()
    assert config.server_root_ca_cert == (tmp_path / "ca.crt").read_bytes()
    assert config.domain == "temporal-frontend"


def test_a_renewed_certificate_is_read_at_the_next_connection(tmp_path: Path) -> None:
    env = _files(tmp_path)
    settings = settings_from(env | {"SAFEGUARD_ENVIRONMENT": "test"})
    renewed = Authority("temporal-ca").client("safeguard-worker")
    renewed.write(tmp_path, "worker")
    config = tls_config_for(settings)
    assert isinstance(config, TLSConfig)
    assert config.client_cert == renewed.cert


def test_development_and_tests_talk_in_plain_text_to_the_local_server() -> None:
    assert tls_config_for(Settings(environment="development")) is False
    assert tls_config_for(Settings(environment="test")) is False


def _production(tls: TemporalTlsSettings) -> Settings:
    # Only the TLS settings matter here; the other production checks have their own tests.
    return Settings(environment="test").model_copy(
        update={"environment": "production", "temporal_tls": tls}
    )


def test_production_refuses_to_connect_without_a_client_certificate(tmp_path: Path) -> None:
    with pytest.raises(PlaintextTemporalError, match="SAFEGUARD_TEMPORAL_TLS__CLIENT_CERT"):
        tls_config_for(_production(TemporalTlsSettings()))
    tls = settings_from(_files(tmp_path)).temporal_tls
    assert isinstance(tls_config_for(_production(tls)), TLSConfig)


@pytest.mark.parametrize(
    "fields",
    [
        {"client_cert": "worker.crt"},
        {"client_key": "worker.key"},
        {"server_ca": "ca.crt"},
        {"server_name": "temporal-frontend"},
    ],
    ids=["certificate alone", "key alone", "server CA alone", "server name alone"],
)
def test_half_a_configuration_is_refused(fields: dict[str, str]) -> None:
    # Server-only TLS would encrypt, but still let anyone who reaches Temporal in.
    with pytest.raises(ValidationError):
        TemporalTlsSettings.model_validate(fields)
