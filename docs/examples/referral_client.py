"""A partner system's referral client: submit a referral safely, then follow its status.

Run it against `make run` with the key `safeguard agencies register` printed:

    SAFEGUARD_API_KEY=sg_... .venv/bin/python docs/examples/referral_client.py

The test suite runs this file against the real intake service (tests/docs/).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import httpx

REFERRAL: dict[str, Any] = {
    "referrer": {
        "name": "Alex Morgan",
        "role": "Designated safeguarding lead",
        "organisation": "Riverside Academy",
        "sector": "education",
        "email": "dsl@riverside.example.org",
    },
    "person": {"given_names": "Sam", "family_name": "Whitfield", "date_of_birth": "2010-03-14"},
    "concern": {"type": "mixed_unclear_unstable", "description": "Shared violent material."},
    "area": "E08000003",
}


class Refused(Exception):
    """The service refused the request: its problem document (RFC 9457) says why."""

    def __init__(self, answer: httpx.Response) -> None:
        problem = answer.json()
        super().__init__(f"{answer.status_code} {problem['title']}: {problem.get('detail', '')}")
        self.problem = problem


def submit(client: httpx.Client, referral: dict[str, Any], key: str) -> dict[str, Any]:
    """POST the referral under `key`; a retry with the same key never makes a second case."""
    while True:
        answer = client.post("/v1/referrals", json=referral, headers={"Idempotency-Key": key})
        if answer.status_code == 429:  # over the agreed rate: wait as told, then try again
            time.sleep(float(answer.headers["Retry-After"]))
            continue
        if answer.status_code != 201:
            raise Refused(answer)
        receipt: dict[str, Any] = answer.json()
        return receipt


def status(client: httpx.Client, reference: str) -> dict[str, Any]:
    """What the referrer may know: received, being_assessed or closed (never the outcome)."""
    answer = client.get(f"/v1/referrals/{reference}")
    if answer.status_code != 200:
        raise Refused(answer)
    found: dict[str, Any] = answer.json()
    return found


def main(base_url: str, api_key: str) -> dict[str, Any]:
    """Submit once, retry as a client that lost the answer would, and read the status."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        key = str(uuid.uuid4())  # one new key per referral, kept with it until it is accepted
        receipt = submit(client, REFERRAL, key)
        retried = submit(client, REFERRAL, key)
        assert retried["reference"] == receipt["reference"]  # noqa: S101 - the same referral
        return status(client, receipt["reference"])


if __name__ == "__main__":
    url = os.environ.get("SAFEGUARD_INTAKE_URL", "http://127.0.0.1:8001")
    print(main(url, os.environ["SAFEGUARD_API_KEY"]))  # noqa: T201
