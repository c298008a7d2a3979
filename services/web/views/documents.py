"""A case's documents for officers: the list, the GOV.UK file upload, and downloads.

The page owns nothing: the assessment API checks, scans, seals and logs; a refusal comes back
as an error on the file field. Every list and download states the case page's purpose.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from safeguard.codes import Role
from services.web.auth import FormDep, SessionDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.clients.documents import DocumentsClient
from services.web.forms import Field, FormErrors, validate
from services.web.pages import render
from services.web.views.cases import purpose_header

router = APIRouter(include_in_schema=False)

DOCUMENT_TYPES = (
    ("chronology", "Chronology"),
    ("school_report", "School report"),
    ("online_activity_screenshot", "Screenshot of online activity"),
    ("minutes", "Minutes"),
    ("consent_form", "Consent form"),
    ("support_plan", "Support plan"),
    ("provider_report", "Provider's report"),
    ("other", "Other"),
)
TYPE = Field(
    "document_type",
    "Type of document",
    "select",
    "Select the type of document",
    options=DOCUMENT_TYPES,
)
TITLE = Field(
    "title",
    "Title",
    "input",
    "Enter a title for the document",
    max_length=200,
    hint="For example, Chronology from the school, autumn term",
)
FIELDS = (TYPE, TITLE)
FILE = "file"
# Where an API refusal of the file itself is shown: on the file field.
FILE_PROBLEMS = {413, 415, 422, 400}
# Passed through from the API's answer: the browser saves the file, never renders it.
DOWNLOAD_HEADERS = ("content-type", "content-length", "content-disposition")


async def _documents(request: Request, user: UserDep) -> DocumentsClient:
    state = request.app.state
    return DocumentsClient(state.http, state.api_urls["assessment"], user.access_token)


DocumentsDep = Annotated[DocumentsClient, Depends(_documents)]


def _query(purpose: str | None, reason: str | None) -> str:
    return urlencode({"purpose": purpose or "", **({"reason": reason} if reason else {})})


@router.get("/cases/{reference}/documents")
async def documents_page(
    request: Request,
    reference: str,
    user: UserDep,
    client: DocumentsDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """The case's documents, and a form to add one."""
    stated = purpose_header(purpose, reason)
    if stated is None:
        return RedirectResponse(f"/cases/{reference}/reason", status_code=303)
    return await _page(request, reference, user.role, client, stated, _query(purpose, reason))


async def _page(
    request: Request,
    reference: str,
    role: str,
    client: DocumentsClient,
    stated: str,
    query: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    try:
        documents = await client.documents(reference, purpose=stated)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return render(
            request,
            "errors/page.html",
            status_code=404,
            title="Case not found",
            message=f"There is no case {reference} in your areas.",
            link={"href": "/tasks", "text": "Go to my tasks"},
        )
    return render(
        request,
        "documents/list.html",
        status_code=400 if errors else 200,
        title=f"Documents: {reference}",
        section="tasks",
        reference=reference,
        documents=[_row(d, reference, query) for d in documents],
        fields=FIELDS,
        values=values or {},
        errors=errors or FormErrors(),
        query=query,
        police=role == Role.PREVENT_OFFICER,
        back_link=f"/cases/{reference}?{query}",
    )


def _row(document: dict[str, Any], reference: str, query: str) -> dict[str, Any]:
    kinds = dict(DOCUMENT_TYPES)
    href = f"/cases/{reference}/documents/{document['id']}?{query}"
    # Markup.format escapes the title and the address: the cell's HTML is only the link's.
    link = Markup('<a class="govuk-link" href="{}">{}</a>').format(href, document["title"])
    if document.get("police_only"):
        link += Markup('<br><strong class="govuk-tag govuk-tag--red">Police only</strong>')
    return {
        **document,
        "kind": kinds.get(document["document_type"], document["document_type"]),
        "size": _size(int(document["size_bytes"])),
        "link": link,
    }


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@router.post("/cases/{reference}/documents")
async def add_document(
    request: Request,
    reference: str,
    session: SessionDep,
    user: UserDep,
    client: DocumentsDep,
    form: FormDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """Send the chosen file on to the API; its refusals come back as errors on the form."""
    stated = purpose_header(purpose, reason)
    if stated is None:
        return RedirectResponse(f"/cases/{reference}/reason", status_code=303)
    query = _query(purpose, reason)
    posted = await request.form()
    try:
        return await _add(
            request, reference, session, user, client, form, posted.get(FILE), stated, query
        )
    finally:
        # The form's file waits in a temporary file until closed.
        await posted.close()


async def _add(
    request: Request,
    reference: str,
    session: SessionDep,
    user: UserDep,
    client: DocumentsClient,
    form: dict[str, str],
    upload: Any,
    stated: str,
    query: str,
) -> Response:
    errors = validate(FIELDS, form)
    if not isinstance(upload, UploadFile) or not upload.filename or not upload.size:
        errors.add(FILE, "Select a file")
    if errors:
        return await _page(
            request, reference, user.role, client, stated, query, values=form, errors=errors
        )
    assert isinstance(upload, UploadFile)  # noqa: S101 - checked just above
    fields = {"document_type": form["document_type"], "title": form["title"].strip()}
    if form.get("police_only") == "yes" and user.role == Role.PREVENT_OFFICER:
        fields["police_only"] = "true"
    try:
        made = await client.upload(
            reference, file=upload.file, name=upload.filename or "document", fields=fields
        )
    except ApiProblem as problem:
        if problem.status not in FILE_PROBLEMS:
            raise
        refused = FormErrors()
        for name, message in problem.errors.items():
            refused.add(name if name in ("document_type", "title") else FILE, message)
        if not refused:
            refused.add(FILE, _file_message(problem))
        return await _page(
            request, reference, user.role, client, stated, query, values=form, errors=refused
        )
    session.data.flash = f"Document added: {made['title']}"
    session.mark()
    return RedirectResponse(f"/cases/{reference}/documents?{query}", status_code=303)


def _file_message(problem: ApiProblem) -> str:
    """GOV.UK's file upload messages, from the API's refusal."""
    if problem.status == 413:
        return f"The selected file must be smaller. {problem.detail or ''}".strip()
    if problem.title == "File type not allowed":
        return "The selected file must be a PDF, image, text, Word, Excel or OpenDocument file"
    if problem.title == "Infected file":
        return "The selected file contains a virus and was not added"
    return f"The selected file could not be added: {problem.detail or problem.title}"


@router.get("/cases/{reference}/documents/{document_id}")
async def download_document(
    reference: str,
    document_id: str,
    user: UserDep,
    client: DocumentsDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """The file itself, streamed from the API with its download headers."""
    stated = purpose_header(purpose, reason)
    if stated is None:
        return RedirectResponse(f"/cases/{reference}/reason", status_code=303)
    answer = await client.download(reference, document_id, purpose=stated)
    headers = {name: answer.headers[name] for name in DOWNLOAD_HEADERS if name in answer.headers}
    # `X-Content-Type-Options: nosniff` comes with every response of the site (security.py).
    return StreamingResponse(
        answer.aiter_raw(), headers=headers, background=BackgroundTask(answer.aclose)
    )
