"""Who may see the statistics: aggregate figures only, never a case.

Prevent officers and Channel chairs manage by them; operators and auditors (oversight) see
them too, and through this API nothing but them. Partner referrers, panel members,
intervention providers and the people referred do not.
"""

from __future__ import annotations

from safeguard.codes import Role

AGGREGATE_ROLES: tuple[Role, ...] = (
    Role.PREVENT_OFFICER,
    Role.CHANNEL_CHAIR,
    Role.AUDITOR,
    Role.OPERATOR,
)
