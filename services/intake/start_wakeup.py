"""The start queue's wake-up: a NOTIFY sent in the accepting transaction, heard on its commit.

Its payload is the referral's id and the request's W3C `traceparent` (ids only, never personal
data), so the workflow start that a starter makes later, in whichever intake process takes the
referral, still hangs under the POST that accepted it: one referral's intake stays one trace.
Nothing depends on the payload arriving: a starter that missed it finds the referral by its
poll, and starts it in a trace of its own.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from uuid import UUID

from opentelemetry.context import Context

from safeguard.kafka.tracing import context_from_mapping, current_trace_headers

CHANNEL = "intake_starts"
# Only the traceparent travels: tracestate comes from the caller and could overflow NOTIFY's
# 8000-byte payload, failing the referral.
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def announcement(referral_id: UUID) -> str:
    """The payload of the NOTIFY on `CHANNEL` that wakes the starters for this referral
    (sent in the accepting transaction, by `store.insert_referral`)."""
    parent = current_trace_headers().get("traceparent")
    payload = {"id": str(referral_id)}
    if parent is not None and _TRACEPARENT.fullmatch(parent):
        payload["traceparent"] = parent
    return json.dumps(payload)


class TraceContexts:
    """The trace parents of referrals announced lately, kept until their start.

    Every intake process hears every announcement, but only one starts each referral, so the
    others' entries would pile up: the oldest are dropped past `capacity`.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._parents: OrderedDict[UUID, str] = OrderedDict()

    def heard(self, payload: str) -> None:
        """Keep an announcement's trace parent (one that does not parse is ignored)."""
        try:
            message = json.loads(payload)
            referral_id = UUID(message["id"])
            parent = message["traceparent"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(parent, str):
            self._parents[referral_id] = parent
            while len(self._parents) > self._capacity:
                self._parents.popitem(last=False)

    def take(self, referral_id: UUID) -> Context | None:
        """The context to start the referral's workflow in, if its announcement was heard."""
        parent = self._parents.pop(referral_id, None)
        return None if parent is None else context_from_mapping({"traceparent": parent})
