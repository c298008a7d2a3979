"""The deployments give the audit log's keys to the process that signs and verifies it alone:
the signing key as a read-only file from its own Secret, never an environment variable; the
checkpoints' write-once store; the log's name and verifier key; the old hash chain's key. Every
other process only writes entries and must start in production without any of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safeguard.audit.log.checkpoints import VerifierKey
from safeguard.audit.log.setup import signer_for, witness_for
from safeguard.settings import AuditLogSettings, Settings
from tests.deploy.code import check_command, settings_from
from tests.deploy.files import (
    OVERLAYS,
    ROOT,
    Doc,
    find,
    kustomize,
    load_compose,
    pod_spec,
    required_variables,
)
from tests.deploy.test_compose import _environment as compose_environment
from tests.deploy.test_compose import _ours
from tests.deploy.test_kubernetes import _container, _environment, _ids, _workloads

KEY_SECRET = "safeguard-audit-log-signing-key"
COMPOSE_KEY = "audit-log-signing-key"
CHAIN_KEY = "SAFEGUARD_AUDIT_CHAIN_KEY"
LOG_CONFIG = "safeguard-audit-log"


def _signs(service: str | None) -> bool:
    """Whether the process runs the audit log's sequencer (which signs), as its app says."""
    return service is not None and "sequencer_for(" in _code(service, "app.py")


def _verifies(service: str | None) -> bool:
    """Whether it verifies the log, checking the imported chain rows with the chain key."""
    return service is not None and "chain_key(" in _code(service, "*.py")


def _code(service: str, pattern: str) -> str:
    return "".join(path.read_text() for path in (ROOT / "services" / service).glob(pattern))


def _no_audit_log_keys(settings: Settings) -> None:
    config = settings.audit_log
    assert config.signing_key_file is None and config.verifier_key is None
    assert config.checkpoint_dir is None


def _named_log(settings: Settings) -> None:
    """The log has this deployment's name, and the verifier key is a key of that name."""
    config = settings.audit_log
    assert config.origin != AuditLogSettings().origin, "the development log's name"
    assert config.verifier_key is not None, "auditors' key must be configured, not derived"
    assert VerifierKey.parse(config.verifier_key).name == config.origin


def _loads_a_key_where_mounted(env: dict[str, str], tmp: Path) -> None:
    """The production settings load a PKCS #8 key at the configured path (making none)."""
    key = tmp / "signing-key.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = settings_from(env | {"SAFEGUARD_AUDIT_LOG__SIGNING_KEY_FILE": str(key)})
    assert signer_for(settings).origin == settings.audit_log.origin
    assert witness_for(settings).path == settings.audit_log.checkpoint_dir


# --- Kubernetes -----------------------------------------------------------------------------


def _mount(doc: Doc, path: Path) -> tuple[Doc, Doc]:
    """The container's mount holding `path`, and its volume."""
    mounts = [
        m for m in _container(doc)["volumeMounts"] if path.is_relative_to(Path(m["mountPath"]))
    ]
    (mount,) = mounts
    (volume,) = [v for v in pod_spec(doc)["volumes"] if v["name"] == mount["name"]]
    return mount, volume


def _key_volumes(doc: Doc) -> list[Doc]:
    return [
        v
        for v in pod_spec(doc).get("volumes", [])
        if v.get("secret", {}).get("secretName") == KEY_SECRET
    ]


def _signing_key_is_a_read_only_file(doc: Doc, path: Path) -> None:
    mount, volume = _mount(doc, path)
    secret = volume["secret"]
    assert secret["secretName"] == KEY_SECRET and mount.get("readOnly") is True
    assert secret["items"] == [
        {"key": "signing-key.pem", "path": str(path.relative_to(mount["mountPath"]))}
    ]
    # Nobody writes it, nobody but the pod's user and group (fsGroup) reads it.
    mode = secret["defaultMode"]
    assert mode & 0o227 == 0 and mode & 0o040, oct(mode)
    assert pod_spec(doc)["securityContext"]["fsGroup"]
    assert _key_volumes(doc) == [volume]


