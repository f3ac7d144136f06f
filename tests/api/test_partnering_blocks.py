"""Blocks and partner requests: an organisation is never offered the partner requests of an
organisation that blocks it, which would refuse its answer (403)."""

from fastapi.testclient import TestClient

from tests.factories import (
    Party,
    interest,
    leiden_university,
    liver_patients,
    liver_screening_call,
    publish,
)
from tests.helpers import assert_problem


def test_the_requests_an_organisation_fits_leave_out_those_of_organisations_blocking_it(
    client: TestClient, anonymous: TestClient
) -> None:
    """Leiden blocks the patient organisation: `GET /organisations/{id}/partner-requests` no
    longer ranks Leiden's request for it (it listed the request, whose answer is 403), and
    still ranks another publisher's; once the block is lifted, Leiden's is back."""
    call = liver_screening_call(client)
    blocker = leiden_university(client)
    other = Party(client, name="Another University", contact_email="x@another.example")
    patients = liver_patients(client)
    blocked = publish(blocker, call["id"])
    open_to_all = publish(other, call["id"])
    path = f"/organisations/{patients.id}/partner-requests"

    def ranked() -> set[int]:
        answer = anonymous.get(path)
        assert answer.status_code == 200, answer.text
        return {item["request"]["id"] for item in answer.json()["items"]}

    assert ranked() == {blocked["id"], open_to_all["id"]}
    block = blocker.client.post("/inbox/blocks", json={"organisation_id": patients.id})
    assert block.status_code == 201, block.text
    assert ranked() == {open_to_all["id"]}
    assert_problem(interest(patients, blocked["id"]), 403)
    assert blocker.client.delete(f"/inbox/blocks/{patients.id}").status_code == 204
    assert ranked() == {blocked["id"], open_to_all["id"]}
