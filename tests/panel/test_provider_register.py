"""The approved-provider register: kept by the chair with If-Match, read by the panel, and the
only place support plans choose providers from (unknown, inactive, expired, out-of-area or
wrong-support providers refused); a registered provider still sees its items."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from safeguard.codes import Role
from safeguard.settings import PanelSettings
from tests.helpers import assert_eventually
from tests.panel.conftest import Pipeline, serve_panel
from tests.panel.driver import OTHER_AREA, plan, provider_entry
from tests.panel.test_exit_reasons import supported

YESTERDAY = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)).isoformat()


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "support", "areas", "national", "approved_until", "active")
    return {name: entry[name] for name in keep}


async def test_the_chair_keeps_the_register_with_if_match(system: Pipeline) -> None:
    """Before: there was no register (404 on /v1/providers)."""
    d = system.driver
    entry = provider_entry("youth-hub", support=["educational", "vocational"])
    created = await d.call("POST", "/v1/providers", json=entry | {"national": False})
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.json()["usable"] and created.json()["areas"] == []
    again = await d.call("POST", "/v1/providers", json=entry)
    assert (again.status_code, again.json()["title"]) == (409, "Provider already registered")

    path = "/v1/providers/youth-hub"
    change = _fields(created.json()) | {"areas": [OTHER_AREA, "E08000003"]}
    missing = await d.call("PUT", path, json=change)
    assert missing.status_code == 428
    updated = await d.call("PUT", path, json=change, headers=d.staff.chair() | {"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["areas"] == ["E08000003", OTHER_AREA]  # sorted
    assert updated.headers["etag"] == '"2"'
    stale = await d.call("PUT", path, json=change, headers=d.staff.chair() | {"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["title"]) == (412, "Precondition failed")

    off = await d.call("POST", f"{path}/deactivate", headers=d.staff.chair() | {"If-Match": '"2"'})
    assert off.status_code == 200, off.text
    assert (off.json()["active"], off.json()["usable"], off.json()["version"]) == (False, False, 3)

    member = system.staff.member()
    listed = await d.ok("GET", "/v1/providers", headers=member, params={"area": OTHER_AREA})
    assert [p["id"] for p in listed] == ["youth-hub"]
    assert await d.ok("GET", "/v1/providers", params={"usable": "true"}) == []
    unknown = await d.call("GET", "/v1/providers/nobody")
    assert (unknown.status_code, unknown.json()["title"]) == (404, "Unknown provider")
    logged = await system.rows(
        "SELECT action, detail FROM audit.log_entries WHERE action LIKE 'panel.provider_%'"
        " AND detail->>'provider_id' = 'youth-hub' ORDER BY id"
    )
    assert [row["action"] for row in logged] == [
        "panel.provider_registered",
        "panel.provider_updated",
        "panel.provider_deactivated",
    ]
    assert "Provider youth-hub" not in str(logged)  # the name may be a person's


@pytest.mark.parametrize(
    "role", [Role.PANEL_MEMBER, Role.AUDITOR, Role.INTERVENTION_PROVIDER, Role.PREVENT_OFFICER]
)
async def test_other_roles_do_not_keep_the_register(system: Pipeline, role: Role) -> None:
    answer = await system.driver.call(
        "POST",
        "/v1/providers",
        headers=system.staff.headers(role),
        json=provider_entry(f"by-{role.value}".replace("_", "-")),
    )
    assert (answer.status_code, answer.json()["title"]) == (403, "Forbidden")


async def test_a_deployment_may_give_the_register_to_another_role(system: Pipeline) -> None:
    keepers = PanelSettings(provider_register_roles=[Role.PANEL_MEMBER])
    settings = system.settings.model_copy(update={"panel": keepers})
    async with serve_panel(settings, system.temporal, consume=False) as url:
        member = await system.http.post(
            f"{url}/v1/providers",
            headers=system.staff.member(),
            json=provider_entry("member-kept"),
        )
        chair = await system.http.post(
            f"{url}/v1/providers", headers=system.staff.chair(), json=provider_entry("chair-kept")
        )
    assert (member.status_code, chair.status_code) == (201, 403)


REFUSED = {
    "Unknown provider": None,
    "Provider inactive": {"active": False},
    "Provider approval expired": {"approved_until": YESTERDAY},
    "Provider not approved in the area": {"national": False, "areas": [OTHER_AREA]},
    "Provider not approved for the support": {"support": ["educational"]},
}


async def _registered(system: Pipeline, provider_id: str, change: dict[str, Any] | None) -> None:
    """An entry, changed as asked (none at all for None)."""
    if change is None:
        return
    d = system.driver
    created = await d.ok("POST", "/v1/providers", json=provider_entry(provider_id))
    await d.ok(
        "PUT",
        f"/v1/providers/{provider_id}",
        json=_fields(created) | change,
        headers=d.staff.chair() | {"If-Match": '"1"'},
    )


async def test_plans_choose_only_usable_providers_for_the_case(system: Pipeline) -> None:
    """Before: any provider id was accepted, typed freely."""
    d = system.driver
    reference = await supported(system)
    await d.register("mentor-b")
    path = f"/v1/cases/{reference}/support-plan"
    for number, (title, change) in enumerate(REFUSED.items()):
        provider = f"refused-{number}"
        await _registered(system, provider, change)
        answer = await d.call("POST", path, json=plan("mentor-b", provider))
        problem = answer.json()
        assert (answer.status_code, problem["title"]) == (422, title), answer.text
        assert problem["errors"][0]["field"] == "interventions.1.provider_id"
        assert provider not in answer.text  # an error never echoes what was sent
        review = {"decision": "revise", "notes": "New mentor.", "plan": plan(provider)}
        answer = await d.call("POST", f"/v1/cases/{reference}/support-reviews", json=review)
        assert (answer.status_code, answer.json()["title"]) == (422, title)
    view = await d.ok("GET", f"/v1/cases/{reference}")
    assert view["status"]["plan_revision"] == 1  # nothing refused reached the case

    # What the plan form offers: usable today in the case's area, whatever the support.
    choices = await d.ok("GET", f"/v1/cases/{reference}/providers")
    assert [p["id"] for p in choices] == ["mentor-a", "mentor-b", "refused-4"]


async def test_a_registered_provider_is_chosen_and_still_sees_its_items(system: Pipeline) -> None:
    d = system.driver
    reference = await supported(system)
    entry = provider_entry("college-c", national=False, areas=["E08000003"])
    await d.ok("POST", "/v1/providers", json=entry | {"support": ["ideological_mentoring"]})
    revised = await d.ok(
        "POST", f"/v1/cases/{reference}/support-plan", json=plan("mentor-a", "college-c")
    )
    assert revised["plan_revision"] == 2
    college = system.staff.provider("college-c")

    async def items() -> list[Any]:
        return list(await d.ok("GET", "/v1/provider/items", headers=college))

    found = await assert_eventually(items, lambda listed: listed != [])
    assert [(i["reference"], i["provider_id"], i["revision"]) for i in found] == [
        (reference, "college-c", 2)
    ]
