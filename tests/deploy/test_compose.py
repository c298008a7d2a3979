"""docker-compose.yml against the code: settings, routes, commands, health and start order."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from safeguard.auth.service_tokens import ClientCredentials, service_tokens
from safeguard.auth.staff_verifier import verifier_for
from safeguard.cli.run import SERVICES
from safeguard.temporal import SEARCH_ATTRIBUTES, codec_for
from tests.deploy.code import (
    LOOPBACK,
    PREFIX,
    calling_client,
    check_command,
    endpoints,
    is_secret,
    known_variables,
    python_url,
    routes,
    settings_from,
    stand_in,
    uvicorn_workers,
    web_addresses,
)
from tests.deploy.files import COMPOSE_FILE, DEPLOY, ROOT, load_compose, required_variables

ENV_EXAMPLE = DEPLOY / "compose" / "env.example"
COLLECTOR = DEPLOY / "compose" / "otel-collector.yaml"
Service = dict[str, Any]


def _services() -> dict[str, Service]:
    services: dict[str, Service] = load_compose()["services"]
    return services


def _ours() -> dict[str, Service]:
    """The services built from the project's Dockerfile (Temporal's image is built elsewhere)."""
    return {name: s for name, s in _services().items() if s.get("build") == "."}


def _port(service: Service) -> int:
    command = service["command"]
    return int(command[command.index("--port") + 1])


def _http_services() -> dict[str, Service]:
    return {name: s for name, s in _ours().items() if s["command"][0] == "uvicorn"}


def _environment(service: Service, tmp: Path) -> dict[str, str]:
    """The container's environment with a stand-in for every value taken from .env."""
    marker = "REQUIRED_FROM_ENV_FILE"
    raw = load_compose(required=lambda name: f"{marker}{name}{marker}")
    env = {k: str(v) for k, v in raw["services"][_name_of(service)]["environment"].items()}
    pattern = re.compile(f"{marker}(\\w+){marker}")
    payload_keys = "SAFEGUARD_PAYLOAD_KEYS"
    resolved = {
        name: pattern.sub(lambda m: stand_in(m.group(1), {}, tmp), value)
        for name, value in env.items()
        if name != payload_keys
    }
    # The payload keys' stand-in must hold the active key id, so it is made last.
    if payload_keys in env:
        resolved[payload_keys] = pattern.sub(
            lambda m: stand_in(m.group(1), resolved, tmp), env[payload_keys]
        )
    return resolved


def _name_of(service: Service) -> str:
    return next(name for name, s in _services().items() if s == service)


def test_every_service_in_the_code_and_the_worker_run_from_our_image() -> None:
    commands = {name: check_command(s["command"]) for name, s in _ours().items()}
    assert {served for served in commands.values() if served} == set(SERVICES)
    assert ["python", "-m", "workflows.referral.worker"] in [s["command"] for s in _ours().values()]


@pytest.mark.parametrize("name", sorted(_ours()))
def test_container_commands_parse_as_the_cli_and_uvicorn_would(name: str) -> None:
    served = check_command(_ours()[name]["command"])
    if served is not None:
        assert _port(_ours()[name]) == getattr(settings_from({}).services, served)


@pytest.mark.parametrize("name", sorted(_http_services()))
def test_each_service_runs_worker_processes_that_share_their_metrics(
    name: str, tmp_path: Path
) -> None:
    service = _http_services()[name]
    assert uvicorn_workers(service["command"]) >= 2
    # Each process keeps its metrics in files there, on the container's writable tmpfs.
    directory = _environment(service, tmp_path)["PROMETHEUS_MULTIPROC_DIR"]
    assert any(directory.startswith(f"{mount}/") for mount in service["tmpfs"])


def test_the_one_shot_job_migrates_and_creates_topics_before_anything_of_ours_starts() -> None:
    migrate = _services()["migrate"]
    assert migrate["command"][-1] == "safeguard migrate && safeguard events create-topics"
    assert migrate["restart"] == "no"
    for name, service in _ours().items():
        if name != "migrate":
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name


@pytest.mark.parametrize("name", sorted(_ours()))
def test_every_variable_is_one_settings_reads(name: str, tmp_path: Path) -> None:
    unknown = set(_environment(_ours()[name], tmp_path)) - set(known_variables())
    assert not unknown, f"{name} sets variables Settings does not read: {unknown}"


