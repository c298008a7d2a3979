"""Every problem a service answers with, named by a URI and documented here, once.

RFC 9457: a problem's `type` is a URI naming the kind of problem, which a client may act on;
`about:blank` names nothing. Each title below has its type, `TYPE_BASE` plus the title in
lower case with hyphens (`Unknown case` is `.../unknown-case`). The URIs name problems; they
are not links to follow (RFC 9457 says clients should not dereference them automatically):
the `.invalid` domain (RFC 6761) can never resolve. Each service's OpenAPI lists them all,
with these words, on the `type` of its `Problem` schema.
"""

from __future__ import annotations

import re

TYPE_BASE = "https://safeguard.invalid/problems/"

# Title: when it is answered. tests/test_problem_types.py checks every title the code raises is
# here, so a new problem cannot go undocumented.
DOCUMENTED: dict[str, str] = {
    # Any route.
    "Invalid request": "A parameter, header or body field is invalid or holds a control"
    " character; `errors` names each.",
    "Malformed JSON": "The body is not JSON.",
    "Not Found": "No route at this address.",
    "Method Not Allowed": "The route does not take this method; `Allow` names those it does.",
    "Service unavailable": "A dependency (the database, the case engine) cannot be reached;"
    " retry after `Retry-After` seconds.",
    "Internal server error": "An unexpected error, logged by the service.",
    "Unsupported media type": "The body is not `application/json`.",
    "Request body too large": "The body is over the service's limit.",
    # Credentials and access.
    "Unauthenticated": "No staff or service bearer token, or one that is not valid.",
    "Missing credentials": "No API key.",
    "Invalid credentials": "The API key is not recognised.",
    "Revoked credentials": "The client or its API key has been revoked.",
    "Expired credentials": "The API key has expired or was replaced.",
    "Identity provider unavailable": "The tokens' issuer cannot be reached to check a token.",
    "Forbidden": "The caller's role or grant may not do this.",
    "Area not permitted": "The caller's token does not cover the area asked for.",
    "Case not in your scope": "A payload belongs to a case outside the caller's areas.",
    "Not your agency": "The information request is for another agency.",
    "Payload not attributable": "A payload names no case.",
    "Purpose required": "A read of case data needs an `X-Purpose` saying why.",
    "Too many requests": "The client's budget for this kind of request is spent; retry after"
    " `Retry-After` seconds.",
    # Preconditions and concurrency.
    "Malformed If-Match": "`If-Match` is not a version this route gave.",
    "Precondition required": "This change needs `If-Match` with the version read.",
    "Precondition failed": "The resource changed since the version in `If-Match`.",
    "Idempotency key in use": "A request with this Idempotency-Key is being handled; retry.",
    "Idempotency key reused": "The Idempotency-Key was used before with another body.",
    # Things that do not exist for the caller.
    "Unknown case": "No case with that reference that the caller may see.",
    "Unknown referral": "No referral of the caller's with that reference or id.",
    "Unknown task": "No task with that id in the caller's areas.",
    "Unknown period": "Not a financial year (2024-25) or one of its quarters (2024-25-Q1).",
    "Unknown area": "No area, police force area or region in the area table has that code.",
    "Figures being prepared": "The period's tables below the national level are being"
    " protected together for the first time (a minute or two); retry after `Retry-After`"
    " seconds.",
    "Unknown age groups": "No age scheme of the statistics has that code.",
    "Unknown panel": "No panel with that id that the caller may see.",
    "Unknown meeting": "No meeting with that id that the caller may see.",
    "Unknown member": "No such member of the panel.",
    "Unknown plan item": "No support plan item with that id for the caller.",
    "Unknown request": "No information request with that id.",
    "Unknown notification": "No notification with that id that the caller may see.",
    "Unknown directory entry": "No directory entry for that role, scope and channel.",
    "Unknown entry": "No audit log entry or checkpoint of that number.",
    "Unknown officer": "The assignee is not a known Prevent officer of the task's area.",
    "Unknown payload key": "A payload names a key the codec does not hold.",
    "Referral redacted": "The referral's personal data has been erased.",
    "Not failed": "Only a notification that failed for good can be sent again.",
    # The case and its workflow.
    "The case has moved on": "The case is no longer at a stage that allows this.",
    "Conflicts with the case as it stands": "The change conflicts with the case's state.",
    "Not permitted": "The case's rules do not allow this action by the caller.",
    "Invalid decision": "The decision's content breaks a rule of the process.",
    "The case could not apply this decision": "The case engine failed to apply the change.",
    "Area already set": "The case is already in an area; move it with a transfer.",
    "Transfer already requested": "A transfer of the case is already waiting for an answer.",
    "No transfer requested": "No transfer of the case is waiting to be accepted, declined or"
    " withdrawn.",
    "Already in that area": "A transfer must name another area than the case's own.",
    "Not the receiving area": "Only the area a transfer is to may accept or decline it.",
    "Not the sending area": "Only the case's own area may withdraw its transfer request.",
    "Task closed": "The task is done or withdrawn.",
    "Task held by another officer": "Another officer holds the case's task.",
    "Plan item superseded": "A newer support plan replaced this item.",
    "Already answered": "The consent request or information request was already answered.",
    "Nothing to withdraw": "There is no consent to withdraw.",
    "Not yet signed": "No signed checkpoint covers the entry yet; retry.",
    # The approved-provider register.
    "Unknown provider": "No provider with that id on the approved-provider register (or a plan"
    " names one).",
    "Provider already registered": "The register has an entry with that id.",
    "Provider inactive": "A plan names a provider the register has deactivated.",
    "Provider approval expired": "A plan names a provider whose approval ends before today or"
    " before the intervention starts.",
    "Provider not approved in the area": "A plan names a provider not approved in the case's area.",
    "Provider not approved for the support": "A plan names a provider not approved to give that"
    " kind of intervention.",
    # Panels and meetings.
    "Case not in this panel's area": "A case named is not in the panel's area.",
    "Not on the agenda": "The case is not on the meeting's agenda.",
    "The agenda is empty": "An agenda needs a case before it is published.",
    "Attendance not recorded": "Record who attended the meeting first.",
    "Meeting not yet held": "A decision comes from a meeting that has taken place.",
    "Invalid attendance": "An attendee listed twice, or a conflict of someone not attending.",
    # Consent links (the person or guardian).
    "Link not valid": "The consent link is not one the service issued.",
    "Link expired": "The consent link has expired; ask for a new one.",
    "Link locked": "Too many wrong attempts; the link is locked for a while.",
    "Details do not match": "The details given do not match the consent request.",
    # Attachments: a refused file is never stored.
    "Attachment too large": "The file is over the size limit (refused as soon as it passes it).",
    "File type not allowed": "The file's content (its first bytes, not its name or declared"
    " type) is not of an accepted type.",
    "Infected file": "The virus scanner found malware in the file.",
    "Unreadable file": "The file is empty, or the virus scanner could not read it.",
    "Scanner unavailable": "The virus scanner cannot be reached, so no file is accepted; retry"
    " after `Retry-After` seconds.",
    "Upload not multipart": "A file upload must be `multipart/form-data` with a `file` part.",
    "Malformed upload": "The upload form has no `file` part, more than one, a field it does not"
    " take, or an over-long field.",
    "Unknown attachment": "No attachment with that id on the case that the caller may see.",
    "Unknown attachments": "Information names attachments that are not the caller's own uploads"
    " to this referral.",
    # Notifications and the codec.
    "Not Temporal payloads": "The body is not a list of Temporal payloads.",
    "Undecryptable payload": "A payload cannot be decrypted with the key it names.",
}

_WORDS = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str:
    """`unknown-case` for `Unknown case`."""
    return _WORDS.sub("-", title.lower()).strip("-")


def type_uri(title: str) -> str:
    """The URI naming the problem with this title."""
    return TYPE_BASE + slug(title)


def catalogue() -> str:
    """Every problem type and when it is answered, as Markdown for the OpenAPI."""
    lines = [f"* `{type_uri(title)}` ({title}): {when}" for title, when in DOCUMENTED.items()]
    return "The problem's type, a URI naming it (not a link to follow):\n\n" + "\n".join(lines)
