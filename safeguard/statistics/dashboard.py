"""The Prevent lead's figures for a period and scope: count tables (protected as the release's
are), shares worked out from the published counts, and medians and percentiles of the time
cases spend in each stage, withheld where the cases behind them are too few.

Pure: `services/statistics/dashboard.py` counts the facts; this module decides the tables,
their wording and atoms, and what may be shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from safeguard.calendar import add_working_days, working_days_between
from safeguard.statistics.areas import Scope
from safeguard.statistics.periods import Period, local_day, period_of
from safeguard.statistics.quantiles import quantile
from safeguard.statistics.tables import Cell, Release, Row, Table

TASKS = {
    "gateway_assessment": "Gateway assessments",
    "reassessment": "Reassessments",
    "police_review": "Police-led reviews",
    "consent_reassessment": "Reassessments after consent was not given",
    "support_review": "Support plan reviews",
    "post_exit_review": "Post-exit reviews",
}
CONSENT = {
    "given": "Given",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
    "no_response": "Expired unanswered",
    "awaiting": "Awaiting an answer",
}
GATEWAY = {
    "within": "Within the target",
    "late": "Assessed after the target",
    "overdue": "Not yet assessed, past due",
}
REFERRALS = {"first": "First referral", "re": "Re-referral"}
REVIEWS = {"support_review": "Support plan reviews", "post_exit_review": "Post-exit reviews"}
REVIEW_STATUS = {"on_time": "On time", "late": "Late", "not_held": "Not yet held"}
STAGES = {
    "GATEWAY_ASSESSMENT": "Gateway assessment",
    "POLICE_LED": "Police-led case management",
    "CONSENT_PENDING": "Waiting for consent",
    "CONSENT_REFUSED": "Consent not given, waiting for reassessment",
    "PANEL_CONSIDERATION": "Panel consideration",
    "SUPPORT_ACTIVE": "Support",
    "POST_EXIT_REVIEW": "Post-exit reviews",
}
WORKING_DAYS_ROW = "Gateway assessment, working days to the first assessment"
NOTES: dict[int, str] = {
    1: "Gateway assessments of referrals received in the period. Within the target: first"
    " recorded by the due date the case was given (working days after the referral arrived,"
    " skipping weekends and bank holidays). Referrals not yet assessed and not yet due are not"
    " counted.",
    2: "Counts from 1 to {below} are shown as [c] (suppressed), and so are further cells"
    " chosen so that no suppressed number can be worked out from the totals.",
    3: "Work open now, whatever the period: overdue once past its due date.",
    4: "Consent requests made in the period, by what became of them.",
    5: "Reviews due in the period up to today. On time: held by the date it was due (the"
    " case system escalates a review some days after that).",
    6: "Stages cases left in the period: days from entering the stage to leaving it."
    " Medians and 90th percentiles are withheld ([c]) where the cases are suppressed.",
    7: "A re-referral is a referral linked to an earlier referral of the same person.",
}


@dataclass(frozen=True)
class GatewayFact:
    """One referral received in the period: when, when due, when first assessed."""

    received_at: dt.datetime
    due_at: dt.datetime | None
    assessed_at: dt.datetime | None


@dataclass(frozen=True)
class Target:
    """The working-day target used where a referral's events carry no due date."""

    working_days: int
    subdivision: str


@dataclass(frozen=True)
class DashboardFacts:
    """What the read model counted for one period and scope."""

    gateway: Sequence[GatewayFact]
    open_tasks: Mapping[tuple[str, bool], int]  # (kind, overdue) -> tasks
    consents: Mapping[str, int]  # decision, or "awaiting" -> requests
    reviews: Mapping[tuple[str, str], int]  # (kind, status) -> reviews
    referrals: Mapping[bool, int]  # re-referral -> referrals
    stage_days: Mapping[str, Sequence[float]]  # stage -> days spent, per visit


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of a stage's times, in `unit`."""

    unit: str
    median: float
    p90: float


@dataclass(frozen=True)
class Dashboard:
    """The count tables (as a release, for disclosure control) and the spreads of the rows of
    the time-in-stage table, by row label."""

    release: Release
    spreads: dict[str, Spread] = field(default_factory=dict)


class _Atoms:
    def __init__(self) -> None:
        self._ids: dict[tuple[str, ...], int] = {}

    def cell(self, counts: Mapping[tuple[str, ...], int], keys: Sequence[tuple[str, ...]]) -> Cell:
        atoms = frozenset(self._ids.setdefault(k, len(self._ids)) for k in keys)
        return Cell(sum(counts.get(k, 0) for k in keys), atoms)


def _grid(
    atoms: _Atoms,
    counts: Mapping[tuple[str, ...], int],
    rows: Mapping[str, str],
    columns: Mapping[str, str],
    prefix: str,
) -> tuple[Row, ...]:
    """Rows by columns with a Total column (if several) and a Total row."""
    cols: list[list[str]] = [[c] for c in columns] + ([list(columns)] if len(columns) > 1 else [])

    def row(label: str, keys: list[str]) -> Row:
        cells = [atoms.cell(counts, [(prefix, r, c) for r in keys for c in col]) for col in cols]
        return Row(label, tuple(cells), total=len(keys) > 1)

    return (*(row(label, [code]) for code, label in rows.items()), row("Total", list(rows)))


