"""The assessment service as bench/audit serves it, in three ways of logging reads.

`BENCH_READS=logged` is the service as it ships. `unlogged` (benchmark only: there is no such
setting in the product, where every read is logged) removes the inbox's access-log write, to
show what logging costs. `global-lock` takes the hash chain's old global advisory lock before
each log write, as every read did before the Merkle log, to show what that cost.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

import safeguard.access_log
import services.assessment.service
from safeguard.db.pool import Connection
from safeguard.settings import get_settings
from services.assessment.app import create_app as assessment_app

_CHAIN_LOCK = 0x0A0D_17C4


async def _unlogged(*_: Any, **__: Any) -> None:
    return None


_record = safeguard.access_log._record  # noqa: SLF001 - the benchmark rewires the product


async def _under_global_lock(conn: Connection, *args: Any) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
    await _record(conn, *args)


def create_app() -> FastAPI:
    """`uvicorn --factory audit_app:create_app`, configured by the environment."""
    mode = os.environ.get("BENCH_READS", "logged")
    if mode == "unlogged":
        vars(services.assessment.service)["record_read"] = _unlogged
    elif mode == "global-lock":
        vars(safeguard.access_log)["_record"] = _under_global_lock
    return assessment_app(get_settings(), consume=False)
