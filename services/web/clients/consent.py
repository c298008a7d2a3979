"""The panel service's public consent-link API: the link in the letter is the only credential.

These calls carry no user token. Each one proves the caller knows the case reference and the
person's date of birth; the panel counts wrong tries and locks the link after five.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from services.web.clients.base import ApiProblem, path_segment, problem_from

Json = dict[str, Any]


@dataclass
class ConsentLinkProblem(ApiProblem):
    """A refusal of the consent-link API, with the tries left when the details did not match."""

    attempts_left: int | None = None


_NOT_VALID = ConsentLinkProblem(404, "Link not valid", "There is nothing at that address.")


class ConsentLinkClient:
    """Calls `services/panel`'s `/public/v1/consent-links/{token}/…` routes."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def _post(self, token: str, action: str, body: Json) -> Json:
        url = f"{self._base}/public/v1/consent-links/{path_segment(token, _NOT_VALID)}/{action}"
        try:
            answer = await self._http.post(url, json=body)
        except httpx.HTTPError as error:
            raise ConsentLinkProblem(503, "Service unavailable", type(error).__name__) from error
        if answer.status_code >= 400:
            problem = problem_from(answer)
            attempts: int | None = None
            try:
                left = answer.json().get("attempts_left")
                attempts = int(left) if left is not None else None
            except (ValueError, AttributeError, TypeError):
                attempts = None
            raise ConsentLinkProblem(
                problem.status, problem.title, problem.detail, problem.errors, attempts
            )
        found: Json = answer.json()
        return found

    async def verify(self, token: str, *, reference: str, date_of_birth: str) -> Json:
        """The link's case, route (person or guardian) and state, once the details match."""
        body = {"reference": reference, "date_of_birth": date_of_birth}
        return await self._post(token, "verify", body)

    async def answer(
        self,
        token: str,
        *,
        reference: str,
        date_of_birth: str,
        answer: Literal["given", "refused"],
    ) -> Json:
        """Give or refuse consent (409 when the link was already answered)."""
        body = {"reference": reference, "date_of_birth": date_of_birth, "answer": answer}
        return await self._post(token, "answer", body)

    async def withdraw(self, token: str, *, reference: str, date_of_birth: str) -> Json:
        """Withdraw consent given earlier (409 when none was given)."""
        body = {"reference": reference, "date_of_birth": date_of_birth}
        return await self._post(token, "withdrawal", body)
