"""The deployments give every process that talks to Temporal a client certificate of its own,
and no other process one; Temporal requires client certificates and allows each what
deploy/temporal/clients.yaml lists (tests/test_temporal_mtls.py runs that server for real)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from safeguard.temporal_tls import PlaintextTemporalError
from tests.deploy.code import check_command, settings_from
from tests.deploy.files import (
    DEPLOY,
    OVERLAYS,
    ROOT,
    Doc,
    find,
    kustomize,
    load_all,
    load_compose,
    of_kind,
)
from tests.deploy.test_compose import _environment as compose_environment
from tests.deploy.test_compose import _ours, _services
from tests.deploy.test_kubernetes import _container, _environment, _ids, _workloads

CLIENTS: dict[str, list[str]] = yaml.safe_load((DEPLOY / "temporal" / "clients.yaml").read_text())
VALUES: dict[str, Any] = yaml.safe_load((DEPLOY / "temporal" / "values.yaml").read_text())
TEMPORAL_CERTIFICATES = of_kind(load_all(DEPLOY / "temporal" / "certificates.yaml"), "Certificate")
SERVER = DEPLOY / "temporal" / "server"


def _talks_to_temporal(command: list[str]) -> bool:
    """Whether the process this command runs connects to Temporal, as its code says."""
    served = check_command(command)
    if served is None:
        return command == ["python", "-m", "workflows.referral.worker"]
    return any(
        "needs_temporal=True" in path.read_text() or "connect_temporal(" in path.read_text()
        for path in (ROOT / "services" / served).glob("*.py")
    )


def _process(command: list[str]) -> str:
    """Its short name: the service it serves, or `worker`."""
    return check_command(command) or "worker"


def _check_client(name: str, env: dict[str, str], talks: bool) -> None:
    settings = settings_from(env)
    if talks:
        settings.temporal_tls.refuse_plaintext()
        assert settings.temporal_tls.server_ca, f"{name} must trust the Temporal CA"
    else:
        assert not any(v.startswith("SAFEGUARD_TEMPORAL_TLS__") for v in env), name
        with pytest.raises(PlaintextTemporalError):
            settings.temporal_tls.refuse_plaintext()


def _permissions(common_name: str) -> set[str]:
    return set(CLIENTS[common_name])


def test_the_clients_file_grants_roles_temporal_knows_in_the_namespace_we_use() -> None:
    namespace = _services()["worker"]["environment"]["SAFEGUARD_TEMPORAL_NAMESPACE"]
    for name, permissions in CLIENTS.items():
        for permission in permissions:
            scope, role = permission.split(":")
            assert scope in {namespace, "temporal-system"}, (name, permission)
            assert role in {"read", "write", "admin"}, (name, permission)
    # Only administration administers; the Web UI only reads.
    admins = {n for n, p in CLIENTS.items() if any(x.endswith(":admin") for x in p)}
    assert admins == {"temporal-admin", "temporal-internode"}
    assert CLIENTS["temporal-ui"] == ["temporal-system:read"]


# --- docker-compose.yml ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_ours()))
def test_compose_gives_a_certificate_to_each_temporal_client_alone(
    name: str, tmp_path: Path
) -> None:
    service = _ours()[name]
    talks = _talks_to_temporal(service["command"])
    _check_client(name, compose_environment(service, tmp_path), talks)
    # Temporal's; the audit log's signing key is tests/deploy/test_audit_log.py's business.
    secrets = {
        source
        for s in service.get("secrets", [])
        if (source := s if isinstance(s, str) else s["source"]).startswith("temporal-")
    }
    if talks:
        process = _process(service["command"])
        assert secrets == {
            "temporal-ca.crt",
            f"temporal-{process}.crt",
            f"temporal-{process}.key",
        }, name
        assert f"safeguard-{process}" in CLIENTS, f"Temporal does not know {name}"
    else:
        assert not secrets, f"{name} holds Temporal credentials it never uses"


def test_compose_temporal_requires_client_certificates_and_authorizes_by_them() -> None:
    temporal = _services()["temporal"]
    env = temporal["environment"]
    assert temporal["build"]["context"] == "deploy/temporal/server"
    assert env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert (env["TEMPORAL_AUTH_AUTHORIZER"], env["TEMPORAL_AUTH_CLAIM_MAPPER"]) == (
        "default",
        "certificate",
    )
    clients = f"./deploy/temporal/clients.yaml:{env['TEMPORAL_CLIENTS_FILE']}:ro"
    assert clients in temporal["volumes"]
    ca = "/run/secrets/temporal-ca.crt"
    assert env["TEMPORAL_TLS_CLIENT1_CA_CERT"] == env["TEMPORAL_TLS_SERVER_CA_CERT"] == ca
    # The UI and the one-shot administration each have their own certificate.
    ui = _services()["temporal-ui"]
    assert ui["environment"]["TEMPORAL_TLS_CERT"] == "/run/secrets/temporal-ui.crt"
    assert ui["environment"]["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    init = _services()["temporal-init"]["environment"]
    assert init["TEMPORAL_TLS_CLIENT_CERT_PATH"] == "/run/secrets/temporal-admin.crt"


def test_compose_secrets_are_files_outside_git() -> None:
    declared = _services_secrets()
    used = {
        s if isinstance(s, str) else s["source"]
        for service in _services().values()
        for s in service.get("secrets", [])
    }
    assert used == set(declared)
    for name, secret in declared.items():
        assert secret["file"].startswith("./deploy/compose/"), secret
        if name.startswith("temporal-"):
            assert secret["file"].startswith("./deploy/compose/temporal-tls/"), secret
    assert "deploy/compose/temporal-tls/" in (ROOT / ".gitignore").read_text().splitlines()
    # Whatever the files are, git never takes one (they are made on the host, never committed).
    files = [secret["file"].removeprefix("./") for secret in declared.values()]
    ignored = subprocess.run(  # noqa: S603 - a fixed tool on our own paths
        ["git", "check-ignore", "--no-index", *files],  # noqa: S607 - git on PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert set(ignored.stdout.split()) == set(files), ignored.stderr


def _services_secrets() -> dict[str, Doc]:
    secrets: dict[str, Doc] = load_compose()["secrets"]
    return secrets


# --- Kubernetes -----------------------------------------------------------------------------


def _mounted_secret(doc: Doc, path: str) -> str:
    """The Secret whose volume the container mounts where `path` lives."""
    mounts = _container(doc)["volumeMounts"]
    (mount,) = [m for m in mounts if path.startswith(m["mountPath"].rstrip("/") + "/")]
    volumes = doc["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    if "secret" in volume:
        return str(volume["secret"]["secretName"])
    return f"configmap:{volume['configMap']['name']}"


def _issued_by_the_temporal_ca(certificate: Doc) -> None:
    spec = certificate["spec"]
    issuer = {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "temporal-ca"}
    assert spec["issuerRef"] == issuer
    assert spec["privateKey"]["rotationPolicy"] == "Always"
    # Short-lived, renewed well before the end.
    assert spec["duration"] == "720h" and spec["renewBefore"] == "240h"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_kubernetes_gives_a_certificate_to_each_temporal_client_alone(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    issued = {c["spec"]["secretName"]: c for c in of_kind(docs, "Certificate")}
    for doc in _workloads(docs):
        name = doc["metadata"]["name"]
        command = _container(doc)["command"]
        talks = _talks_to_temporal(command)
        env = _environment(docs, doc, tmp_path)
        _check_client(name, env, talks)
        if not talks:
            continue
        tls = settings_from(env).temporal_tls
        secret = _mounted_secret(doc, str(tls.client_cert))
        assert secret == _mounted_secret(doc, str(tls.client_key)), name
        assert _mounted_secret(doc, str(tls.server_ca)) == "configmap:temporal-ca-bundle"
        certificate = issued[secret]
        assert certificate["spec"]["commonName"] == f"safeguard-{_process(command)}", name
        assert certificate["spec"]["usages"] == ["digital signature", "client auth"]
        _issued_by_the_temporal_ca(certificate)
        # The SDK reads the files when it connects: renewal must restart the pods.
        annotations = doc["metadata"]["annotations"]
        assert annotations["secret.reloader.stakater.com/reload"] == secret
    assert {c["spec"]["commonName"] for c in issued.values()} == {
        n for n in CLIENTS if n.startswith("safeguard-")
    }


def _address_host(overlay: Path) -> str:
    config = find(kustomize(overlay), "ConfigMap", "safeguard-config")["data"]
    return str(config["SAFEGUARD_TEMPORAL_ADDRESS"]).rsplit(":", 1)[0]


def test_the_temporal_certificates_name_the_frontend_as_our_processes_reach_it() -> None:
    by_name = {c["metadata"]["name"]: c for c in TEMPORAL_CERTIFICATES}
    for overlay in OVERLAYS:
        assert _address_host(overlay) in by_name["temporal-frontend"]["spec"]["dnsNames"]
    assert "client auth" in by_name["temporal-internode"]["spec"]["usages"]
    # The CA keeps its key when renewed, so what it issued stays valid (README: rotation).
    ca = by_name.pop("temporal-ca")["spec"]
    assert ca["isCA"] is True and ca["privateKey"]["rotationPolicy"] == "Never"
    for certificate in by_name.values():
        _issued_by_the_temporal_ca(certificate)
        assert certificate["spec"]["commonName"] in CLIENTS or (
            certificate["metadata"]["name"] == "temporal-frontend"
        )


def test_the_temporal_server_requires_client_certificates_from_the_ca_bundle() -> None:
    config = VALUES["server"]["config"]
    mounts = {m["mountPath"]: m["name"] for m in VALUES["server"]["additionalVolumeMounts"]}
    volumes = {v["name"]: v for v in VALUES["server"]["additionalVolumes"]}
    issued = {c["spec"]["secretName"] for c in TEMPORAL_CERTIFICATES}
    for section in ("internode", "frontend"):
        server = config["tls"][section]["server"]
        assert server["requireClientAuth"] is True, section
        assert server["clientCaFiles"] == ["/etc/temporal/tls/ca/ca.crt"], section
        for path in (server["certFile"], server["keyFile"], *server["clientCaFiles"]):
            volume = volumes[mounts[str(Path(path).parent)]]
            if "secret" in volume:
                assert volume["secret"]["secretName"] in issued, path
            else:
                assert volume["configMap"]["name"] == "temporal-ca-bundle", path
    assert config["authorization"] == {"authorizer": "default", "claimMapper": "certificate"}
    assert config["tls"]["refreshInterval"], "renewed certificates are read without a restart"


def test_the_temporal_server_reads_the_clients_file_of_the_repository() -> None:
    (configmap,) = [o for o in VALUES["extraObjects"] if o["kind"] == "ConfigMap"]
    assert yaml.safe_load(configmap["data"]["clients.yaml"]) == CLIENTS
    env = {e["name"]: e["value"] for e in VALUES["server"]["additionalEnv"]}
    mounts = {m["name"]: m["mountPath"] for m in VALUES["server"]["additionalVolumeMounts"]}
    assert env["TEMPORAL_CLIENTS_FILE"] == f"{mounts['clients']}/clients.yaml"
    (volume,) = [v for v in VALUES["server"]["additionalVolumes"] if v["name"] == "clients"]
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]


def test_the_server_image_is_our_build_of_the_temporal_version_it_is_based_on() -> None:
    pinned = re.search(r"go\.temporal\.io/server v(\S+)", (SERVER / "go.mod").read_text())
    dockerfile = re.search(r"ARG TEMPORAL_VERSION=(\S+)", (SERVER / "Dockerfile").read_text())
    assert pinned and dockerfile
    assert pinned.group(1) == dockerfile.group(1) == str(VALUES["server"]["image"]["tag"])
    compose_image = _services()["temporal"]["image"]
    assert compose_image.endswith(f":{pinned.group(1)}")


def test_the_web_ui_and_administration_connect_with_their_own_certificates() -> None:
    ui = {e["name"]: e["value"] for e in VALUES["web"]["additionalEnv"]}
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    ui_volumes = {v["name"]: v for v in VALUES["web"]["additionalVolumes"]}
    assert ui_volumes["tls"]["secret"]["secretName"] == "temporal-ui"
    admin = {e["name"]: e["value"] for e in VALUES["admintools"]["additionalEnv"]}
    assert admin["TEMPORAL_TLS_CLIENT_CERT_PATH"].endswith("/tls.crt")
    admin_volumes = {v["name"]: v for v in VALUES["admintools"]["additionalVolumes"]}
    assert admin_volumes["admin-tls"]["secret"]["secretName"] == "temporal-admin"
    (job,) = [o for o in VALUES["extraObjects"] if o["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["TEMPORAL_TLS_CLIENT_CERT_PATH"] == admin["TEMPORAL_TLS_CLIENT_CERT_PATH"]
    assert job["spec"]["template"]["spec"]["volumes"] == VALUES["admintools"]["additionalVolumes"]
