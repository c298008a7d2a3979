"""Dependencies the pages share: API clients built with the signed-in person's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.web.auth import UserDep
from services.web.clients.assessment import AssessmentClient
from services.web.clients.audit import AuditClient
from services.web.clients.panel import PanelClient
from services.web.clients.statistics import StatisticsClient


def assessment_client(request: Request, user: UserDep) -> AssessmentClient:
    """The assessment API, as this officer."""
    state = request.app.state
    return AssessmentClient(state.http, state.api_urls["assessment"], user.access_token)


AssessmentDep = Annotated[AssessmentClient, Depends(assessment_client)]


def audit_client(request: Request, user: UserDep) -> AuditClient:
    """The audit API, as the signed-in auditor."""
    state = request.app.state
    return AuditClient(state.http, state.api_urls["audit"], user.access_token)


AuditDep = Annotated[AuditClient, Depends(audit_client)]


def panel_client(request: Request, user: UserDep) -> PanelClient:
    """The panel API, as the signed-in person."""
    state = request.app.state
    return PanelClient(state.http, state.api_urls["panel"], user.access_token)


PanelDep = Annotated[PanelClient, Depends(panel_client)]


def statistics_client(request: Request, user: UserDep) -> StatisticsClient:
    """The statistics API, as the signed-in person."""
    state = request.app.state
    return StatisticsClient(state.http, state.api_urls["statistics"], user.access_token)


StatisticsDep = Annotated[StatisticsClient, Depends(statistics_client)]

# Why a page reads a case: sent as X-Purpose, so the access log says why.
PURPOSES = {
    "triage": "triage",
    "gateway-assessment": "gateway assessment",
    "reassessment": "reassessment",
    "police-review": "police-led review",
    "transfer": "deciding on a transfer to my area",
}
# A task's kind names the work, and so the purpose of opening its case.
PURPOSE_OF_KIND = {
    "gateway_assessment": "gateway-assessment",
    "reassessment": "reassessment",
    "police_review": "police-review",
}
