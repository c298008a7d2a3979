"""OpenAPI material: the problem answers the delivery log's routes give of their own.

The token's 401 and 503, the roles' 403, `X-Purpose`'s 400 and the 422 are documented from
the dependencies that answer them (`safeguard.openapi`).
"""

from __future__ import annotations

from typing import Any

from safeguard.errors import documented_problem as problem

Responses = dict[int | str, dict[str, Any]]

LIST_RESPONSES: Responses = {
    404: problem("No case with that `reference` in the caller's areas."),
}

RESEND_RESPONSES: Responses = {
    404: problem("No such notification in the caller's areas."),
    409: problem(
        "The notification has not failed for good (`Not failed`): it is pending,"
        " being sent, retrying or delivered."
    ),
}

DETAIL_RESPONSES: Responses = {
    404: problem("No such notification in the caller's areas."),
}