def _checkpoints_go_to_a_shared_claim(docs: list[Doc], doc: Doc, path: Path) -> None:
    mount, volume = _mount(doc, path)
    assert not mount.get("readOnly"), "the sequencer writes each checkpoint there"
    claim = find(docs, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    # Every replica verifies against it (one writes); a class chosen for write-once storage.
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "safeguard-audit-worm"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_kubernetes_gives_the_audit_log_keys_to_the_audit_service_alone(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    signers = []
    for doc in _workloads(docs):
        name, container = doc["metadata"]["name"], _container(doc)
        service = check_command(container["command"])
        refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
        assert KEY_SECRET not in {ref["name"] for ref in refs}, "a file, never an env variable"
        env = _environment(docs, doc, tmp_path)
        assert (CHAIN_KEY in env) == _verifies(service), f"{name}: the chain key is a verifier's"
        # Builds in production: a writer of the log needs no audit key to start.
        settings = settings_from(env)
        if not _signs(service):
            _no_audit_log_keys(settings)
            assert not _key_volumes(doc), name
            assert LOG_CONFIG not in {s["configMapRef"]["name"] for s in container["envFrom"]}
            continue
        signers.append(name)
        assert _verifies(service), "the audit service signs and verifies"
        config = settings.audit_log
        assert config.signing_key_file and config.checkpoint_dir
        _signing_key_is_a_read_only_file(doc, config.signing_key_file)
        _checkpoints_go_to_a_shared_claim(docs, doc, config.checkpoint_dir)
        _named_log(settings)
        _loads_a_key_where_mounted(env, tmp_path)
    assert signers == ["audit"]


def test_each_environment_has_a_log_of_its_own() -> None:
    logs = [find(kustomize(overlay), "ConfigMap", LOG_CONFIG)["data"] for overlay in OVERLAYS]
    for variable in ("SAFEGUARD_AUDIT_LOG__ORIGIN", "SAFEGUARD_AUDIT_LOG__VERIFIER_KEY"):
        assert len({log[variable] for log in logs}) == len(OVERLAYS), variable


# --- docker-compose.yml ---------------------------------------------------------------------


def _secrets(service: Doc) -> dict[str, str]:
    """Each secret the service mounts, by source, with the file name it has in the container."""
    found = {}
    for secret in service.get("secrets", []):
        source = secret if isinstance(secret, str) else secret["source"]
        found[source] = source if isinstance(secret, str) else secret.get("target", source)
    return found


def _bind_mount(service: Doc, target: Path) -> list[str]:
    (volume,) = [v for v in service.get("volumes", []) if v.split(":")[1] == str(target)]
    return str(volume).split(":")


@pytest.mark.parametrize("name", sorted(_ours()))
def test_compose_gives_the_audit_log_keys_to_the_audit_service_alone(
    name: str, tmp_path: Path
) -> None:
    service = _ours()[name]
    served = check_command(service["command"])
    env = compose_environment(service, tmp_path)
    assert (CHAIN_KEY in env) == _verifies(served), f"{name}: the chain key is a verifier's"
    settings = settings_from(env)
    if not _signs(served):
        _no_audit_log_keys(settings)
        assert COMPOSE_KEY not in _secrets(service), name
        return
    config = settings.audit_log
    assert config.signing_key_file == Path("/run/secrets") / _secrets(service)[COMPOSE_KEY]
    key_file = load_compose()["secrets"][COMPOSE_KEY]["file"]
    assert key_file.startswith("./deploy/compose/audit-log/"), key_file
    assert config.checkpoint_dir is not None
    host, _, *mode = _bind_mount(service, config.checkpoint_dir)
    assert host == "<AUDIT_CHECKPOINTS_DIR>" and mode in ([], ["rw"]), "written, from .env"
    needed = {"SAFEGUARD_AUDIT_LOG__ORIGIN", "SAFEGUARD_AUDIT_LOG__VERIFIER_KEY", CHAIN_KEY}
    assert needed <= required_variables()
    _loads_a_key_where_mounted(env, tmp_path)


def test_compose_runs_one_signer() -> None:
    signers = [n for n, s in _ours().items() if _signs(check_command(s["command"]))]
    holders = [n for n, s in _ours().items() if COMPOSE_KEY in _secrets(s)]
    assert signers == holders == ["audit"]
