"""The Strimzi Kafka cluster and the Temporal Helm values against the code and the overlays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from safeguard.events.topics import TOPICS
from safeguard.temporal import SEARCH_ATTRIBUTES
from tests.deploy.code import routes, settings_from
from tests.deploy.files import DEPLOY, OVERLAYS, Doc, find, kustomize, of_kind

STRIMZI = kustomize(DEPLOY / "strimzi")
VALUES: dict[str, Any] = yaml.safe_load((DEPLOY / "temporal" / "values.yaml").read_text())


def _config(overlay: Path) -> dict[str, str]:
    data: dict[str, str] = find(kustomize(overlay), "ConfigMap", "safeguard-config")["data"]
    return data


def _cluster() -> Doc:
    (kafka,) = of_kind(STRIMZI, "Kafka")
    return kafka


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[o.name for o in OVERLAYS])
def test_a_kafka_topic_per_topic_of_the_code_with_its_partitions_and_retention(
    overlay: Path,
) -> None:
    settings = settings_from(_config(overlay) | {"SAFEGUARD_ENVIRONMENT": "test"})
    topics = {t["metadata"]["name"]: t for t in of_kind(STRIMZI, "KafkaTopic")}
    assert set(topics) == {settings.topic(spec.name) for spec in TOPICS}
    for spec in TOPICS:
        topic = topics[settings.topic(spec.name)]
        assert topic["spec"]["partitions"] == spec.partitions
        assert topic["spec"]["config"]["retention.ms"] == spec.retention_ms
        assert topic["spec"]["config"]["min.insync.replicas"] < topic["spec"]["replicas"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == _cluster()["metadata"]["name"]


def test_the_cluster_is_kraft_node_pools_and_never_auto_creates_topics() -> None:
    kafka = _cluster()
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    (pool,) = of_kind(STRIMZI, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert {"controller", "broker"} <= set(pool["spec"]["roles"])
    assert "topicOperator" in kafka["spec"]["entityOperator"]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[o.name for o in OVERLAYS])
def test_the_services_bootstrap_from_the_clusters_plain_listener(overlay: Path) -> None:
    kafka = _cluster()
    (listener,) = [x for x in kafka["spec"]["kafka"]["listeners"] if not x["tls"]]
    expected = (
        f"{kafka['metadata']['name']}-kafka-bootstrap.{kafka['metadata']['namespace']}.svc"
        f":{listener['port']}"
    )
    assert _config(overlay)["SAFEGUARD_KAFKA_BOOTSTRAP_SERVERS"] == expected


def test_temporal_persists_in_postgresql_with_sql_visibility() -> None:
    persistence = VALUES["server"]["config"]["persistence"]
    for store in ("default", "visibility"):
        assert persistence[store]["driver"] == "sql"
        sql = persistence[store]["sql"]
        assert sql["driver"] == "postgres12"
        assert sql["existingSecret"] and "password" not in sql
    for bundled in ("cassandra", "mysql", "postgresql", "elasticsearch"):
        assert VALUES[bundled]["enabled"] is False


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[o.name for o in OVERLAYS])
def test_the_namespace_the_services_use_is_created(overlay: Path) -> None:
    namespaces = VALUES["server"]["config"]["namespaces"]
    assert namespaces["create"] is True
    wanted = _config(overlay)["SAFEGUARD_TEMPORAL_NAMESPACE"]
    assert wanted in {n["name"] for n in namespaces["namespace"]}
    address = _config(overlay)["SAFEGUARD_TEMPORAL_ADDRESS"]
    assert address == "temporal-frontend.temporal.svc:7233"


def test_the_search_attributes_the_workflow_sets_are_created_as_keywords() -> None:
    (job,) = [o for o in VALUES["extraObjects"] if o["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env["SEARCH_ATTRIBUTES"].split()) == {key.name for key in SEARCH_ATTRIBUTES}
    assert {key.indexed_value_type.name for key in SEARCH_ATTRIBUTES} == {"KEYWORD"}
    assert "--type Keyword" in container["command"][-1]
    namespaces = {n["name"] for n in VALUES["server"]["config"]["namespaces"]["namespace"]}
    assert env["NAMESPACE"] in namespaces


def test_the_web_ui_decodes_through_the_codec_service_that_allows_its_origin() -> None:
    env = {e["name"]: e["value"] for e in VALUES["web"]["additionalEnv"]}
    endpoint = env["TEMPORAL_CODEC_ENDPOINT"]
    path = "/" + endpoint.split("://", 1)[1].split("/", 1)[1]
    # Decode only: the UI's write actions are off, so it never asks to encode.
    assert f"{path}/decode" in routes("codec")
    assert f"{path}/encode" not in routes("codec")
    assert env["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    # The values are production's: its codec service must accept the UI's browser origin.
    ui_origin = "/".join(env["TEMPORAL_AUTH_CALLBACK_URL"].split("/")[:3])
    production = _config(DEPLOY / "overlays" / "production")
    assert ui_origin in json.loads(production["SAFEGUARD_CODEC_CORS_ORIGINS"])


def test_the_web_ui_is_read_only_behind_the_staff_sign_in() -> None:
    env = {e["name"]: e["value"] for e in VALUES["web"]["additionalEnv"]}
    assert env["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert (env["TEMPORAL_AUTH_ENABLED"], env["TEMPORAL_AUTH_TYPE"]) == ("true", "oidc")
    # The issuer production's APIs trust: one sign-in for the UI and the services.
    issuer = _config(DEPLOY / "overlays" / "production")["SAFEGUARD_STAFF_OIDC_ISSUER"]
    assert env["TEMPORAL_AUTH_PROVIDER_URL"] == env["TEMPORAL_AUTH_ISSUER_URL"] == issuer
    # The client id and secret come from a Secret, never from the values file.
    assert VALUES["web"]["additionalEnvSecretName"]
    assert not {"TEMPORAL_AUTH_CLIENT_ID", "TEMPORAL_AUTH_CLIENT_SECRET"} & env.keys()
