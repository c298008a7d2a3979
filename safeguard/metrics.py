"""Prometheus metrics every process may record; labels are codes, never case ids or personal data.

Web services serve them at `/metrics`; the worker on `telemetry.worker_metrics_port`, and the
Temporal SDK's own (workflow task latency among them) on `telemetry.temporal_metrics_port`.

A service run with several worker processes (`uvicorn --workers`) keeps them in files under
`PROMETHEUS_MULTIPROC_DIR`, one set per process, and `/metrics` adds them up
(`safeguard.web_telemetry`): counts and durations are summed, a gauge is the value most
recently set by any process.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram

# The files' directory is made if missing (a fresh tmpfs or emptyDir), before the first
# metric below opens its file there.
if _directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_directory, exist_ok=True)

HTTP_REQUESTS = Counter(
    "safeguard_http_requests",
    "HTTP requests answered, by service, method, route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "safeguard_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
)
CONSUMER_LAG = Gauge(
    "safeguard_kafka_consumer_lag",
    "Messages on a partition not yet handled by a consumer (high watermark minus position).",
    ["consumer", "topic", "partition"],
    multiprocess_mode="mostrecent",
)
EVENTS_HANDLED = Counter(
    "safeguard_kafka_events_handled",
    "Events handled by a consumer, by outcome (handled, parked).",
    ["consumer", "outcome"],
)
OUTBOX_BACKLOG = Gauge(
    "safeguard_outbox_backlog",
    "Outbox rows waiting to be published (grows while Kafka is unreachable).",
    multiprocess_mode="mostrecent",
)
OUTBOX_PUBLISHED = Counter("safeguard_outbox_published", "Outbox rows published to Kafka.")
NOTIFICATIONS = Counter(
    "safeguard_notifications",
    "Notification delivery attempts, by channel and outcome (delivered, retry, failed).",
    ["channel", "outcome"],
)
AUDIT_RUNS_ARCHIVED = Counter(
    "safeguard_audit_runs_archived",
    "Workflow runs stored in the audit archive, by what stored them (closure, sweep).",
    ["trigger"],
)
AUDIT_RUNS_LOST = Counter(
    "safeguard_audit_runs_lost",
    "Workflow runs Temporal no longer held when the archiver came for them: a case's history"
    " has a gap (each is also an error in the log and a history.run_lost audit-log entry).",
)
AUDIT_LOG_ENTRIES = Gauge(
    "safeguard_audit_log_entries",
    "Entries the audit log's sequencer has numbered into its tree (set by the leading one).",
    multiprocess_mode="mostrecent",
)
AUDIT_LOG_UNCOPIED = Gauge(
    "safeguard_audit_log_checkpoints_uncopied",
    "Signed checkpoints not yet in the write-once store (grows while it cannot be written).",
    multiprocess_mode="mostrecent",
)
