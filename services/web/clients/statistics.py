"""The statistics service's API (aggregate figures only): the release, its downloads, the
dashboard, and the areas a release can be made for."""

from __future__ import annotations

from typing import Any, NamedTuple

from services.web.clients.base import ApiClient, path_segment

Json = dict[str, Any]


class Download(NamedTuple):
    """A file the API made, to pass on as it came."""

    content: bytes
    media_type: str
    disposition: str


class StatisticsClient(ApiClient):
    """Calls `services/statistics` as the signed-in person (the API decides who may)."""

    async def release(self, period: str, *, scope: str) -> Json:
        """The release's tables for a period and scope."""
        found: Json = await self._get(
            f"/v1/releases/{path_segment(period)}", params={"scope": scope}
        )
        return found

    async def download(self, period: str, *, scope: str, kind: str) -> Download:
        """The release as `ods` or `csv`."""
        answer = await self._send(
            "GET", f"/v1/releases/{path_segment(period)}/release.{kind}", params={"scope": scope}
        )
        return Download(
            answer.content,
            answer.headers.get("content-type", "application/octet-stream"),
            answer.headers.get("content-disposition", "attachment"),
        )

    async def dashboard(self, period: str, *, scope: str) -> Json:
        """The Prevent lead's figures for a period and scope."""
        found: Json = await self._get("/v1/dashboard", params={"period": period, "scope": scope})
        return found

    async def areas(self) -> list[Json]:
        """Every area with its police force area and region."""
        found: list[Json] = await self._get("/v1/areas")
        return found
