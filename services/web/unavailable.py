"""GOV.UK's "Sorry, the service is unavailable" page, for while part of the service is down:
an API the page needs answers 503 or cannot be reached, or the site's own database is gone."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from safeguard import outages
from safeguard.errors import problem_response, retry_after, unavailable
from services.web.pages import render

TITLE = "Sorry, the service is unavailable"
MESSAGE = "Part of the service is not responding. Try again in a few minutes."


def unavailable_page(request: Request, wait_seconds: str | None = None) -> Response:
    """The page, with a 503 and how long to wait (the API's own `Retry-After` if it sent one)."""
    page = render(request, "errors/page.html", 503, title=TITLE, message=MESSAGE)
    page.headers["Retry-After"] = wait_seconds or retry_after()["Retry-After"]
    return page


def outage_answer(request: Request, error: Exception) -> Response | None:
    """The answer to `error` when it shows a dependency down (logged once per outage): the
    page, or for the health routes a problem document; None for any other error."""
    dependency = outages.outage_of(error)
    if dependency is None:
        return None
    outages.current().began(dependency, error)
    if request.url.path.startswith("/health/"):
        return problem_response(unavailable(dependency), request, headers=retry_after())
    return unavailable_page(request)
