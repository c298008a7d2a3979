"""A case's documents: the list, the GOV.UK file upload, and downloads, for each desk.

One page for every role that works on a case's documents: officers through the assessment
API, Channel chairs, panel members and providers through the panel API, auditors (reading
only) through the panel API. A `Desk` (`document_desks`) says which API the role's case lives
in, where its pages are, why it reads (the X-Purpose), and whether it may upload. The page owns
nothing: the API checks, scans, seals and logs, and decides what each person may see; a refusal
of the file comes back as an error on the file field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
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
from services.web.sessions import SignedIn
from services.web.views.document_desks import DESKS, OFFICER, Desk

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


def _with(href: str, query: str) -> str:
    return f"{href}?{query}" if query else href


def _client(request: Request, desk: Desk, user: SignedIn) -> DocumentsClient:
    state = request.app.state
    return DocumentsClient(state.http, state.api_urls[desk.api], user.access_token)


async def _page(
    request: Request,
    desk: Desk,
    reference: str,
    user: SignedIn,
    stated: str,
    query: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    try:
        documents = await _client(request, desk, user).documents(reference, purpose=stated)
    except ApiProblem as problem:
        if problem.status != 404:
            raise  # a 403 is the site's refusal page (app.py), as on every page
        return render(
            request,
            "errors/page.html",
            status_code=404,
            title="Case not found",
            message=desk.not_found.format(reference=reference),
            link=desk.home,
        )
    base = f"{desk.case(reference)}/documents"
    return render(
        request,
        "documents/list.html",
        status_code=400 if errors else 200,
        title=f"Documents: {reference}",
        section=desk.section,
        reference=reference,
        documents=[_row(d, base, query) for d in documents],
        fields=FIELDS,
        values=values or {},
        errors=errors or FormErrors(),
        action=_with(base, query),
        uploads=desk.uploads,
        police=desk is OFFICER and user.role == Role.PREVENT_OFFICER,
        back_link=desk.back or _with(desk.case(reference), query),
    )


def _row(document: dict[str, Any], base: str, query: str) -> dict[str, Any]:
    kinds = dict(DOCUMENT_TYPES)
    href = _with(f"{base}/{quote(str(document['id']), safe='')}", query)
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


async def _add(
    request: Request,
    desk: Desk,
    reference: str,
    session: SessionDep,
    user: SignedIn,
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
            request, desk, reference, user, stated, query, values=form, errors=errors
        )
    assert isinstance(upload, UploadFile)  # noqa: S101 - checked just above
    fields = {"document_type": form["document_type"], "title": form["title"].strip()}
    if form.get("police_only") == "yes" and desk is OFFICER and user.role == Role.PREVENT_OFFICER:
        fields["police_only"] = "true"
    try:
        made = await _client(request, desk, user).upload(
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
            request, desk, reference, user, stated, query, values=form, errors=refused
        )
    session.data.flash = f"Document added: {made['title']}"
    session.mark()
    return RedirectResponse(_with(f"{desk.case(reference)}/documents", query), status_code=303)


def _file_message(problem: ApiProblem) -> str:
    """GOV.UK's file upload messages, from the API's refusal."""
    if problem.status == 413:
        return f"The selected file must be smaller. {problem.detail or ''}".strip()
    if problem.title == "File type not allowed":
        return "The selected file must be a PDF, image, text, Word, Excel or OpenDocument file"
    if problem.title == "Infected file":
        return "The selected file contains a virus and was not added"
    return f"The selected file could not be added: {problem.detail or problem.title}"


def _routes(desk: Desk) -> None:
    """The desk's list, upload and download pages, on the module's router."""
    path = f"{desk.prefix}/{{reference}}/documents"

    async def documents_page(
        request: Request,
        reference: str,
        user: UserDep,
        purpose: str | None = None,
        reason: str | None = None,
    ) -> Response:
        """The case's documents, and a form to add one."""
        stated = desk.purpose(purpose, reason)
        if stated is None:
            return RedirectResponse(desk.ask(reference), status_code=303)
        query = desk.query(purpose, reason)
        return await _page(request, desk, reference, user, stated, query)

    async def add_document(
        request: Request,
        reference: str,
        session: SessionDep,
        user: UserDep,
        form: FormDep,
        purpose: str | None = None,
        reason: str | None = None,
    ) -> Response:
        """Send the chosen file on to the API; its refusals come back as errors on the form."""
        stated = desk.purpose(purpose, reason)
        if stated is None:
            return RedirectResponse(desk.ask(reference), status_code=303)
        # The form FormDep checked (Starlette keeps it), which closes its file afterwards.
        posted = await request.form()
        return await _add(
            request,
            desk,
            reference,
            session,
            user,
            form,
            posted.get(FILE),
            stated,
            desk.query(purpose, reason),
        )

    async def download_document(
        request: Request,
        reference: str,
        document_id: str,
        user: UserDep,
        purpose: str | None = None,
        reason: str | None = None,
    ) -> Response:
        """The file itself, streamed from the API with its download headers."""
        stated = desk.purpose(purpose, reason)
        if stated is None:
            return RedirectResponse(desk.ask(reference), status_code=303)
        client = _client(request, desk, user)
        answer = await client.download(reference, document_id, purpose=stated)
        headers = {n: answer.headers[n] for n in DOWNLOAD_HEADERS if n in answer.headers}
        # `X-Content-Type-Options: nosniff` comes with every response of the site (security.py).
        return StreamingResponse(
            answer.aiter_raw(), headers=headers, background=BackgroundTask(answer.aclose)
        )

    router.add_api_route(path, documents_page, methods=["GET"])
    if desk.uploads:
        router.add_api_route(path, add_document, methods=["POST"])
    router.add_api_route(f"{path}/{{document_id}}", download_document, methods=["GET"])


for _desk in DESKS:
    _routes(_desk)
