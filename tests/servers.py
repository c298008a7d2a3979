"""Serving the apps over real HTTP on loopback inside the test process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tests.helpers import assert_eventually, free_port


@asynccontextmanager
async def serve(app: FastAPI, *, port: int | None = None) -> AsyncIterator[str]:
    """Run `app` under uvicorn (lifespan included) and yield its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # surface a failed start-up
        return server.started

    await assert_eventually(started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