@pytest.mark.parametrize("name", sorted(_ours()))
def test_settings_validate_in_production_and_reach_no_loopback(name: str, tmp_path: Path) -> None:
    settings = settings_from(_environment(_ours()[name], tmp_path))
    assert settings.environment == "production"
    local = {what: where for what, where in endpoints(settings).items() if LOOPBACK.search(where)}
    assert not local, f"{name} would connect to its own loopback: {local}"
    assert settings.telemetry.otlp_endpoint, "spans must go to the collector, not to files"
    codec_for(settings)
    verifier_for(settings)
    if check_command(_ours()[name]["command"]) == "web":
        local = {
            what: where for what, where in web_addresses(settings).items() if LOOPBACK.search(where)
        }
        assert not local, f"the web front end would send people or requests to loopback: {local}"


def test_secrets_come_only_from_the_env_file_and_it_lists_them_all() -> None:
    raw = COMPOSE_FILE.read_text()
    for name, service in _ours().items():
        for variable in service["environment"]:
            if variable.startswith(PREFIX) and is_secret(variable):
                assert re.search(rf"^ +{variable}: .*\$\{{", raw, re.M), f"{name}: {variable}"
                assert not re.search(rf"^ +{variable}: (?!.*\$\{{)", raw, re.M), (
                    f"{name}: {variable}"
                )
    example = {
        line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line
    }
    assert required_variables() <= example, "env.example must name every required variable"
    keys = next(line for line in ENV_EXAMPLE.read_text().splitlines() if "PAYLOAD_KEYS=" in line)
    active = next(line for line in ENV_EXAMPLE.read_text().splitlines() if "ACTIVE_KEY=" in line)
    assert active.split("=", 1)[1] in json.loads(keys.split("=", 1)[1])


