"""A Kafka outage logged once: one warning when the broker is found unreachable, one line after.

aiokafka logs every failed retry at ERROR: a 25-second outage here gave over 10,000 lines (each
connect, metadata refresh, fetch and coordinator lookup, about every 50 ms per client), and a
group member logs each step of a rejoin after a broker stall. `quiet_aiokafka()` puts a filter
on aiokafka's loggers that drops those records, which say nothing new, and tells the process's
`BROKER` instead; every other aiokafka record passes. Our clients tell `BROKER` when the broker
answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sized

from aiokafka import AIOKafkaConsumer, TopicPartition, errors

logger = logging.getLogger(__name__)

# Failures that mean the broker cannot be reached (or did not answer in time).
_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    errors.KafkaConnectionError,
    errors.NodeNotReadyError,
    errors.RequestTimedOutError,
    errors.KafkaTimeoutError,
)
# A broker starting up, or a group member being moved on: aiokafka retries or rejoins itself.
_SETTLING: tuple[type[BaseException], ...] = (
    errors.GroupCoordinatorNotAvailableError,
    errors.NotCoordinatorForGroupError,
    errors.GroupLoadInProgressError,
    errors.LeaderNotAvailableError,
    errors.NotLeaderForPartitionError,
    errors.UnknownMemberIdError,
    errors.IllegalGenerationError,
    errors.RebalanceInProgressError,
)
# aiokafka 0.14's messages that carry no error object but say the broker did not answer,
_UNREACHABLE_MESSAGES = frozenset(
    {
        "Unable to update metadata from %s",
        "Heartbeat session expired - marking coordinator dead",
    }
)
# or that a group member is being moved on (the consumer says that once: `_Rebalances`).
_SETTLING_MESSAGES = frozenset(
    {
        "Heartbeat failed: local member_id was not recognized; resetting and re-joining group",
        "Heartbeat failed for group %s because it is rebalancing",
        "Heartbeat failed for group %s: generation id is not  current.",
        "Heartbeat failed for group %s: coordinator (node %s) is either not started or not valid",
        "Marking the coordinator dead (node %s)for group %s.",
    }
)
# Every logger aiokafka's clients log through (a filter only sees its own logger's records).
_LOGGERS = (
    "aiokafka",
    "aiokafka.conn",
    "aiokafka.cluster",
    "aiokafka.consumer.consumer",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
    "aiokafka.producer.producer",
    "aiokafka.producer.sender",
)
# Failures further apart than this belong to separate outages (a producer-only process never
# sees the broker answer unless it sends).
_SAME_OUTAGE_SECONDS = 60.0


class BrokerOutage:
    """Whether this process found the broker unreachable and since when; logs each change once."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._last_failure = 0.0  # wall-clock seconds, comparable with fetch timestamps

    @property
    def down(self) -> bool:
        """Whether an outage is under way (not yet seen to end)."""
        return self._since is not None

    @property
    def last_failure(self) -> float:
        """When (wall clock, seconds) a client last found the broker unreachable."""
        return self._last_failure

    def unreachable(self, what: str) -> None:
        """A client could not reach the broker (`what` says how): warn if an outage starts."""
        now = time.time()
        if self._since is not None and now - self._last_failure > _SAME_OUTAGE_SECONDS:
            self._since = None
        self._last_failure = now
        if self._since is not None:
            return
        self._since = now
        logger.warning(
            "Kafka is unreachable (%s); its clients retry until it answers, and events wait in"
            " the outbox and in their topics meanwhile",
            what,
        )

    def answered(self) -> None:
        """A client heard from the broker: if an outage was under way, say it is over."""
        if self._since is None:
            return
        logger.info("Kafka answers again after %.1f s", time.time() - self._since)
        self._since = None


BROKER = BrokerOutage()


def note_fetches(consumer: AIOKafkaConsumer, batch: Mapping[TopicPartition, Sized]) -> None:
    """Tell `BROKER` the broker answered if `consumer` fetched since it was last unreachable."""
    if not BROKER.down:
        return
    polled = (consumer.last_poll_timestamp(tp) for tp in consumer.assignment())
    latest = max((ms / 1000 for ms in polled if ms is not None), default=0.0)
    if batch or latest > BROKER.last_failure:
        BROKER.answered()


def is_unreachable(error: BaseException) -> bool:
    """Whether `error` says the broker could not be reached (rather than refused something)."""
    return isinstance(error, _UNREACHABLE)


class _QuietRetries(logging.Filter):
    """Drops aiokafka's records of retries and rejoins; reports unreachability to `BROKER`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.exc_info:
            return True  # debugging output, and tracebacks of real faults, stay
        cause = _error_in(record)
        if cause is not None and issubclass(cause, _UNREACHABLE):
            BROKER.unreachable(cause.__name__)
            return False
        if record.msg in _UNREACHABLE_MESSAGES:
            BROKER.unreachable("no answer")
            return False
        if cause is None:
            return record.msg not in _SETTLING_MESSAGES
        return not issubclass(cause, _SETTLING)


def _error_in(record: logging.LogRecord) -> type[BaseException] | None:
    """The class of the first error among the record's arguments (aiokafka passes some as
    classes)."""
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        if isinstance(arg, BaseException):
            return type(arg)
        if isinstance(arg, type) and issubclass(arg, BaseException):
            return arg
    return None


_FILTER = _QuietRetries()


def quiet_aiokafka() -> None:
    """Install the filter on aiokafka's loggers (once; any later call does nothing)."""
    for name in _LOGGERS:
        named = logging.getLogger(name)
        if _FILTER not in named.filters:
            named.addFilter(_FILTER)
