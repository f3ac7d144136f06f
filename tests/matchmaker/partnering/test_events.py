"""Notification events: the matching of one item against every saved search at once, and the
jobs and reminders the delivery pass turns into outbox messages, each thing notified once."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from matchmaker.importers.runner import import_organisations_json
from matchmaker.matching.text import call_text, organisation_text
from matchmaker.partnering.delivery import deliver_digests, deliver_pending
from matchmaker.partnering.fanout import GAP_PROFILES_PER_PASS, PassContext, run_events
from matchmaker.partnering.saved_searches import (
    SearchIndex,
    call_counts,
    relevance,
    stored_calls,
)
from models.call import Call
from models.organisation import Organisation
from models.partnering import OutboxMessage
from models.saved_search import DEFAULT_THRESHOLD, NotificationJob, SavedSearch, SearchTarget
from tests.factories import create_call, create_organisation, organisation_payload
from tests.helpers import keyed
from tests.matchmaker.partnering.smtp import Recorder, loopback_sender, smtp_server, worker_pass

BASE = "https://matchmaker.example"
FAR = "2099-01-31"


def search(search_id: int, owner: int, text: str, **fields: Any) -> SavedSearch:
    """A stored-looking saved search for the pure index tests."""
    return SavedSearch(id=search_id, organisation_id=owner, target="calls", text=text, **fields)


CORPUS = [
    search(1, 10, "liquid biopsy early cancer detection"),
    search(2, 11, "rare cancer clinical trials in children", threshold=0.05),
    search(3, 12, "remote working labour market"),
    search(4, 13, "digital pathology", programme="IHI"),
    search(5, 14, "liquid biopsy", stakeholder_types=["sme"]),
    search(6, 15, "liquid biopsy", threshold=0.99),
]
CALL = "Liquid biopsy and digital pathology for earlier cancer detection in clinics"


@pytest.fixture
def index() -> SearchIndex:
    """The six searches above, indexed."""
    return SearchIndex(CORPUS, [row.text for row in CORPUS])


def test_index_scores_every_search_by_its_relevance(index: SearchIndex) -> None:
    """The scores are each search's `relevance` for the item, computed one pair at a time."""
    hits = index.match(CALL, programme="IHI")
    assert {hit.search_id for hit in hits} == {1, 2, 4, 5}
    texts = {row.id: row.text for row in CORPUS}
    for hit in hits:
        assert hit.score == pytest.approx(relevance(texts[hit.search_id], CALL))
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_relevance_is_the_cosine_of_the_two_whole_texts() -> None:
    """Symmetric, 1 for a text and itself, 0 for texts sharing no term; weighed over the item's
    every term, so a text that names a search's words once among many others scores far less
    than one about them."""
    focused = "Liquid biopsy assays: circulating tumour DNA in blood for early cancer detection."
    diluted = "Liquid biopsy is one tool among many. " + " ".join(
        f"cardiology renal imaging dialysis stroke{n} registry{n}" for n in range(40)
    )
    assert relevance("liquid biopsy", focused) == pytest.approx(relevance(focused, "liquid biopsy"))
    assert relevance(focused, focused) == pytest.approx(1.0)
    assert relevance("liquid biopsy", "Municipal waste water treatment") == 0.0
    assert relevance("liquid biopsy", focused) > 3 * relevance("liquid biopsy", diluted) > 0
    # Call boilerplate weighs least: sharing "expected outcomes" counts less than sharing
    # "biopsy", each once in the same text.
    item = "Expected outcomes of the biopsy project."
    assert relevance("expected outcomes", item) < relevance("biopsy", item)


def test_a_search_scores_an_item_the_same_whatever_else_is_saved() -> None:
    """An item's relevance to a search depends on the two texts alone: saving other searches,
    with other words, changes none of it (it did when the searches' own vocabulary weighed the
    item: one search alone scored a long text naming its words once near 100%)."""
    diluted = "Liquid biopsy is one tool among many. " + " ".join(
        f"cardiology renal imaging dialysis stroke{n} registry{n}" for n in range(40)
    )
    alone = SearchIndex([CORPUS[4]], [CORPUS[4].text]).match(diluted)
    crowded = SearchIndex(
        [*CORPUS, search(7, 16, "cardiology renal imaging dialysis")],
        [*(row.text for row in CORPUS), "cardiology renal imaging dialysis"],
    ).match(diluted)
    assert [hit.score for hit in alone] == pytest.approx(
        [hit.score for hit in crowded if hit.search_id == 5]
    )
    assert alone[0].score < 0.2


def test_wording_the_stored_calls_share_weighs_less() -> None:
    """A word every stored call uses weighs as the wording calls share: sharing only "patient"
    with a search counts less where the calls all speak of patients than with the shipped
    table alone (counted outside health), and a distinctive shared word not at all less."""
    health_calls = [
        f"Patient {topic} {number}: patient needs and patient pathways in care."
        for topic in ("registries", "engagement", "reported outcomes", "safety", "access")
        for number in range(60)
    ]
    calls = call_counts(health_calls)
    item = "Patient organisations and liquid biopsy for early detection."
    assert relevance("patient", item, calls) < 0.8 * relevance("patient", item)
    assert relevance("biopsy", item, calls) > relevance("patient", item, calls)


def test_stored_calls_are_counted_again_only_when_a_call_changes(
    client: TestClient, engine: Engine
) -> None:
    """The counts are kept while no call is stored, changed or deleted: the same counts for
    the next pass or page, new ones that count a call once it is stored, and a changed call's
    new words, always what counting every stored call afresh gives."""

    def afresh(session: Session) -> dict[str, int]:
        return dict(
            call_counts(call_text(call) for call in session.scalars(select(Call))).frequencies
        )

    with Session(engine) as session:
        first = stored_calls(session)
        assert stored_calls(session) is first
    call = create_call(client, opening_date=None, deadline=FAR)
    create_call(client, identifier="IHI-2099-01-01", opening_date=None, deadline=FAR)
    with Session(engine) as session:
        second = stored_calls(session)
        assert stored_calls(session) is second
        assert dict(second.frequencies) == afresh(session)
    assert second is not first
    assert second.calls == first.calls + 2
    assert "zebrafish" not in second.frequencies
    changed = client.patch(
        f"/calls/{call['id']}", json={"description": "Zebrafish models of liver disease."}
    )
    assert changed.status_code == 200, changed.text
    with Session(engine) as session:
        third = stored_calls(session)
        assert dict(third.frequencies) == afresh(session)
    assert third.calls == second.calls
    assert third.frequencies["zebrafish"] == second.frequencies.get("zebrafish", 0) + 1


