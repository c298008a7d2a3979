"""The public consent pages: the person (or a parent or guardian) answers the Channel request.

No one signs in. The single-use, expiring link from the letter or email (`/consent/{token}`) is
the credential, and the case reference and date of birth confirm who is using it; the panel API
checks both and locks the link after five wrong tries. Once checked, the details are kept in
the (anonymous, server-side) session, never in an address, and dropped once the answer is sent.

Pages speak English or Welsh: `?lang=cy` (or `en`) on any of them switches, and the choice is
kept in the session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.web import i18n
from services.web.auth import CsrfError, SessionDep, checked_form
from services.web.clients.consent import ConsentLinkClient, ConsentLinkProblem
from services.web.forms import FormErrors
from services.web.i18n import gettext as _
from services.web.i18n import ngettext
from services.web.pages import render
from services.web.sessions import ConsentHolder, Session

router = APIRouter(include_in_schema=False)

SECTION = "consent"
REFERENCE = "reference"
BIRTH = "date_of_birth"
PARTS = ("day", "month", "year")
ANSWER = "answer"
REFERENCE_FORMAT = re.compile(r"[A-Z]{3}-\d{4}-\d{6}")
MAX_TRIES = 5

# Which page a refusal of the API leads to: its status, and the page's kind.
PROBLEM_PAGES = {404: "not_valid", 410: "expired", 409: "used", 423: "locked"}


async def public_language(request: Request, session: SessionDep) -> str:
    """This request's language: `?lang=` when given (and remembered), else the session's."""
    asked = request.query_params.get("lang")
    stored = session.data.language
    if asked in i18n.LANGUAGES and asked != stored:
        session.data.language = asked
        session.mark()
    code = asked if asked in i18n.LANGUAGES else i18n.chosen(stored)
    i18n.language.set(code)
    return code


LanguageDep = Annotated[str, Depends(public_language)]


def consent_links(request: Request) -> ConsentLinkClient:
    """The panel's public consent-link API (no credential: the link is one)."""
    state = request.app.state
    return ConsentLinkClient(state.http, state.api_urls["panel"])


ConsentDep = Annotated[ConsentLinkClient, Depends(consent_links)]