def build_dashboard(
    facts: DashboardFacts, *, period: Period, scope: Scope, now: dt.datetime, target: Target
) -> Dashboard:
    """Every table of the dashboard, unsuppressed (see `disclosure.protect`)."""
    atoms = _Atoms()
    where = f"{scope.name}, {period.label}"
    buckets, gateway, working_days = _gateway(facts.gateway, period, now, target)
    counts: dict[tuple[str, ...], int] = {("gateway", *k): n for k, n in gateway.items()}
    counts |= {
        ("tasks", k, "overdue" if late else "open"): n for (k, late), n in facts.open_tasks.items()
    }
    counts |= {("consent", k, "n"): n for k, n in facts.consents.items()}
    counts |= {("reviews", k, s): n for (k, s), n in facts.reviews.items()}
    counts |= {("referrals", "re" if re else "first", "n"): n for re, n in facts.referrals.items()}
    counts |= {("stages", s, "n"): len(days) for s, days in facts.stage_days.items()}
    gateway_rows = _grid(atoms, counts, buckets, GATEWAY, "gateway")
    assessed = atoms.cell(counts, [("gateway", b, s) for b in buckets for s in ("within", "late")])
    tables = [
        _table(
            "Dash_1",
            f"Gateway assessments within the target, {where}",
            "Received in",
            (*GATEWAY.values(), "Total"),
            gateway_rows,
            (1,),
        ),
        _table(
            "Dash_2",
            f"Work open now, {scope.name}",
            "Work",
            ("Not yet due", "Overdue", "Total"),
            _grid(atoms, counts, TASKS, {"open": "", "overdue": ""}, "tasks"),
            (3,),
        ),
        _table(
            "Dash_3",
            f"Consent requests, {where}",
            "What became of the request",
            ("Requests",),
            _grid(atoms, counts, CONSENT, {"n": ""}, "consent"),
            (4,),
        ),
        _table(
            "Dash_4",
            f"Reviews due, {where}",
            "Review",
            (*REVIEW_STATUS.values(), "Total"),
            _grid(atoms, counts, REVIEWS, REVIEW_STATUS, "reviews"),
            (5,),
        ),
        _table(
            "Dash_5",
            f"Referrals and re-referrals, {where}",
            "Referral",
            ("Referrals",),
            _grid(atoms, counts, REFERRALS, {"n": ""}, "referrals"),
            (7,),
        ),
        _stages_table(atoms, counts, where, assessed),
    ]
    spreads = {
        STAGES[s]: _spread(days, "days")
        for s, days in facts.stage_days.items()
        if s in STAGES and days
    }
    if working_days:
        spreads[WORKING_DAYS_ROW] = _spread([float(d) for d in working_days], "working days")
    release = Release(
        title="The Prevent lead's figures",
        period=period.label,
        scope=scope.name,
        tables=tuple(tables),
        notes=dict(NOTES),
    )
    return Dashboard(release, spreads)


def _table(
    code: str,
    title: str,
    heading: str,
    columns: tuple[str, ...],
    rows: tuple[Row, ...],
    notes: tuple[int, ...],
) -> Table:
    return Table(code, title, heading, columns, rows, notes=(*notes, 2))


def _stages_table(
    atoms: _Atoms, counts: Mapping[tuple[str, ...], int], where: str, assessed: Cell
) -> Table:
    """Cases behind each stage's times; the working-days row counts the assessed referrals
    (the same atoms as the gateway table's assessed cells, so protected alike)."""
    rows = [Row(label, (atoms.cell(counts, [("stages", s, "n")]),)) for s, label in STAGES.items()]
    rows.insert(1, Row(WORKING_DAYS_ROW, (assessed,)))
    return Table(
        "Dash_6", f"Time in each stage, {where}", "Stage", ("Cases",), tuple(rows), notes=(6, 2)
    )


def _spread(values: Sequence[float], unit: str) -> Spread:
    return Spread(unit, round(quantile(values, 0.5), 1), round(quantile(values, 0.9), 1))


def _gateway(
    facts: Sequence[GatewayFact], period: Period, now: dt.datetime, target: Target
) -> tuple[dict[str, str], dict[tuple[str, str], int], list[int]]:
    """The trend's buckets (quarters of a year, months of a quarter), counts within and
    outside the target by bucket, and the working days each assessed referral took."""
    buckets = _buckets(period)
    counts: dict[tuple[str, str], int] = {}
    taken: list[int] = []
    for fact in facts:
        due = fact.due_at or add_working_days(
            fact.received_at, target.working_days, subdivision=target.subdivision
        )
        done = fact.assessed_at
        if done is None and now <= due:
            continue  # not yet due: neither within nor outside
        status = "overdue" if done is None else "within" if done <= due else "late"
        key = (_bucket(local_day(fact.received_at), period), status)
        counts[key] = counts.get(key, 0) + 1
        if done is not None:
            taken.append(
                working_days_between(
                    local_day(fact.received_at), local_day(done), subdivision=target.subdivision
                )
            )
    return buckets, counts, taken


def _buckets(period: Period) -> dict[str, str]:
    if period.quarter is None:
        return {f"Q{q}": Period(period.year, q).label for q in range(1, 5)}
    first = period.start
    months = [
        dt.date(first.year + (first.month + i - 1) // 12, (first.month + i - 1) % 12 + 1, 1)
        for i in range(3)
    ]
    return {f"{m:%Y-%m}": f"{m:%B %Y}" for m in months}


def _bucket(day: dt.date, period: Period) -> str:
    return f"Q{period_of(day).quarter}" if period.quarter is None else f"{day:%Y-%m}"
