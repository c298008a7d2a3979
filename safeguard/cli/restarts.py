"""When to restart something that died, and when to stop trying."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff between restarts, and how many restarts in a window mean something is broken.

    A process killed once comes back after `first_delay`; one that keeps dying waits twice as
    long each time, up to `max_delay`. Past `limit` restarts within `window` seconds it is not
    going to heal by itself, and restarting it for ever would only hide that.
    """

    first_delay: float = 1.0
    max_delay: float = 30.0
    limit: int = 6
    window: float = 300.0


class Restarts:
    """The restarts of one process, against its policy."""

    def __init__(
        self, policy: RestartPolicy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._times: deque[float] = deque()

    def next_delay(self) -> float | None:
        """Record a restart and return how long to wait before it; None means give up."""
        now = self._clock()
        while self._times and now - self._times[0] > self.policy.window:
            self._times.popleft()
        if len(self._times) >= self.policy.limit:
            return None
        delay = float(min(self.policy.first_delay * 2 ** len(self._times), self.policy.max_delay))
        self._times.append(now)
        return delay

    def giving_up(self) -> str:
        """Why restarting stopped, for people."""
        return f"it exited {self.policy.limit + 1} times within {self.policy.window:.0f}s"