def test_index_applies_thresholds_and_filters(index: SearchIndex) -> None:
    """A foreign text matches nothing; a programme, a type and the publisher filter out."""
    found = index.match("Remote working arrangements and the labour market")
    assert [(hit.search_id, hit.organisation_id) for hit in found] == [(3, 12)]
    assert index.match("Municipal waste water treatment plants") == []
    # Another programme: the IHI-only search drops out; a call requiring only academia: the
    # SME-only search drops out; a call asking no type keeps it.
    assert 4 not in {hit.search_id for hit in index.match(CALL, programme="EIC")}
    assert 5 not in {hit.search_id for hit in index.match(CALL, stakeholder_types=["academia"])}
    assert 5 in {hit.search_id for hit in index.match(CALL, stakeholder_types=[])}
    assert 1 not in {hit.search_id for hit in index.match(CALL, exclude_organisation=10)}


def test_index_agrees_with_a_brute_force_over_many_searches() -> None:
    """On 500 random searches the vectorised masks pick exactly what a per-search loop does."""
    rng = np.random.default_rng(7)
    words = ["biopsy", "cancer", "pathology", "trial", "children", "robot", "water", "soil"]
    types = ["sme", "academia", "industry"]
    rows = []
    for number in range(1, 501):
        text = " ".join(rng.choice(words, size=int(rng.integers(1, 4)), replace=False))
        rows.append(
            search(
                number,
                number % 37,
                text,
                threshold=float(rng.choice([0.0, 0.1, 0.3, 0.6])),
                stakeholder_types=list(rng.choice(types, size=int(rng.integers(0, 2)))),
                programme=str(rng.choice(["IHI", "EIC"])) if rng.random() < 0.3 else None,
            )
        )
    index = SearchIndex(rows, [row.text for row in rows])
    ids = [row.id or 0 for row in rows]
    scores = {row.id: relevance(row.text, CALL) for row in rows}
    expected = {
        number
        for number, row in zip(ids, rows, strict=True)
        if scores[number] > 0
        and scores[number] >= row.threshold
        and (not row.stakeholder_types or "sme" in row.stakeholder_types)
        and (row.programme is None or row.programme == "IHI")
        and row.organisation_id != 3
    }
    found = index.match(CALL, stakeholder_types=["sme"], programme="ihi", exclude_organisation=3)
    assert {hit.search_id for hit in found} == expected


# The pass, on a real database (SQLite and PostgreSQL), through the API


def outbox(engine: Engine) -> list[OutboxMessage]:
    """Every outbox message, oldest first."""
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def pending_jobs(engine: Engine) -> int:
    """How many jobs wait to be expanded."""
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(NotificationJob)
            .where(col(NotificationJob.done_at).is_(None))
        )
        return int(count or 0)


def run(engine: Engine, *, on: date | None = None) -> Any:
    """One events pass, on a given day (today by default)."""
    now = datetime.now(UTC) if on is None else datetime.combine(on, datetime.min.time(), UTC)
    return run_events(engine, base_url=BASE, clock=lambda: now)


class Orgs:
    """A few organisations with their keys."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def new(self, **fields: Any) -> tuple[int, TestClient]:
        """Register one; its id and a client with its key."""
        body = create_organisation(self.client, **fields)
        return body["id"], keyed(self.client, body["api_key"])


@pytest.fixture
def orgs(client: TestClient) -> Orgs:
    """A factory of organisations."""
    return Orgs(client)


def save(owner: tuple[int, TestClient], **body: Any) -> int:
    """Save a search for the organisation; its id."""
    organisation_id, client = owner
    answer = client.post(f"/organisations/{organisation_id}/saved-searches", json=body)
    assert answer.status_code == 201, answer.text
    search_id: int = answer.json()["id"]
    return search_id


def test_new_call_notifies_fitting_saved_searches_once(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A call is announced to the text search and the profile search it fits, not to a foreign
    one; the job is written with the call and a second pass sends nothing more."""
    watcher = orgs.new(name="Biopsy Watchers", contact_email="watch@biopsy.example")
    profiled = orgs.new(name="Leiden Oncology")  # the factory's profile: liquid biopsy
    foreign = orgs.new(name="Soil Institute", description="Soil microbiology and agronomy.")
    save(watcher, target="calls", text="liquid biopsy cancer detection", programme="IHI")
    save(profiled, target="calls", fits_profile=True)
    save(foreign, target="calls", text="soil microbiome agronomy")
    run(engine)  # the profiles' own jobs
    before = len(outbox(engine))
    call = create_call(client, opening_date=None, deadline=FAR)
    assert pending_jobs(engine) == 1
    done = run(engine)
    assert (done.jobs, done.messages) == (1, 2)
    messages = outbox(engine)[before:]
    assert sorted(message.organisation_id for message in messages) == sorted(
        [watcher[0], profiled[0]]
    )
    assert {message.event for message in messages} == {"call_matches_search"}
    assert all(message.subject.startswith("New call: IHI-2023-05-02") for message in messages)
    # The link opens the call's web page: people click it in a mail program, where the JSON
    # API's own address would show them raw data.
    link = f"{BASE}/ui/calls/{call['id']}\n\nIt matches your saved search "
    assert all(link in message.body for message in messages)
    # The profile search is named as its page heads it, in quotes like a text search.
    [to_profiled] = [message for message in messages if message.organisation_id == profiled[0]]
    assert 'It matches your saved search "calls that fit your profile" (relevance' in (
        to_profiled.body
    )
    assert all(
        message.body.endswith(f"To change or delete your saved searches: {BASE}/ui/saved-searches")
        for message in messages
    )
    assert (run(engine).jobs, len(outbox(engine))) == (0, before + 2)


def test_refused_call_writes_no_job(client: TestClient, engine: Engine) -> None:
    """A call refused (its identifier taken) rolls back with its job: nothing to announce."""
    create_call(client, opening_date=None, deadline=FAR)
    assert pending_jobs(engine) == 1
    answer = client.post(
        "/calls",
        json={"identifier": "IHI-2023-05-02", "title": "Again", "programme": "IHI"},
    )
    assert answer.status_code == 409
    assert pending_jobs(engine) == 1


