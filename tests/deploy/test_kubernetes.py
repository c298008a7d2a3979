"""The kustomize base and overlays against the code: env, probes, commands, policies, topics."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from safeguard.auth.service_tokens import ClientCredentials, service_tokens
from safeguard.auth.staff_verifier import verifier_for
from safeguard.cli.run import SERVICES
from safeguard.temporal import codec_for
from tests.deploy.code import (
    LOOPBACK,
    calling_client,
    check_command,
    endpoints,
    is_secret,
    known_variables,
    python_url,
    routes,
    settings_from,
    stand_in,
    talks_to_the_issuer,
    uvicorn_workers,
    web_addresses,
)
from tests.deploy.files import (
    DEPLOY,
    OVERLAYS,
    ROOT,
    Doc,
    find,
    kustomize,
    load_all,
    of_kind,
    pod_spec,
)

SECRET = "safeguard-secrets"
BUILDS = [DEPLOY / "base", *OVERLAYS]


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(DEPLOY)) for path in paths]


def _workloads(docs: list[Doc]) -> list[Doc]:
    return of_kind(docs, "Deployment") + of_kind(docs, "Job")


def _container(doc: Doc) -> Doc:
    containers: list[Doc] = pod_spec(doc)["containers"]
    (container,) = containers
    return container


def _environment(docs: list[Doc], doc: Doc, tmp: Path) -> dict[str, str]:
    """A container's environment: its ConfigMaps, its values, a stand-in for each secret."""
    container = _container(doc)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "secrets are named one by one (secretKeyRef)"
        env |= find(docs, "ConfigMap", source["configMapRef"]["name"])["data"]
    refs = [e for e in container.get("env", []) if "valueFrom" in e]
    env |= {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    for entry in sorted(refs, key=lambda e: e["name"] == "SAFEGUARD_PAYLOAD_KEYS"):
        ref = entry["valueFrom"]["secretKeyRef"]
        if not ref.get("optional"):
            env[entry["name"]] = stand_in(entry["name"], env, tmp)
    return env


@pytest.mark.parametrize("build", BUILDS, ids=_ids(BUILDS))
def test_every_kustomization_names_files_that_exist(build: Path) -> None:
    spec = yaml.safe_load((build / "kustomization.yaml").read_text())
    for entry in spec.get("resources", []) + [p["path"] for p in spec.get("patches", [])]:
        assert (build / entry).exists(), f"{build}: {entry} does not exist"


def test_every_yaml_file_under_deploy_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yaml"))
    assert files
    for path in files:
        for doc in load_all(path):
            assert isinstance(doc, dict), path


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
@pytest.mark.parametrize("build", BUILDS, ids=_ids(BUILDS))
def test_our_rendering_matches_kubectl_kustomize(build: Path) -> None:
    rendered = subprocess.run(  # noqa: S603 - a fixed tool on our own files
        ["kubectl", "kustomize", str(build)],  # noqa: S607 - whichever kubectl is on PATH
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def keyed(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
        return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}

    assert keyed(list(yaml.safe_load_all(rendered))) == keyed(kustomize(build))


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_every_service_in_the_code_and_the_worker_are_deployed(overlay: Path) -> None:
    docs = kustomize(overlay)
    commands = [_container(doc)["command"] for doc in _workloads(docs)]
    assert {check_command(c) for c in commands} - {None} == set(SERVICES)
    assert ["python", "-m", "workflows.referral.worker"] in commands
    assert ["safeguard", "migrate"] in commands


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_the_overlay_pins_a_real_image_and_a_namespace(overlay: Path) -> None:
    docs = kustomize(overlay)
    for doc in _workloads(docs):
        image = _container(doc)["image"]
        assert "/" in image and ":" in image, f"{doc['metadata']['name']}: {image}"
    assert all(doc["metadata"].get("namespace") for doc in docs)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_each_service_runs_worker_processes_that_share_their_metrics(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    served = [doc for doc in _workloads(docs) if _container(doc)["command"][0] == "uvicorn"]
    assert served
    for doc in served:
        container = _container(doc)
        assert uvicorn_workers(container["command"]) >= 2, doc["metadata"]["name"]
        # Each process keeps its metrics in files there: a writable volume (the root is not).
        directory = _environment(docs, doc, tmp_path)["PROMETHEUS_MULTIPROC_DIR"]
        mounts = [mount["mountPath"] for mount in container["volumeMounts"]]
        assert any(directory.startswith(f"{mount}/") for mount in mounts), mounts


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_env_is_known_to_settings_secret_by_reference_and_valid(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    known = known_variables()
    for config in of_kind(docs, "ConfigMap"):
        for variable in config["data"]:
            assert variable in known, f"{variable} is not read by Settings"
            assert not is_secret(variable), f"{variable} is a secret, not configuration"
    for doc in _workloads(docs):
        name = doc["metadata"]["name"]
        for entry in _container(doc).get("env", []):
            assert entry["name"] in known, f"{name}: {entry['name']} is not read by Settings"
            if is_secret(entry["name"]):
                assert entry["valueFrom"]["secretKeyRef"]["name"] == SECRET, entry
        settings = settings_from(_environment(docs, doc, tmp_path))
        assert settings.environment == "production"
        local = {k: v for k, v in endpoints(settings).items() if LOOPBACK.search(v)}
        assert not local, f"{name} would connect to its own loopback: {local}"
        assert settings.telemetry.otlp_endpoint
        codec_for(settings)
        verifier_for(settings)
        if check_command(_container(doc)["command"]) == "web":
            local = {k: v for k, v in web_addresses(settings).items() if LOOPBACK.search(v)}
            assert not local, f"the web front end would use loopback: {local}"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_probes_ask_routes_the_services_serve_on_their_port(overlay: Path, tmp_path: Path) -> None:
    docs = kustomize(overlay)
    for doc in of_kind(docs, "Deployment"):
        container = _container(doc)
        served = check_command(container["command"])
        if served is None:
            # The worker: its loopback metrics port, as its settings place it.
            settings = settings_from(_environment(docs, doc, tmp_path))
            for probe in ("livenessProbe", "readinessProbe"):
                port, path = python_url(container[probe]["exec"]["command"])
                assert (port, path) == (settings.telemetry.worker_metrics_port, "/metrics")
            continue
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        command = container["command"]
        assert ports["http"] == int(command[command.index("--port") + 1])
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            get = container[probe]["httpGet"]
            assert get["path"] in routes(served) and get["port"] in ports


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_containers_are_unprivileged_and_bounded(overlay: Path) -> None:
    for doc in _workloads(kustomize(overlay)):
        name = doc["metadata"]["name"]
        pod = pod_spec(doc)["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert pod_spec(doc)["automountServiceAccountToken"] is False, name
        container = _container(doc)
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), name
        assert "memory" in resources["limits"], name


def _selects(selector: Doc, labels: dict[str, str]) -> bool:
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "only In is understood here"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _labels(doc: Doc) -> dict[str, str]:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"]["labels"]
    return labels


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_every_deployment_has_a_disruption_budget(overlay: Path) -> None:
    docs = kustomize(overlay)
    budgets = of_kind(docs, "PodDisruptionBudget")
    for doc in of_kind(docs, "Deployment"):
        assert any(_selects(b["spec"]["selector"], _labels(doc)) for b in budgets), doc


def _policies(docs: list[Doc], labels: dict[str, str], direction: str) -> list[Doc]:
    return [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if direction in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], labels)
    ]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_network_policies_deny_by_default_and_open_what_each_needs(overlay: Path) -> None:
    docs = kustomize(overlay)
    deny = [p for p in of_kind(docs, "NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert any({"Ingress", "Egress"} <= set(p["spec"]["policyTypes"]) for p in deny)
    for doc in _workloads(docs):
        egress = _policies(docs, _labels(doc), "Egress")
        opened = {
            port["port"]
            for policy in egress
            for rule in policy["spec"].get("egress", [])
            for port in rule.get("ports", [])
        }
        assert {53, 5432, 9092, 7233, 4318} <= opened, doc["metadata"]["name"]
    for doc in of_kind(docs, "Deployment"):
        if "ports" in _container(doc):
            assert _policies(docs, _labels(doc), "Ingress"), doc["metadata"]["name"]


def _calls_intake(service: str) -> bool:
    """Whether a service's code calls intake's internal API (through Settings' address)."""
    return any(
        "intake_internal_base" in path.read_text()
        for path in (ROOT / "services" / service).glob("*.py")
    )


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_services_that_call_intake_may_reach_it(overlay: Path) -> None:
    docs = kustomize(overlay)
    intake = _labels(find(docs, "Deployment", "intake"))
    callers = [s for s in SERVICES if s != "intake" and _calls_intake(s)]
    assert callers, "some service resolves referrals through intake"
    for caller in callers:
        labels = _labels(find(docs, "Deployment", caller))
        assert any(
            _selects(peer["podSelector"], labels)
            for policy in _policies(docs, intake, "Ingress")
            for rule in policy["spec"].get("ingress", [])
            for peer in rule.get("from", [])
            if "podSelector" in peer
        ), f"intake refuses {caller}"
        assert any(
            _selects(peer["podSelector"], intake)
            for policy in _policies(docs, labels, "Egress")
            for rule in policy["spec"].get("egress", [])
            for peer in rule.get("to", [])
            if "podSelector" in peer
        ), f"{caller} may not leave for intake"


def _config(overlay: Path) -> dict[str, Any]:
    data: dict[str, Any] = find(kustomize(overlay), "ConfigMap", "safeguard-config")["data"]
    return data


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_codec_origins_are_json_the_settings_accept(overlay: Path) -> None:
    origins = json.loads(_config(overlay)["SAFEGUARD_CODEC_CORS_ORIGINS"])
    assert origins and all(origin.startswith("https://") for origin in origins)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_a_release_can_apply_the_migration_and_what_it_needs_first(overlay: Path) -> None:
    # OPERATIONS.md applies `-l app.kubernetes.io/component=setup` and waits for the Job.
    docs = kustomize(overlay)
    setup = {
        (doc["kind"], doc["metadata"]["name"])
        for doc in docs
        if doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "setup"
    }
    (job,) = of_kind(docs, "Job")
    needs = {
        ("Job", job["metadata"]["name"]),
        ("ServiceAccount", pod_spec(job)["serviceAccountName"]),
    }
    needs |= {("ConfigMap", s["configMapRef"]["name"]) for s in _container(job)["envFrom"]}
    assert needs <= setup
    assert _container(job)["command"] == ["safeguard", "migrate"]


def _web(docs: list[Doc]) -> Doc:
    (web,) = [
        d for d in of_kind(docs, "Deployment") if check_command(_container(d)["command"]) == "web"
    ]
    return web


def _opens(rule: Doc, side: str, labels: dict[str, str], ports: set[Any]) -> bool:
    """Whether a rule admits pods with these labels (`from`/`to` peers) on one of `ports`."""
    peers = [p for p in rule.get(side, []) if "podSelector" in p and "namespaceSelector" not in p]
    opened = {port["port"] for port in rule.get("ports", [])}
    return any(_selects(p["podSelector"], labels) for p in peers) and bool(opened & ports)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_the_web_front_end_may_reach_every_api_it_calls(overlay: Path, tmp_path: Path) -> None:
    docs = kustomize(overlay)
    web = _web(docs)
    settings = settings_from(_environment(docs, web, tmp_path))
    apis = {k: v for k, v in web_addresses(settings).items() if k.startswith("api.")}
    assert apis
    for what, url in apis.items():
        address = urlsplit(url)
        service = find(docs, "Service", str(address.hostname))
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == address.port]
        target = find(docs, "Deployment", str(address.hostname))
        assert check_command(_container(target)["command"]) == what.removeprefix("api.")
        (container_port,) = [
            p for p in _container(target)["ports"] if p["name"] == port["targetPort"]
        ]
        ports = {container_port["name"], container_port["containerPort"]}
        assert any(
            _opens(rule, "from", _labels(web), ports)
            for policy in _policies(docs, _labels(target), "Ingress")
            for rule in policy["spec"].get("ingress", [])
        ), f"{address.hostname} refuses the web front end"
        assert any(
            _opens(rule, "to", _labels(target), ports)
            for policy in _policies(docs, _labels(web), "Egress")
            for rule in policy["spec"].get("egress", [])
        ), f"the web front end may not leave for {address.hostname}"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_services_that_check_staff_tokens_or_sign_in_may_reach_the_issuer(overlay: Path) -> None:
    docs = kustomize(overlay)
    issuer = urlsplit(_config(overlay)["SAFEGUARD_STAFF_OIDC_ISSUER"])
    assert issuer.scheme == "https" and issuer.port is None
    callers = [s for s in SERVICES if talks_to_the_issuer(s)]
    assert "web" in callers and len(callers) > 1
    for caller in callers:
        labels = _labels(find(docs, "Deployment", caller))
        assert any(
            443 in {port["port"] for port in rule.get("ports", [])}
            and any("ipBlock" in peer or "namespaceSelector" in peer for peer in rule["to"])
            for policy in _policies(docs, labels, "Egress")
            for rule in policy["spec"].get("egress", [])
        ), f"{caller} may not reach the issuer over HTTPS"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_staff_sign_in_is_at_the_issuer_the_apis_trust(overlay: Path, tmp_path: Path) -> None:
    docs = kustomize(overlay)
    settings = settings_from(_environment(docs, _web(docs), tmp_path))
    addresses = web_addresses(settings)
    assert addresses["issuer"] == settings.staff_oidc_issuer
    assert addresses["issuer"].startswith("https://")
    assert addresses["public_url"].startswith("https://")
    # Its secrets are the Secret's, named for the web front end only.
    web = _container(_web(docs))
    refs = {e["name"] for e in web["env"] if "valueFrom" in e}
    assert {"SAFEGUARD_WEB__OIDC_CLIENT_SECRET", "SAFEGUARD_WEB__SESSION_KEY"} <= refs


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
async def test_each_calling_service_has_client_credentials_of_its_own(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    secret_keys: dict[str, str] = {}
    for doc in _workloads(docs):
        env = {entry["name"]: entry for entry in _container(doc).get("env", [])}
        assert "SAFEGUARD_INTERNAL_API_TOKEN" not in env, "the shared token is retired"
        service = check_command(_container(doc)["command"])
        client = calling_client(service) if service else None
        if client is None:
            assert "SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET" not in env, service
            continue
        secret = env["SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
        secret_keys[client.value] = secret["key"]
        settings = settings_from(_environment(docs, doc, tmp_path))
        assert settings.service_auth.client_id == client.value
        async with service_tokens(settings, client) as tokens:
            assert isinstance(tokens, ClientCredentials)
    assert set(secret_keys) == {
        "svc-assessment",
        "svc-panel",
        "svc-notifications",
        "svc-statistics",
    }
    assert len(set(secret_keys.values())) == len(secret_keys), "one secret per client"