def _key(token: str) -> str:
    """How the session names a link: its hash, so the session never holds the link itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _page(
    request: Request, template: str, language: str, status_code: int = 200, **context: Any
) -> Response:
    session: Session = request.state.session
    # An anonymous visitor's first page: keep the session, so its CSRF token is there to check.
    if session.id is None:
        session.mark()
    return render(
        request,
        template,
        status_code=status_code,
        section=SECTION,
        language=language,
        here=request.url.path,
        **context,
    )


def _problem_page(request: Request, language: str, kind: str, status_code: int) -> Response:
    """A page saying why the link cannot be used, and what to do next."""
    pages = {
        "not_valid": (
            _("This link is not valid"),
            [
                _(
                    "The link may be incomplete, or a newer link may have replaced it."
                    " Links stop working when a new letter or email is sent."
                ),
            ],
            _(
                "Check you used the whole link from the most recent letter or email we sent"
                " you. If it still does not work, contact the Channel panel."
            ),
        ),
        "expired": (
            _("This link has expired"),
            [_("Links in our letters and emails only work for a limited time.")],
            _("Contact the Channel panel to ask for a new link."),
        ),
        "used": (
            _("This link has already been used"),
            [
                _(
                    "An answer has already been sent using this link."
                    " Each link can only be used once."
                )
            ],
            _("If you want to change your answer, contact the Channel panel."),
        ),
        "locked": (
            _("This link has been locked"),
            [
                _(
                    "The details entered did not match our records too many times, so we have"
                    " locked the link to keep the information safe."
                ),
            ],
            _("Contact the Channel panel. They can check your details and send you a new link."),
        ),
        "form": (
            _("Your answer was not sent"),
            [
                _(
                    "The page was open for too long, or the form did not come from this service."
                    " Nothing has been recorded."
                ),
            ],
            _("Open the link in your letter or email again and start again."),
        ),
        "unavailable": (
            _("Sorry, there is a problem with the service"),
            [_("Nothing has been recorded.")],
            _("Try again later. If the problem continues, contact the Channel panel."),
        ),
    }
    title, paragraphs, next_step = pages[kind]
    return _page(
        request,
        "consent/problem.html",
        language,
        status_code,
        title=title,
        paragraphs=paragraphs,
        next_step=next_step,
    )


def _refused(request: Request, language: str, problem: ConsentLinkProblem) -> Response:
    kind = PROBLEM_PAGES.get(problem.status, "unavailable")
    return _problem_page(request, language, kind, problem.status if kind != "unavailable" else 503)


async def _form(request: Request, session: Session) -> dict[str, str] | None:
    """The posted form once its CSRF token checks out, else None."""
    try:
        return await checked_form(request, session)
    except CsrfError:
        return None


def _verified(session: Session, token: str) -> ConsentHolder | None:
    return session.data.consent_holders.get(_key(token))


def _start(token: str) -> Response:
    return RedirectResponse(f"/consent/{token}", status_code=303)


# --- Confirm who you are ---


def _birth_errors(values: Mapping[str, str], today: dt.date) -> tuple[str, FormErrors]:
    """The date of birth as ISO 8601, or the GOV.UK message for what is wrong with it (on the
    box that is missing, else on the day)."""
    errors = FormErrors()
    parts = {p: values.get(f"{BIRTH}-{p}", "").strip() for p in PARTS}
    missing = tuple(p for p in PARTS if not parts[p])
    if len(missing) == len(PARTS):
        errors.add(f"{BIRTH}-day", _("Enter the date of birth"))
        return "", errors
    if missing:
        messages = {
            ("day",): _("Date of birth must include a day"),
            ("month",): _("Date of birth must include a month"),
            ("year",): _("Date of birth must include a year"),
            ("day", "month"): _("Date of birth must include a day and month"),
            ("day", "year"): _("Date of birth must include a day and year"),
            ("month", "year"): _("Date of birth must include a month and year"),
        }
        errors.add(f"{BIRTH}-{missing[0]}", messages[missing])
        return "", errors
    if not all(parts[p].isascii() and parts[p].isdigit() for p in PARTS):
        errors.add(f"{BIRTH}-day", _("Date of birth must be a real date"))
        return "", errors
    if len(parts["year"]) != 4:
        errors.add(f"{BIRTH}-year", _("Year must include 4 numbers"))
        return "", errors
    try:
        born = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors.add(f"{BIRTH}-day", _("Date of birth must be a real date"))
        return "", errors
    if born >= today:
        errors.add(f"{BIRTH}-day", _("Date of birth must be in the past"))
        return "", errors
    return born.isoformat(), errors


def _identity(values: Mapping[str, str], today: dt.date) -> tuple[str, str, FormErrors]:
    """The reference and date of birth as the API wants them, or the page's errors."""
    errors = FormErrors()
    reference = values.get(REFERENCE, "").strip().upper()
    if not reference:
        errors.add(REFERENCE, _("Enter the case reference"))
    elif not REFERENCE_FORMAT.fullmatch(reference):
        errors.add(
            REFERENCE,
            _("Enter the case reference as it appears in your letter, like PRV-2026-000123"),
        )
    born, birth_errors = _birth_errors(values, today)
    for name, message in birth_errors.messages.items():
        errors.add(name, message)
    return reference, born, errors