def test_job_run_again_after_a_crash_notifies_nobody_twice(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A job found pending again (a pass killed after its messages were written) is expanded
    again without a second message: the keys were written with the messages."""
    watcher = orgs.new(name="Biopsy Watchers")
    save(watcher, target="calls", text="liquid biopsy")
    run(engine)
    create_call(client, opening_date=None, deadline=FAR)
    assert run(engine).messages == 1
    with Session(engine) as session:
        session.execute(update(NotificationJob).values(done_at=None))
        session.commit()
    again = run(engine)
    # The watcher's profile and the call: two jobs again, no message.
    assert (again.jobs, again.messages) == (2, 0)
    assert len([m for m in outbox(engine) if m.event == "call_matches_search"]) == 1


LIVER_CALL = {
    "identifier": "HORIZON-HLTH-2027-LIVER-01",
    "title": "Liver fibrosis staging without biopsy",
    "programme": "HORIZON",
    "description": "Non-invasive staging of liver fibrosis in NASH: imaging, elastography and "
    "blood biomarkers to replace the liver biopsy.",
}


def test_a_call_matching_two_searches_of_one_organisation_is_one_message_naming_both(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """An organisation two of whose searches match a new call gets one message naming both,
    each with its relevance and threshold, and its digest lists the call once (it got two
    e-mails seconds apart with the same subject, and the digest listed the call twice); one
    with a single matching search still reads "your saved search"; a pass run again after a
    crash writes nothing more."""
    hepatology = orgs.new(name="Hepatology Lab", contact_email="hep@lab.example")
    single = orgs.new(name="Fibrosis Watchers", contact_email="watch@fibrosis.example")
    fibrosis = save(hepatology, target="calls", text="liver fibrosis")
    save(hepatology, target="calls", text="NASH biomarkers", threshold=0.01)
    save(hepatology, target="calls", text="soil microbiome agronomy")
    alone = save(single, target="calls", text="liver fibrosis")
    daily = hepatology[1].put(
        f"/organisations/{hepatology[0]}/notification-preferences", json={"email": "daily"}
    )
    assert daily.status_code == 200, daily.text
    run(engine)
    before = len(outbox(engine))
    call = create_call(client, opening_date=None, deadline=FAR, **LIVER_CALL)
    done = run(engine)
    assert (done.jobs, done.messages) == (1, 2)
    messages = outbox(engine)[before:]
    by_owner = {message.organisation_id: message for message in messages}
    assert sorted(by_owner) == sorted([hepatology[0], single[0]])
    both, one = by_owner[hepatology[0]], by_owner[single[0]]
    subject = "New call: HORIZON-HLTH-2027-LIVER-01 Liver fibrosis staging without biopsy"
    assert (both.subject, one.subject) == (subject, subject)
    # The more relevant search first, and the one the webhook's `about` names.
    reason = re.search(r"It matches your saved searches (.*)\. To change", both.body)
    assert reason is not None
    assert re.fullmatch(
        r'"liver fibrosis" \(relevance \d+%; you asked for at least 3%\) and '
        r'"NASH biomarkers" \(relevance \d+%; you asked for at least 1%\)',
        reason.group(1),
    ), reason.group(1)
    assert both.about_ids == {"call_id": call["id"], "saved_search_id": fibrosis}
    assert re.search(
        r'It matches your saved search "liver fibrosis" \(relevance \d+%; you asked for at '
        r"least 3%\)\. ",
        one.body,
    )
    assert one.about_ids == {"call_id": call["id"], "saved_search_id": alone}
    with Session(engine) as session:
        session.execute(update(NotificationJob).values(done_at=None))
        session.commit()
    assert run(engine).messages == 0
    assert len(outbox(engine)) == before + 2
    # E-mail: one at once to the single search's owner, one digest listing the call once.
    tomorrow = datetime.now(UTC) + timedelta(days=1, seconds=5)
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        mail: dict[str, Any] = {"send": sender, "mail_from": "mm@example.org", "base_url": BASE}
        assert deliver_pending(engine, **mail).sent == 1
        assert deliver_digests(engine, **mail, clock=lambda: tomorrow).digests == 1
    at_once, digest = recorder.messages
    assert (at_once["To"], at_once["X-Matchmaker-Event"]) == (
        "watch@fibrosis.example",
        "call_matches_search",
    )
    assert (digest["To"], digest["X-Matchmaker-Event"]) == ("hep@lab.example", "digest")
    assert digest.get_content().count("HORIZON-HLTH-2027-LIVER-01 Liver fibrosis") == 1


def test_a_search_saved_after_an_organisation_heard_of_a_profile_is_named_alone(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """Each search keeps its own key inside the one message: when a profile changes again,
    the organisation hears only of the search it had not heard from (not again of the one
    that already told it, nor a search saved after the change)."""
    watcher = orgs.new(name="Liver Watchers", stakeholder_type="sme")
    first = save(watcher, target="organisations", text="liver disease patients")
    run(engine)
    before = len(outbox(engine))
    patients = orgs.new(
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Patients living with liver disease, their families and carers.",
    )
    assert run(engine).messages == 1
    second = save(watcher, target="organisations", text="patient panels liver")
    changed = patients[1].patch(
        f"/organisations/{patients[0]}",
        json={"description": "Patient panels on liver disease, for patients and carers."},
    )
    assert changed.status_code == 200, changed.text
    save(watcher, target="organisations", text="liver carers")  # saved after the change
    assert run(engine).messages == 1
    told, again = outbox(engine)[before:]
    assert (
        told.subject == again.subject == "An organisation for your search: European Liver Patients"
    )
    assert 'It matches your saved search "liver disease patients" (relevance' in told.body
    assert 'It matches your saved search "patient panels liver" (relevance' in again.body
    assert [told.about_ids, again.about_ids] == [
        {"saved_search_id": first},
        {"saved_search_id": second},
    ]


def test_a_profile_for_two_searches_and_two_drafts_of_one_organisation_is_two_messages(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A new SME that two saved searches of an organisation find and that two of its drafts
    lack: one message for the searches, naming both, and one for the drafts, naming both (it
    was one e-mail per search and one per draft, in the same second); the owner of another
    draft gets its own; a pass run again after a crash writes nothing more."""
    liver = create_call(
        client,
        opening_date=None,
        deadline=FAR,
        required_stakeholders={"academia": 1, "sme": 1},
        **LIVER_CALL,
    )
    second_call = create_call(
        client,
        identifier="IHI-2027-NASH-02",
        title="NASH diagnostics",
        opening_date=None,
        deadline=FAR,
        required_stakeholders={"sme": 1},
    )
    owner = orgs.new(name="Hepatology Lab", contact_email="hep@lab.example")
    other = orgs.new(name="Other Lab", contact_email="other@lab.example")
    drafts = []
    for name, call in (("Liver staging", liver), ("NASH panel", second_call)):
        answer = owner[1].post("/consortia", json={"name": name, "call_id": call["id"]})
        assert answer.status_code == 201, answer.text
        drafts.append(answer.json()["id"])
    answer = other[1].post("/consortia", json={"name": "Elsewhere", "call_id": liver["id"]})
    assert answer.status_code == 201, answer.text
    fibrosis = save(owner, target="organisations", text="liver fibrosis elastography")
    save(owner, target="organisations", text="NASH diagnostics", threshold=0.01)
    run(engine)
    before = len(outbox(engine))
    sme = orgs.new(
        name="FibroScan Analytics BV",
        stakeholder_type="sme",
        country="NL",
        description="Elastography software staging liver fibrosis in NASH diagnostics.",
    )
    done = run(engine)
    assert (done.jobs, done.messages) == (1, 3)
    messages = outbox(engine)[before:]
    assert sorted((message.organisation_id, message.event) for message in messages) == sorted(
        [
            (owner[0], "organisation_matches_search"),
            (owner[0], "profile_fills_gap"),
            (other[0], "profile_fills_gap"),
        ]
    )
    found, gap = (
        next(m for m in messages if m.organisation_id == owner[0] and m.event == event)
        for event in ("organisation_matches_search", "profile_fills_gap")
    )
    assert found.subject == "An organisation for your searches: FibroScan Analytics BV"
    assert re.search(
        r'It matches your saved searches "liver fibrosis elastography" \(relevance \d+%; you '
        r'asked for at least 3%\) and "NASH diagnostics" \(relevance \d+%; you asked for at '
        r"least 1%\)\. ",
        found.body,
    ), found.body
    assert found.about_ids == {"saved_search_id": fibrosis}
    assert gap.subject == 'An SME for your drafts "Liver staging" and "NASH panel"'
    assert gap.body == (
        'FibroScan Analytics BV (Netherlands) is an SME, a kind of partner your drafts "Liver '
        'staging" and "NASH panel" still lack.\n'
        f"Their profile: {BASE}/ui/organisations/{sme[0]}\n"
        'Your draft "Liver staging", for the call HORIZON-HLTH-2027-LIVER-01, Liver fibrosis '
        f"staging without biopsy: {BASE}/ui/consortia/{drafts[0]}\n"
        'Your draft "NASH panel", for the call IHI-2027-NASH-02, NASH diagnostics: '
        f"{BASE}/ui/consortia/{drafts[1]}"
    )
    assert (gap.about_organisation_id, gap.about_ids) == (
        sme[0],
        {"consortium_id": drafts[0], "call_id": liver["id"]},
    )
    with Session(engine) as session:
        session.execute(update(NotificationJob).values(done_at=None))
        session.commit()
    assert run(engine).messages == 0
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        deliver_pending(engine, send=sender, mail_from="mm@example.org", base_url=BASE)
    to_owner = [email for email in recorder.messages if email["To"] == "hep@lab.example"]
    assert sorted(str(email["Subject"]) for email in to_owner) == [
        'An SME for your drafts "Liver staging" and "NASH panel"',
        "An organisation for your searches: FibroScan Analytics BV",
    ]


def test_closed_call_and_deleted_search_are_not_notified(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A call whose deadline passed is not announced; nor is a call to a deleted search."""
    watcher = orgs.new(name="Biopsy Watchers")
    search_id = save(watcher, target="calls", text="liquid biopsy")
    run(engine)
    create_call(client, identifier="OLD-1", opening_date=None, deadline="2020-01-01")
    assert run(engine).messages == 0
    watcher[1].delete(f"/organisations/{watcher[0]}/saved-searches/{search_id}")
    create_call(client, identifier="NEW-1", opening_date=None, deadline=FAR)
    assert run(engine).messages == 0


def test_new_partner_request_notifies_matching_searches_not_its_publisher(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A request seeking patient organisations reaches a patient organisation's search for it
    and not the publisher's own, nor a search for another country's publishers."""
    patients = orgs.new(name="Liver Patients Europe", stakeholder_type="patient_organisation")
    publisher = orgs.new(name="Oncomark Diagnostics", stakeholder_type="sme")
    elsewhere = orgs.new(name="Danish Patients", stakeholder_type="patient_organisation")
    save(patients, target="partner_requests", text="patient panels liver screening")
    save(publisher, target="partner_requests", text="patient panels liver screening")
    save(elsewhere, target="partner_requests", text="patient panels liver", countries=["DK"])
    call = create_call(client, opening_date=None, deadline=FAR)
    run(engine)
    before = len(outbox(engine))
    answer = publisher[1].post(
        f"/calls/{call['id']}/partner-requests",
        json={
            "stakeholder_types": ["patient_organisation"],
            "expertise": "Patient panels for liver disease screening studies.",
            "pitch": "Our consortium needs patients involved from the start.",
        },
    )
    assert answer.status_code == 201, answer.text
    assert run(engine).messages == 1
    (message,) = outbox(engine)[before:]
    assert message.organisation_id == patients[0]
    assert message.event == "partner_request_matches_search"
    assert message.about_organisation_id == publisher[0]
    assert "Oncomark Diagnostics is looking for partners" in message.subject
    assert "looks for patient organisations for the call" in message.body
    # The publisher's own words are quoted, as mail quotes them.
    assert "\n\n> Our consortium needs patients involved from the start.\n\n" in message.body
    # Answered on the call's page, never by Reply, which nobody reads.
    assert (
        "To answer, use Answer on the call's page (replies to this e-mail are not read):\n"
        f"{BASE}/ui/calls/{call['id']}#partner-requests\n"
    ) in message.body
    assert "contact_email" not in message.body
    assert "@" not in message.body


def test_new_partner_request_is_told_only_to_organisations_it_fits(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A request seeking patient organisations from Germany reaches a German patient
    organisation's search, not a Belgian one's nor a German SME's (the Berlin demo request was
    mailed to a Belgian patient organisation that its own profile left out); a search's
    countries still name the publishers' countries, not the countries a request seeks."""
    publisher = orgs.new(name="Charite Oncology", stakeholder_type="academia", country="DE")
    belgian = orgs.new(
        name="Liver Patients Europe", stakeholder_type="patient_organisation", country="BE"
    )
    german = orgs.new(name="Leberhilfe", stakeholder_type="patient_organisation", country="DE")
    german_sme = orgs.new(name="Berlin Biopsy", stakeholder_type="sme", country="DE")
    text = "patient panels liver screening"
    save(belgian, target="partner_requests", text=text)
    germans = save(german, target="partner_requests", text=text, countries=["DE"])
    save(german, target="partner_requests", text=text, countries=["FR"])
    save(german_sme, target="partner_requests", text=text)
    call = create_call(client, opening_date=None, deadline=FAR)
    run(engine)
    before = len(outbox(engine))
    answer = publisher[1].post(
        f"/calls/{call['id']}/partner-requests",
        json={
            "stakeholder_types": ["patient_organisation"],
            "countries": ["DE"],
            "expertise": "Patient panels for liver disease screening studies.",
        },
    )
    assert answer.status_code == 201, answer.text
    assert run(engine).messages == 1
    (message,) = outbox(engine)[before:]
    assert (message.organisation_id, message.about_ids) == (
        german[0],
        {
            "partner_request_id": answer.json()["id"],
            "call_id": call["id"],
            "saved_search_id": germans,
        },
    )


def test_a_partner_request_is_not_announced_to_an_organisation_its_publisher_blocks(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """Helix blocks Nord, then publishes a partner request: Nord's saved search is not told
    of it (it was invited to answer, then refused with 403), another organisation's is; once
    the block is lifted, Nord hears of Helix's next request."""
    helix = orgs.new(name="Helix Biotech", stakeholder_type="sme")
    nord = orgs.new(name="Nord Liver Patients", stakeholder_type="patient_organisation")
    sud = orgs.new(name="Sud Liver Patients", stakeholder_type="patient_organisation")
    for watcher in (nord, sud):
        save(watcher, target="partner_requests", text="patient panels liver screening")
    call = create_call(client, opening_date=None, deadline=FAR)
    blocked = helix[1].post("/inbox/blocks", json={"organisation_id": nord[0]})
    assert blocked.status_code == 201, blocked.text
    run(engine)
    before = len(outbox(engine))
    request = {
        "stakeholder_types": ["patient_organisation"],
        "expertise": "Patient panels for liver disease screening studies.",
    }
    answer = helix[1].post(f"/calls/{call['id']}/partner-requests", json=request)
    assert answer.status_code == 201, answer.text
    assert run(engine).messages == 1
    (told,) = outbox(engine)[before:]
    assert (told.organisation_id, told.event) == (sud[0], "partner_request_matches_search")
    assert helix[1].delete(f"/inbox/blocks/{nord[0]}").status_code == 204
    again = helix[1].post(
        f"/calls/{call['id']}/partner-requests", json={**request, "pitch": "Second round."}
    )
    assert again.status_code == 201, again.text
    assert run(engine).messages == 2
    assert {message.organisation_id for message in outbox(engine)[before + 1 :]} == {
        nord[0],
        sud[0],
    }


def test_profile_filling_a_draft_gap_tells_the_draft_owner_once(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A new patient organisation is announced to the owner of a draft lacking one; a change
    to its profile does not announce it again; a draft not lacking the type hears nothing."""
    call = create_call(
        client,
        opening_date=None,
        deadline=FAR,
        required_stakeholders={"academia": 1, "patient_organisation": 1},
    )
    owner = orgs.new(name="Draft Owner", contact_email="owner@draft.example")
    answer = owner[1].post(
        "/consortia",
        json={"name": "Liver screening", "call_id": call["id"], "members": []},
    )
    assert answer.status_code == 201, answer.text
    draft_id = answer.json()["id"]
    run(engine)
    before = len(outbox(engine))
    patients = orgs.new(name="Liver Patients Europe", stakeholder_type="patient_organisation")
    orgs.new(name="Another SME", stakeholder_type="sme")
    done = run(engine)
    assert (done.jobs, done.messages) == (2, 1)
    (message,) = outbox(engine)[before:]
    assert message.organisation_id == owner[0]
    assert message.event == "profile_fills_gap"
    assert message.about_organisation_id == patients[0]
    assert message.subject == 'A patient organisation for your draft "Liver screening"'
    assert message.body == (
        "Liver Patients Europe (Netherlands) is a patient organisation, a kind of partner your "
        'draft "Liver screening" for the call IHI-2023-05-02, Early detection of cancer with '
        "liquid biopsy, still lacks.\n"
        f"Their profile: {BASE}/ui/organisations/{patients[0]}\n"
        f"Your draft: {BASE}/ui/consortia/{draft_id}"
    )
    changed = patients[1].patch(
        f"/organisations/{patients[0]}", json={"description": "Patient panels for liver care."}
    )
    assert changed.status_code == 200, changed.text
    assert run(engine).messages == 0
    # Once the draft has a patient organisation, a new one fills no gap.
    owner[1].put(f"/consortia/{draft_id}/members/{patients[0]}", json={"role": "partner"})
    orgs.new(name="Second Patients", stakeholder_type="patient_organisation")
    assert run(engine).messages == 0


DIGITAL_LIVER = {
    "identifier": "IHI-2027-DIGITAL-LIVER-01",
    "title": "Digital twins of the liver",
    "programme": "IHI",
    "description": "Digital twin models of chronic liver disease: imaging, hepatology data "
    "and simulation software to predict fibrosis progression and personalise treatment.",
    "required_stakeholders": {"academia": 1, "sme": 1},
}


def sme(number: int, description: str, keywords: list[str]) -> dict[str, Any]:
    """An SME profile with only its own words (the factory's oncology activity left out)."""
    return {
        "name": f"SME {number}",
        "stakeholder_type": "sme",
        "description": description,
        "keywords": keywords,
        "activities": [],
    }


UNRELATED_SMES = [
    sme(1, "Carbon fibre composites and resin moulding for aircraft wings.", ["composites"]),
    sme(2, "Quantum computing hardware: superconducting qubits and cryostats.", ["quantum"]),
    sme(3, "Precision agriculture: soil sensors and irrigation for wheat farms.", ["farming"]),
]
LIVER_SME = sme(
    4,
    "Simulation software for digital twins of the liver: fibrosis progression models from "
    "hepatology imaging.",
    ["digital twin", "liver"],
)


def test_a_profile_reaches_a_draft_gap_only_when_relevant_to_its_call(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A composites, a quantum-computing and an agriculture SME do not fill the SME gap of a
    hospital's draft for a call on digital twins of the liver (it got an e-mail "An SME for
    your draft" for each): a profile reaches a gap only when its relevance to the draft's call
    reaches the saved searches' default threshold, measured as a search of calls that fit a
    profile measures it. An SME on liver digital twins is announced."""
    call = create_call(client, opening_date=None, deadline=FAR, **DIGITAL_LIVER)
    hospital = orgs.new(name="University Hospital", contact_email="draft@hospital.example")
    answer = hospital[1].post(
        "/consortia", json={"name": "Digital liver", "call_id": call["id"], "members": []}
    )
    assert answer.status_code == 201, answer.text
    run(engine)
    before = len(outbox(engine))
    unrelated = [orgs.new(**profile)[0] for profile in UNRELATED_SMES]
    fitting = orgs.new(**LIVER_SME)[0]
    with Session(engine) as session:
        calls = stored_calls(session)
        stored = session.get(Call, call["id"])
        assert stored is not None
        scores = {
            organisation.id: relevance(organisation_text(organisation), call_text(stored), calls)
            for organisation in session.scalars(select(Organisation))
        }
    assert all(scores[organisation] < DEFAULT_THRESHOLD for organisation in unrelated)
    assert scores[fitting] >= DEFAULT_THRESHOLD
    done = run(engine)
    assert (done.jobs, done.messages) == (4, 1)
    (message,) = outbox(engine)[before:]
    assert (message.event, message.organisation_id, message.about_organisation_id) == (
        "profile_fills_gap",
        hospital[0],
        fitting,
    )
    assert message.subject == 'An SME for your draft "Digital liver"'


def test_a_draft_hears_of_at_most_a_few_profiles_filling_its_gap_per_pass(
    client: TestClient, engine: Engine, orgs: Orgs, tmp_path: Path
) -> None:
    """An import of many fitting profiles (a CORDIS import creates thousands) tells a draft of
    the first `GAP_PROFILES_PER_PASS` of them, the last saying that more may fit and that the
    draft's page lists its best candidates, not one e-mail per profile; the next pass tells it
    of a new profile again."""
    call = create_call(client, opening_date=None, deadline=FAR, **DIGITAL_LIVER)
    hospital = orgs.new(name="University Hospital")
    answer = hospital[1].post(
        "/consortia", json={"name": "Digital liver", "call_id": call["id"], "members": []}
    )
    assert answer.status_code == 201, answer.text
    run(engine)
    before = len(outbox(engine))
    many = GAP_PROFILES_PER_PASS + 3
    source = tmp_path / "organisations.json"
    rows = [
        organisation_payload(**{**LIVER_SME, "name": f"Liver Twins {n}"}, external_id=f"t{n}")
        for n in range(many)
    ]
    source.write_text(json.dumps(rows), encoding="utf-8")
    assert import_organisations_json(engine, source).created == many
    done = run(engine)
    assert (done.jobs, done.messages) == (many, GAP_PROFILES_PER_PASS)
    messages = outbox(engine)[before:]
    assert {message.organisation_id for message in messages} == {hospital[0]}
    *first, last = messages
    more = (
        'More new profiles may fill the gap of "Digital liver": of those registered at once '
        f"you hear of {GAP_PROFILES_PER_PASS} at most; the draft's page lists its best "
        "candidates."
    )
    assert all(more not in message.body for message in first)
    assert last.body.endswith(more), last.body
    orgs.new(**{**LIVER_SME, "name": "Liver Twins Later"})
    assert run(engine).messages == 1


def test_the_batches_of_one_pass_read_the_searches_and_gaps_once_and_miss_nothing(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """Four jobs expanded one a batch with one `PassContext`, as the worker's pass does: each
    call reaches the saved search and each patient organisation the draft lacking one, and
    every batch after the first uses the index and the gaps the first read."""
    call = create_call(
        client,
        opening_date=None,
        deadline=FAR,
        required_stakeholders={"academia": 1, "patient_organisation": 1},
    )
    owner = orgs.new(name="Draft Owner")
    answer = owner[1].post(
        "/consortia", json={"name": "Liver screening", "call_id": call["id"], "members": []}
    )
    assert answer.status_code == 201, answer.text
    watcher = orgs.new(name="Biopsy Watchers")
    save(watcher, target="calls", text="liquid biopsy")
    run(engine)
    before = len(outbox(engine))
    first_call = create_call(client, identifier="NEW-1", opening_date=None, deadline=FAR)
    patients = orgs.new(name="Liver Patients Europe", stakeholder_type="patient_organisation")
    second_call = create_call(client, identifier="NEW-2", opening_date=None, deadline=FAR)
    others = orgs.new(name="Kidney Patients Europe", stakeholder_type="patient_organisation")
    context = PassContext()
    done = run_events(engine, base_url=BASE, limit=1, context=context)
    assert (done.jobs, done.messages) == (1, 1)
    index, gaps = context.indexes[SearchTarget.calls], context.drafts_lacking
    assert gaps is None  # no profile job yet: the drafts were not read
    batches = [run_events(engine, base_url=BASE, limit=1, context=context) for _ in range(3)]
    assert [(batch.jobs, batch.messages) for batch in batches] == [(1, 1), (1, 1), (1, 1)]
    assert context.indexes[SearchTarget.calls] is index
    gaps = context.drafts_lacking
    assert gaps is not None
    assert [gap.draft_id for gap in gaps] == [answer.json()["id"]]
    assert run_events(engine, base_url=BASE, limit=1, context=context).jobs == 0
    assert context.drafts_lacking is gaps
    messages = outbox(engine)[before:]
    assert [(message.event, message.organisation_id) for message in messages] == [
        ("call_matches_search", watcher[0]),
        ("profile_fills_gap", owner[0]),
        ("call_matches_search", watcher[0]),
        ("profile_fills_gap", owner[0]),
    ]
    assert [message.about_organisation_id for message in messages[1::2]] == [
        patients[0],
        others[0],
    ]
    assert f"/ui/calls/{first_call['id']}" in messages[0].body
    assert f"/ui/calls/{second_call['id']}" in messages[2].body


def test_deadline_reminder_goes_once_per_draft_and_deadline(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """Seven days before the deadline the draft's owner is reminded, once; a later pass and a
    pass the next day send nothing more; a moved deadline is reminded again, saying that it
    changed."""
    today = date(2030, 3, 1)
    deadline = today + timedelta(days=7)
    call = create_call(client, opening_date=None, deadline=deadline.isoformat())
    owner = orgs.new(name="Draft Owner")
    draft = owner[1].post("/consortia", json={"name": "D", "call_id": call["id"]})
    assert draft.status_code == 201, draft.text
    assert run(engine, on=today - timedelta(days=1)).reminders == 0
    assert run(engine, on=today).reminders == 1
    assert run(engine, on=today).reminders == 0
    assert run(engine, on=today + timedelta(days=1)).reminders == 0
    (message,) = [m for m in outbox(engine) if m.event == "deadline_soon"]
    assert message.organisation_id == owner[0]
    assert message.subject == "IHI-2023-05-02 closes in 7 days (8 Mar 2030)"
    assert "closes in 7 days, on 8 Mar 2030.\n" in message.body
    assert message.body.endswith(f"{BASE}/ui/consortia/{draft.json()['id']}")
    moved = client.patch(f"/calls/{call['id']}", json={"deadline": "2030-03-10"})
    assert moved.status_code == 200, moved.text
    assert run(engine, on=today + timedelta(days=3)).reminders == 1
    (again,) = [m for m in outbox(engine) if m.event == "deadline_soon"][1:]
    assert again.subject == "Deadline changed: IHI-2023-05-02 closes in 6 days (10 Mar 2030)"
    assert again.body.startswith(
        "The deadline of the call IHI-2023-05-02, Early detection of cancer with liquid biopsy, "
        'that your draft "D" is written for has changed: it now closes in 6 days, on '
        "10 Mar 2030.\n"
    ), again.body


def test_deadline_reminder_is_one_per_organisation_and_call_naming_its_drafts(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """An owner of two drafts for one call gets one deadline reminder naming both (it got two
    identical e-mails, one per draft); once the deadline moved, one more that says the deadline
    changed (it got two more that did not). A draft made after the first reminder is reminded
    alone, of the deadline as new to it."""
    today = date(2030, 3, 1)
    call = create_call(client, opening_date=None, deadline=(today + timedelta(days=5)).isoformat())
    owner = orgs.new(name="Draft Owner")
    other = orgs.new(name="Other Owner")
    drafts = []
    for name in ("Liver A", "Liver B"):
        answer = owner[1].post("/consortia", json={"name": name, "call_id": call["id"]})
        assert answer.status_code == 201, answer.text
        drafts.append(answer.json()["id"])
    elsewhere = other[1].post("/consortia", json={"name": "Theirs", "call_id": call["id"]})
    assert elsewhere.status_code == 201, elsewhere.text
    before = len(outbox(engine))
    assert run(engine, on=today).reminders == 2
    mine, theirs = sorted(
        outbox(engine)[before:], key=lambda message: message.organisation_id != owner[0]
    )
    assert (mine.organisation_id, theirs.organisation_id) == (owner[0], other[0])
    assert mine.subject == theirs.subject == "IHI-2023-05-02 closes in 5 days (6 Mar 2030)"
    assert mine.body == (
        "The call IHI-2023-05-02, Early detection of cancer with liquid biopsy, that your drafts "
        '"Liver A" and "Liver B" are written for closes in 5 days, on 6 Mar 2030.\n'
        f'Your draft "Liver A": {BASE}/ui/consortia/{drafts[0]}\n'
        f'Your draft "Liver B": {BASE}/ui/consortia/{drafts[1]}'
    )
    assert mine.about_ids == {"consortium_id": drafts[0], "call_id": call["id"]}
    assert run(engine, on=today).reminders == 0

    later = owner[1].post("/consortia", json={"name": "Liver C", "call_id": call["id"]})
    assert later.status_code == 201, later.text
    assert run(engine, on=today + timedelta(days=1)).reminders == 1
    (alone,) = outbox(engine)[before + 2 :]
    assert alone.subject == "IHI-2023-05-02 closes in 4 days (6 Mar 2030)"
    assert '"Liver C" is written for closes in 4 days' in alone.body

    moved = client.patch(f"/calls/{call['id']}", json={"deadline": "2030-03-09"})
    assert moved.status_code == 200, moved.text
    before = len(outbox(engine))
    assert run(engine, on=today + timedelta(days=2)).reminders == 2
    mine = next(m for m in outbox(engine)[before:] if m.organisation_id == owner[0])
    assert mine.subject == "Deadline changed: IHI-2023-05-02 closes in 6 days (9 Mar 2030)"
    assert mine.body.startswith(
        "The deadline of the call IHI-2023-05-02, Early detection of cancer with liquid biopsy, "
        'that your drafts "Liver A", "Liver B" and "Liver C" are written for has changed: it '
        "now closes in 6 days, on 9 Mar 2030.\n"
    ), mine.body


def test_event_email_reaches_a_real_smtp_server(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """The announcement of a call is e-mailed to the search's owner through loopback SMTP."""
    watcher = orgs.new(name="Biopsy Watchers", contact_email="watch@biopsy.example")
    save(watcher, target="calls", text="liquid biopsy")
    create_call(client, opening_date=None, deadline=FAR)
    run(engine)
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        done = deliver_pending(engine, send=sender, mail_from="mm@example.org", base_url=BASE)
    assert done.sent == 1
    (email,) = recorder.messages
    assert isinstance(email, EmailMessage)
    assert email["To"] == "watch@biopsy.example"
    assert email["X-Matchmaker-Event"] == "call_matches_search"
    body = email.get_content()
    assert 'It matches your saved search "liquid biopsy"' in body
    assert "/unsubscribe/" in body


def test_draft_names_are_quoted_as_written_and_the_gap_email_links_the_draft(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """The gap and deadline e-mails name a draft in double quotes as its owner wrote it (they
    showed Python's repr: 'Anna\\'s "ONCO" draft', with a backslash), and the gap e-mail
    links the draft's page beside the profile's (it linked only the profile)."""
    today = date(2030, 3, 1)
    call = create_call(
        client,
        opening_date=None,
        deadline=(today + timedelta(days=3)).isoformat(),
        required_stakeholders={"patient_organisation": 1},
    )
    owner = orgs.new(name="Draft Owner", contact_email="owner@draft.example")
    name = 'Anna\'s "ONCO" draft'
    draft = owner[1].post("/consortia", json={"name": name, "call_id": call["id"]})
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["id"]
    run(engine, on=today)
    patients = orgs.new(name="Liver Patients Europe", stakeholder_type="patient_organisation")
    run(engine, on=today)
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        done = deliver_pending(engine, send=sender, mail_from="mm@example.org", base_url=BASE)
    assert done.sent == 2
    emails = {str(email["X-Matchmaker-Event"]): email for email in recorder.messages}
    gap, deadline = emails["profile_fills_gap"], emails["deadline_soon"]
    assert gap["Subject"] == 'A patient organisation for your draft "Anna\'s "ONCO" draft"'
    assert gap.get_content().startswith(
        "Liver Patients Europe (Netherlands) is a patient organisation, a kind of partner your "
        'draft "Anna\'s "ONCO" draft" for the call IHI-2023-05-02, Early detection of cancer with '
        "liquid biopsy, still lacks.\n"
        f"Their profile: {BASE}/ui/organisations/{patients[0]}\n"
        f"Your draft: {BASE}/ui/consortia/{draft_id}\n"
    )
    assert deadline.get_content().startswith(
        "The call IHI-2023-05-02, Early detection of cancer with liquid biopsy, that your draft "
        '"Anna\'s "ONCO" draft" is written for closes in 3 days, on 4 Mar 2030.\n'
    )
    assert "\\" not in gap.get_content() + deadline.get_content()


def test_new_profile_notifies_organisation_searches_but_not_itself(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A Belgian patient organisation reaches a search for Belgian patient organisations on
    liver disease, not one for Dutch ones, nor its own search."""
    writer = orgs.new(name="Oncomark Diagnostics", stakeholder_type="sme")
    dutch = orgs.new(name="Dutch Writer", stakeholder_type="sme")
    save(
        writer,
        target="organisations",
        text="liver disease patients",
        stakeholder_types=["patient_organisation"],
        countries=["BE"],
    )
    save(dutch, target="organisations", text="liver disease patients", countries=["NL"])
    run(engine)
    before = len(outbox(engine))
    patients = orgs.new(
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Patients living with liver disease, their families and carers.",
    )
    save(patients, target="organisations", text="liver disease patients")
    assert run(engine).messages == 1
    (message,) = outbox(engine)[before:]
    assert (message.organisation_id, message.event) == (writer[0], "organisation_matches_search")
    assert message.subject == "An organisation for your search: European Liver Patients"
    assert message.body.startswith(
        "European Liver Patients (Belgium, Patient organisation) has a new or updated profile.\n"
    )
    # The message names the profile: deleting the profile deletes it, queued or sent.
    with Session(engine) as session:
        session.execute(update(OutboxMessage).values(status="sent"))
        session.commit()
    assert patients[1].delete(f"/organisations/{patients[0]}").status_code == 204
    assert [row.id for row in outbox(engine)[before:]] == []


def test_delivery_pass_expands_events_before_sending(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """One pass of the worker (what `matchmaker notify run` runs) turns the new call into an
    e-mail and sends it in the same pass."""
    watcher = orgs.new(name="Biopsy Watchers", contact_email="watch@biopsy.example")
    save(watcher, target="calls", text="liquid biopsy")
    create_call(client, opening_date=None, deadline=FAR)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        done = worker_pass(engine, port, base_url=BASE)
    assert (done.events.jobs, done.events.messages, done.email.sent) == (2, 1, 1)
    assert [str(email["X-Matchmaker-Event"]) for email in recorder.messages] == [
        "call_matches_search"
    ]


def test_an_imported_profile_filling_a_draft_gap_is_announced_once(
    client: TestClient, engine: Engine, orgs: Orgs, tmp_path: Path
) -> None:
    """Profiles created by an import are announced as registered ones are; the same import
    run again (updating, not creating) announces nothing more."""
    call = create_call(
        client, opening_date=None, deadline=FAR, required_stakeholders={"patient_organisation": 1}
    )
    owner = orgs.new(name="Draft Owner", contact_email="owner@draft.example")
    answer = owner[1].post("/consortia", json={"name": "D", "call_id": call["id"]})
    assert answer.status_code == 201, answer.text
    run(engine)
    before = len(outbox(engine))
    source = tmp_path / "organisations.json"
    rows = [
        organisation_payload(
            name="Liver Patients Europe", stakeholder_type="patient_organisation", external_id="p1"
        ),
        organisation_payload(name="Imported SME", stakeholder_type="sme", external_id="s1"),
    ]
    source.write_text(json.dumps(rows), encoding="utf-8")
    assert import_organisations_json(engine, source).created == 2
    done = run(engine)
    assert (done.jobs, done.messages) == (2, 1)
    (message,) = outbox(engine)[before:]
    assert (message.organisation_id, message.event) == (owner[0], "profile_fills_gap")
    assert "Liver Patients Europe" in message.body
    rows[0]["description"] = "Patient panels for liver care."
    source.write_text(json.dumps(rows), encoding="utf-8")
    assert import_organisations_json(engine, source).created == 0
    assert run(engine).jobs == 0


def test_drafts_and_searches_made_after_a_change_are_not_told_of_it(
    client: TestClient, engine: Engine, orgs: Orgs
) -> None:
    """A pass that runs late (the demo data's hundreds of jobs at a first start) tells a draft
    or a saved search made after a profile or a call was recorded nothing about it: the draft
    offered that profile among its candidates and the search could find that call already.
    A profile recorded after them is still announced."""
    call = create_call(
        client,
        opening_date=None,
        deadline=FAR,
        required_stakeholders={"academia": 1, "patient_organisation": 1},
    )
    orgs.new(name="Liver Patients Europe", stakeholder_type="patient_organisation")
    owner = orgs.new(name="Draft Owner", contact_email="owner@draft.example")
    assert pending_jobs(engine) == 3  # the call and both profiles, not expanded yet
    answer = owner[1].post(
        "/consortia", json={"name": "Late draft", "call_id": call["id"], "members": []}
    )
    assert answer.status_code == 201, answer.text
    save(owner, target="calls", text="liquid biopsy cancer detection")
    save(owner, target="organisations", text="liver patient panels")
    before = len(outbox(engine))
    assert run(engine).messages == 0
    assert len(outbox(engine)) == before

    later = orgs.new(
        name="Liver Patients Two",
        stakeholder_type="patient_organisation",
        description="Liver patient panels.",
    )
    assert run(engine).messages == 2
    assert sorted(
        (message.event, message.about_organisation_id) for message in outbox(engine)[before:]
    ) == [("organisation_matches_search", later[0]), ("profile_fills_gap", later[0])]