def test_stateful_and_awaited_services_have_healthchecks() -> None:
    services = _services()
    named_volumes = set(load_compose()["volumes"])
    stateful = {
        name
        for name, s in services.items()
        if any(volume.split(":")[0] in named_volumes for volume in s.get("volumes", []))
    }
    awaited = {
        target
        for s in services.values()
        for target, when in s.get("depends_on", {}).items()
        if when["condition"] == "service_healthy"
    }
    assert {"postgres", "kafka", "temporal"} <= stateful | awaited
    for name in stateful | awaited | set(_ours()) - {"migrate"}:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_depends_on_names_real_services_with_conditions_they_can_meet() -> None:
    services = _services()
    for name, service in services.items():
        for target, when in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = when["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is not one-shot"
            else:
                assert condition == "service_started", condition


@pytest.mark.parametrize("name", sorted(_http_services()))
def test_healthchecks_ask_routes_the_service_serves_on_its_port(name: str) -> None:
    service = _http_services()[name]
    served = check_command(service["command"])
    assert served is not None
    port, path = python_url(service["healthcheck"]["test"])
    assert port == _port(service)
    assert path in routes(served)


def test_the_worker_healthcheck_asks_its_metrics_port(tmp_path: Path) -> None:
    worker = _services()["worker"]
    port, path = python_url(worker["healthcheck"]["test"])
    settings = settings_from(_environment(worker, tmp_path))
    assert (port, path) == (settings.telemetry.worker_metrics_port, "/metrics")


def test_our_containers_run_unprivileged() -> None:
    for name, service in _ours().items():
        user = str(service["user"]).split(":")[0]
        assert user.isdigit() and int(user) != 0, name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name


def test_the_collector_scrapes_every_service_where_it_serves_metrics() -> None:
    config = yaml.safe_load(COLLECTOR.read_text())
    jobs = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    targets = {t for job in jobs for c in job["static_configs"] for t in c["targets"]}
    http = _http_services()
    assert targets == {f"{name}:{_port(service)}" for name, service in http.items()}
    for job in jobs:
        for service in http.values():
            assert job["metrics_path"] in routes(str(check_command(service["command"])))
    endpoint = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert _services()["intake"]["environment"]["SAFEGUARD_TELEMETRY__OTLP_ENDPOINT"].endswith(
        ":" + endpoint.rsplit(":", 1)[1]
    )


def test_the_web_ui_decodes_through_the_codec_service_it_may_call() -> None:
    ui = _services()["temporal-ui"]["environment"]
    codec = _http_services()["codec"]
    published = {p.split(":")[-1] for p in codec["ports"]}
    endpoint = ui["TEMPORAL_CODEC_ENDPOINT"]
    match = re.fullmatch(r"http://localhost:(\d+)(/\w+)", endpoint)
    assert match and match.group(1) in published
    # Decode only: the UI's write actions are off, so it never asks to encode.
    assert f"{match.group(2)}/decode" in routes("codec")
    assert f"{match.group(2)}/encode" not in routes("codec")
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    ui_port = _services()["temporal-ui"]["ports"][0].split(":")[-1]
    origins = json.loads(codec["environment"]["SAFEGUARD_CODEC_CORS_ORIGINS"])
    assert f"http://localhost:{ui_port}" in origins


def test_the_web_ui_is_read_only_behind_the_staff_sign_in() -> None:
    raw = load_compose(required=lambda name: f"<{name}>")
    ui = raw["services"]["temporal-ui"]["environment"]
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert (ui["TEMPORAL_AUTH_ENABLED"], ui["TEMPORAL_AUTH_TYPE"]) == ("true", "oidc")
    # The issuer the APIs trust, and nothing else: one sign-in for the UI and the services.
    issuer = raw["services"]["codec"]["environment"]["SAFEGUARD_STAFF_OIDC_ISSUER"]
    assert issuer == "<SAFEGUARD_STAFF_OIDC_ISSUER>"
    assert ui["TEMPORAL_AUTH_PROVIDER_URL"] == ui["TEMPORAL_AUTH_ISSUER_URL"] == issuer
    assert ui["TEMPORAL_AUTH_CLIENT_ID"] == "<TEMPORAL_AUTH_CLIENT_ID>"
    assert ui["TEMPORAL_AUTH_CLIENT_SECRET"] == "<TEMPORAL_AUTH_CLIENT_SECRET>"
    assert ui["TEMPORAL_AUTH_CALLBACK_URL"].startswith(f"{ui['TEMPORAL_CORS_ORIGINS']}/")


def test_temporal_init_makes_the_namespace_and_search_attributes_the_code_uses() -> None:
    script = _services()["temporal-init"]["command"][-1]
    namespace = _services()["intake"]["environment"]["SAFEGUARD_TEMPORAL_NAMESPACE"]
    assert f"--namespace {namespace}" in script
    for key in SEARCH_ATTRIBUTES:
        assert key.name in script
        assert key.indexed_value_type.name.title() == "Keyword"
    assert "--type Keyword" in script


def test_the_file_is_the_one_at_the_root() -> None:
    assert COMPOSE_FILE.parent == ROOT


def test_the_web_front_end_calls_each_api_at_its_service_once_it_is_healthy(
    tmp_path: Path,
) -> None:
    (name,) = [n for n, s in _http_services().items() if check_command(s["command"]) == "web"]
    web = _http_services()[name]
    settings = settings_from(_environment(web, tmp_path))
    for what, url in web_addresses(settings).items():
        if not what.startswith("api."):
            continue
        match = re.fullmatch(r"http://([\w-]+):(\d+)", url)
        assert match, f"{what}: {url} is not a compose service"
        target = _http_services()[match.group(1)]
        assert int(match.group(2)) == _port(target), what
        assert check_command(target["command"]) == what.removeprefix("api."), what
        assert web["depends_on"][match.group(1)] == {"condition": "service_healthy"}, what


def test_staff_sign_in_and_the_apis_use_the_organisations_issuer_from_the_env_file(
    tmp_path: Path,
) -> None:
    # No identity provider runs in this file: the issuer is the .env's, required.
    assert "SAFEGUARD_STAFF_OIDC_ISSUER" in required_variables()
    assert not any("keycloak" in str(s.get("image", "")) for s in _services().values())
    for service in _ours().values():
        issuer = service["environment"].get("SAFEGUARD_STAFF_OIDC_ISSUER")
        assert issuer == "<SAFEGUARD_STAFF_OIDC_ISSUER>", "every process trusts the same issuer"
    # The site signs people in where the APIs' tokens come from, unless .env says otherwise.
    (web,) = [s for s in _http_services().values() if check_command(s["command"]) == "web"]
    settings = settings_from(_environment(web, tmp_path))
    assert web_addresses(settings)["issuer"] == settings.staff_oidc_issuer


async def test_each_calling_service_has_client_credentials_of_its_own(tmp_path: Path) -> None:
    raw = COMPOSE_FILE.read_text()
    assert "SAFEGUARD_INTERNAL_API_TOKEN" not in raw, "the shared token is retired"
    secrets_of: dict[str, str] = {}
    for name, service in _ours().items():
        served = check_command(service["command"])
        client = calling_client(served) if served else None
        if client is None:
            assert "SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET" not in service["environment"], name
            continue
        secrets_of[client.value] = service["environment"]["SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET"]
        settings = settings_from(_environment(service, tmp_path))
        assert settings.service_auth.client_id == client.value
        async with service_tokens(settings, client) as tokens:
            assert isinstance(tokens, ClientCredentials)
    assert set(secrets_of) == {
        "svc-assessment",
        "svc-panel",
        "svc-notifications",
        "svc-statistics",
    }
    assert len(set(secrets_of.values())) == len(secrets_of), "one secret per client"