def _who_page(
    request: Request,
    token: str,
    language: str,
    values: Mapping[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    # The boxes to mark: the missing ones, or all three when the date as a whole is wrong.
    marked = [p for p in PARTS if f"{BIRTH}-{p}" in errors.messages]
    typed = [values.get(f"{BIRTH}-{p}", "").strip() for p in PARTS]
    if marked == ["day"] and (typed[0] or not any(typed)):
        marked = list(PARTS)
    return _page(
        request,
        "consent/verify.html",
        language,
        status_code,
        title=_("Confirm who you are"),
        marked_parts=marked,
        values=dict(values),
        errors=errors,
        action=f"/consent/{token}",
        max_tries=MAX_TRIES,
    )


@router.get("/consent/{token}")
async def who_are_you(request: Request, token: str, language: LanguageDep) -> Response:
    """The first page: the case reference and the date of birth."""
    return _who_page(request, token, language, {}, FormErrors())


@router.post("/consent/{token}")
async def check_who(
    request: Request, token: str, session: SessionDep, language: LanguageDep, api: ConsentDep
) -> Response:
    """Check the details with the panel; on a match, keep them in the session and go on."""
    form = await _form(request, session)
    if form is None:
        return _problem_page(request, language, "form", 403)
    kept = {k: v for k, v in form.items() if k == REFERENCE or k.startswith(f"{BIRTH}-")}
    reference, born, errors = _identity(form, dt.datetime.now(dt.UTC).date())
    if errors:
        return _who_page(request, token, language, kept, errors, 400)
    try:
        found = await api.verify(token, reference=reference, date_of_birth=born)
    except ConsentLinkProblem as problem:
        if problem.status != 422:
            return _refused(request, language, problem)
        left = problem.attempts_left
        if left is not None and left <= 0:
            return _problem_page(request, language, "locked", 423)
        errors.add(REFERENCE, _("The case reference or date of birth does not match our records"))
        if left is not None:
            errors.add(
                "",
                ngettext(
                    "You can try %(num)d more time before the link is locked",
                    "You can try %(num)d more times before the link is locked",
                    left,
                )
                % {"num": left},
            )
        return _who_page(request, token, language, kept, errors, 422)
    holder = ConsentHolder(
        reference=str(found.get("reference") or reference),
        date_of_birth=born,
        route="guardian" if found.get("route") == "guardian" else "person",
        state=str(found.get("state", "")),
        can_withdraw=bool(found.get("can_withdraw")),
    )
    session.data.consent_holders[_key(token)] = holder
    session.data.consent_sent.pop(_key(token), None)
    session.mark()
    return _next(request, token, language, holder)


def _next(request: Request, token: str, language: str, verified: ConsentHolder) -> Response:
    """Where the link's state leads: the question, the offer to withdraw, or "already used"."""
    if verified.state == "awaiting_answer":
        return RedirectResponse(f"/consent/{token}/answer", status_code=303)
    if verified.can_withdraw:
        return RedirectResponse(f"/consent/{token}/withdraw", status_code=303)
    return _problem_page(request, language, "used", 409)


# --- The answer ---


def _answer_page(
    request: Request,
    token: str,
    language: str,
    verified: ConsentHolder,
    values: Mapping[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    guardian = verified.route == "guardian"
    return _page(
        request,
        "consent/answer.html",
        language,
        status_code,
        title=_("Do you agree to your child getting Channel support?")
        if guardian
        else _("Do you agree to getting Channel support?"),
        guardian=guardian,
        reference=verified.reference,
        values=dict(values),
        errors=errors,
        action=f"/consent/{token}/answer",
    )


@router.get("/consent/{token}/answer")
async def answer_form(
    request: Request, token: str, session: SessionDep, language: LanguageDep
) -> Response:
    """What Channel is, and the question: yes or no."""
    verified = _verified(session, token)
    if verified is None:
        return _start(token)
    if verified.state != "awaiting_answer":
        return _next(request, token, language, verified)
    return _answer_page(request, token, language, verified, {}, FormErrors())


@router.post("/consent/{token}/answer")
async def send_answer(
    request: Request, token: str, session: SessionDep, language: LanguageDep, api: ConsentDep
) -> Response:
    """Send the answer; the next page only acknowledges it."""
    form = await _form(request, session)
    if form is None:
        return _problem_page(request, language, "form", 403)
    verified = _verified(session, token)
    if verified is None:
        return _start(token)
    choice = form.get(ANSWER, "")
    if choice not in ("given", "refused"):
        errors = FormErrors()
        errors.add(
            ANSWER,
            _("Select yes if you agree to your child getting Channel support")
            if verified.route == "guardian"
            else _("Select yes if you agree to getting Channel support"),
        )
        return _answer_page(request, token, language, verified, {}, errors, 400)
    answer: Literal["given", "refused"] = "given" if choice == "given" else "refused"
    try:
        await api.answer(
            token,
            reference=verified.reference,
            date_of_birth=verified.date_of_birth,
            answer=answer,
        )
    except ConsentLinkProblem as problem:
        _forget(session, token)
        return _refused(request, language, problem)
    return _acknowledge(session, token, answer)


def _forget(session: Session, token: str) -> None:
    session.data.consent_holders.pop(_key(token), None)
    session.mark()


def _acknowledge(
    session: Session, token: str, kind: Literal["given", "refused", "withdrawn"]
) -> Response:
    """Drop the checked details and show the acknowledgement."""
    _forget(session, token)
    session.data.consent_sent[_key(token)] = kind
    return RedirectResponse(f"/consent/{token}/done", status_code=303)


@router.get("/consent/{token}/done")
async def acknowledgement(
    request: Request, token: str, session: SessionDep, language: LanguageDep
) -> Response:
    """The acknowledgement, and nothing of the case."""
    done = session.data.consent_sent.get(_key(token))
    if done is None:
        return _start(token)
    withdrawn = done == "withdrawn"
    return _page(
        request,
        "consent/done.html",
        language,
        title=_("Your withdrawal has been sent") if withdrawn else _("Your answer has been sent"),
    )


# --- Withdrawing consent given earlier ---


def _withdrawable(session: Session, token: str) -> ConsentHolder | None:
    verified = _verified(session, token)
    return verified if verified is not None and verified.can_withdraw else None


@router.get("/consent/{token}/withdraw")
async def withdraw_offer(
    request: Request, token: str, session: SessionDep, language: LanguageDep
) -> Response:
    """Consent was given: say what withdrawing means, and offer it."""
    verified = _withdrawable(session, token)
    if verified is None:
        return _start(token)
    guardian = verified.route == "guardian"
    return _page(
        request,
        "consent/withdraw.html",
        language,
        title=_("You have agreed to your child getting Channel support")
        if guardian
        else _("You have agreed to getting Channel support"),
        guardian=guardian,
        reference=verified.reference,
        confirm=f"/consent/{token}/withdraw/confirm",
    )


@router.get("/consent/{token}/withdraw/confirm")
async def withdraw_confirm(
    request: Request, token: str, session: SessionDep, language: LanguageDep
) -> Response:
    """The confirm step before withdrawing."""
    verified = _withdrawable(session, token)
    if verified is None:
        return _start(token)
    return _page(
        request,
        "consent/withdraw_confirm.html",
        language,
        title=_("Are you sure you want to withdraw consent?"),
        guardian=verified.route == "guardian",
        action=f"/consent/{token}/withdraw/confirm",
        back_link=f"/consent/{token}/withdraw",
    )


@router.post("/consent/{token}/withdraw/confirm")
async def withdraw(
    request: Request, token: str, session: SessionDep, language: LanguageDep, api: ConsentDep
) -> Response:
    """Withdraw consent; the next page only acknowledges it."""
    form = await _form(request, session)
    if form is None:
        return _problem_page(request, language, "form", 403)
    verified = _withdrawable(session, token)
    if verified is None:
        return _start(token)
    try:
        await api.withdraw(
            token, reference=verified.reference, date_of_birth=verified.date_of_birth
        )
    except ConsentLinkProblem as problem:
        _forget(session, token)
        return _refused(request, language, problem)
    return _acknowledge(session, token, "withdrawn")
