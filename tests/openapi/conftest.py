"""The services served whole for these tests, Kafka consumers included."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tolerate the one known warning tests/intake/conftest.py describes, in these tests only.

    The audit and notifications services always run their lifecycle-event consumer; stopped
    while it is still joining its group (these tests run for seconds), aiokafka can leave a
    connection to be collected unclosed: either through its connection's finaliser, or as the
    asyncio stream it was opening (seen once in CI: `unclosed <StreamWriter ...>` at teardown).
    """
    markers = [
        pytest.mark.filterwarnings(
            "ignore:Exception ignored in. <function AIOKafka"
            ":pytest.PytestUnraisableExceptionWarning"
        ),
        pytest.mark.filterwarnings("ignore:unclosed <StreamWriter:ResourceWarning"),
    ]
    for item in items:
        if "tests/openapi/" in str(item.path):
            for marker in markers:
                item.add_marker(marker)
