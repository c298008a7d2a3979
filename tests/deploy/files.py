"""Reading the deployment files as their tools would: compose interpolation, kustomize builds."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(path.parent for path in (DEPLOY / "overlays").glob("*/kustomization.yaml"))

Doc = dict[str, Any]

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; `$$` is a literal $.
_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, required: Callable[[str], str]) -> str:
    """Compose's interpolation: defaults kept, required variables filled by `required`."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op = match.group("name"), match.group("op") or ""
        if op.endswith("-"):
            return match.group("arg")
        if op.endswith("?"):
            return required(name)
        raise AssertionError(f"${{{name}}} has neither a default nor `:?`: say which it is")

    return _INTERPOLATION.sub(substitute, text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _interpolated(value: Any, required: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, required)
    if isinstance(value, dict):
        return {key: _interpolated(item, required) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolated(item, required) for item in value]
    return value


def raw_compose() -> Doc:
    """docker-compose.yml as YAML (anchors and merge keys resolved), before interpolation."""
    compose: Doc = yaml.safe_load(COMPOSE_FILE.read_text())
    return compose


def required_variables() -> set[str]:
    """The variables compose refuses to start without (`${NAME:?...}`)."""
    return {
        match.group("name")
        for text in _strings(raw_compose())
        for match in _INTERPOLATION.finditer(text)
        if (match.group("op") or "").endswith("?")
    }


def load_compose(required: Callable[[str], str] = lambda name: f"<{name}>") -> Doc:
    """docker-compose.yml as compose reads it: parsed, then values interpolated (comments are
    not), required variables filled by `required`."""
    compose: Doc = _interpolated(raw_compose(), required)
    return compose


def load_all(path: Path) -> list[Doc]:
    """Every document of a YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def kustomize(directory: Path) -> list[Doc]:
    """What `kustomize build` makes of the fields our kustomizations use.

    Resources (files and directories), strategic-merge `patches`, `replicas`, `images` and
    `namespace`; any other field fails, so a new one is implemented here before it is used.
    """
    spec: Doc = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - {
        "apiVersion",
        "kind",
        "resources",
        "patches",
        "replicas",
        "images",
        "namespace",
    }
    assert not unknown, f"{directory}: kustomization fields this renderer lacks: {unknown}"
    docs: list[Doc] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        docs += kustomize(path) if path.is_dir() else load_all(path)
    for patch in spec.get("patches", []):
        for change in load_all(directory / patch["path"]):
            target = find(docs, change["kind"], change["metadata"]["name"])
            target.update(merge(target, change))
    for replicas in spec.get("replicas", []):
        find(docs, None, replicas["name"])["spec"]["replicas"] = replicas["count"]
    for image in spec.get("images", []):
        for container in containers_of(docs):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in spec:
        for doc in docs:
            doc["metadata"]["namespace"] = spec["namespace"]
    return docs


def merge(base: Any, change: Any) -> Any:
    """A strategic merge: maps merge, lists of named items merge by name, others replace."""
    if isinstance(base, dict) and isinstance(change, dict):
        merged = copy.deepcopy(base)
        for key, value in change.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if _named_list(base) and _named_list(change):
        # As kubectl does: items new to the list come first, then the base's, merged.
        merged_list = copy.deepcopy(base)
        by_name = {item["name"]: index for index, item in enumerate(base)}
        added = [copy.deepcopy(item) for item in change if item["name"] not in by_name]
        for item in change:
            if item["name"] in by_name:
                index = by_name[item["name"]]
                merged_list[index] = merge(base[index], item)
        return added + merged_list
    return copy.deepcopy(change)


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def find(docs: list[Doc], kind: str | None, name: str) -> Doc:
    """The one document of that kind (any kind with a replica count when None) and name."""
    found = [
        doc
        for doc in docs
        if doc["metadata"]["name"] == name
        and (doc["kind"] == kind if kind else "replicas" in doc.get("spec", {}))
    ]
    assert len(found) == 1, f"expected one {kind or 'workload'} named {name}, found {len(found)}"
    return found[0]


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    """The documents of one kind."""
    return [doc for doc in docs if doc["kind"] == kind]


def pod_spec(doc: Doc) -> Doc:
    """The pod template's spec of a Deployment or Job."""
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def containers_of(docs: list[Doc]) -> Iterator[Doc]:
    """Every container of every workload."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            yield from pod_spec(doc)["containers"]
            yield from pod_spec(doc).get("initContainers", [])
