"""A case's documents: list, upload (streamed on) and download.

The assessment and panel APIs serve the same `/v1/cases/{reference}/attachments` routes, so one
client serves both: the base URL says which.
"""

from __future__ import annotations

from typing import IO, Any

import httpx

from services.web.clients.base import ApiClient, ApiProblem, path_segment, problem_from

Json = dict[str, Any]
UPLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)


class DocumentsClient(ApiClient):
    """Calls `/v1/cases/{reference}/attachments` of one API as the signed-in person."""

    def _path(self, reference: str) -> str:
        return f"/v1/cases/{path_segment(reference)}/attachments"

    async def documents(self, reference: str, *, purpose: str) -> list[Json]:
        """The case's documents the person may see (the read is logged with `purpose`)."""
        listed: list[Json] = await self._get(self._path(reference), purpose=purpose)
        return listed

    async def upload(
        self, reference: str, *, file: IO[bytes], name: str, fields: dict[str, str]
    ) -> Json:
        """Send one file on to the API as a multipart form (it checks and scans it)."""
        try:
            answer = await self._http.post(
                f"{self._base}{self._path(reference)}",
                headers=self._auth,
                files={"file": (name, file, "application/octet-stream")},
                data=fields,
                timeout=UPLOAD_TIMEOUT,
            )
        except httpx.HTTPError as error:
            raise ApiProblem(503, "Service unavailable", type(error).__name__) from error
        if answer.status_code >= 400:
            raise problem_from(answer)
        made: Json = answer.json()
        return made

    async def download(self, reference: str, document_id: str, *, purpose: str) -> httpx.Response:
        """The file's response, streamed: the caller reads and closes it."""
        url = f"{self._base}{self._path(reference)}/{path_segment(document_id)}"
        request = self._http.build_request("GET", url, headers=self._auth | {"x-purpose": purpose})
        try:
            answer = await self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ApiProblem(503, "Service unavailable", type(error).__name__) from error
        if answer.status_code >= 400:
            await answer.aread()
            await answer.aclose()
            raise problem_from(answer)
        return answer
