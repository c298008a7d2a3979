"""The deployments give intake, assessment, the panel and notifications, and no other process,
the field keys they use (assessment for the documents' keys only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeguard.fieldcrypt.settings import DevelopmentKeyError
from tests.deploy.code import settings_from
from tests.deploy.files import OVERLAYS, kustomize
from tests.deploy.test_compose import _environment as compose_environment
from tests.deploy.test_compose import _ours
from tests.deploy.test_kubernetes import _environment, _ids, _labels, _policies, _workloads

# What would let a process open personal fields or link people: who holds which.
TOKEN = "SAFEGUARD_FIELDS__VAULT_TOKEN"
BLIND_INDEX = "SAFEGUARD_FIELDS__BLIND_INDEX_KEY"
HOLDERS = {
    "intake": {TOKEN, BLIND_INDEX},
    "assessment": {TOKEN},
    "panel": {TOKEN},
    "notifications": {TOKEN},
}


def _check(name: str, env: dict[str, str]) -> None:
    settings = settings_from(env)
    held = {TOKEN, BLIND_INDEX} & set(env)
    assert held == HOLDERS.get(name, set()), f"{name} holds {held}"
    if name in HOLDERS:
        settings.fields.refuse_development_keys()
        assert settings.fields.provider == "vault"
    if name == "intake":
        settings.fields.refuse_development_blind_index()
    if name not in HOLDERS:
        with pytest.raises(DevelopmentKeyError):
            settings.fields.refuse_development()


@pytest.mark.parametrize("name", sorted(_ours()))
def test_compose_gives_the_field_keys_to_their_holders_alone(name: str, tmp_path: Path) -> None:
    _check(name, compose_environment(_ours()[name], tmp_path))


@pytest.mark.parametrize("overlay", OVERLAYS, ids=_ids(OVERLAYS))
def test_kubernetes_gives_the_field_keys_to_their_holders_alone(
    overlay: Path, tmp_path: Path
) -> None:
    docs = kustomize(overlay)
    for doc in _workloads(docs):
        _check(doc["metadata"]["name"], _environment(docs, doc, tmp_path))
        if doc["metadata"]["name"] in HOLDERS:
            opened = {
                port["port"]
                for policy in _policies(docs, _labels(doc), "Egress")
                for rule in policy["spec"].get("egress", [])
                for port in rule.get("ports", [])
            }
            assert 8200 in opened, f"{doc['metadata']['name']} must reach Vault"
