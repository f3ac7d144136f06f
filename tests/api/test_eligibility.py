"""Programme rules over HTTP: a draft's eligibility, the gaps view, proposals, admin rows."""

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchmaker.cli.main import app
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem

TEXT = "liquid biopsy early cancer detection oncology screening"


def _org(
    client: TestClient, name: str, country: str, kind: str = "academia", **extra: object
) -> int:
    fields: dict[str, object] = {
        "description": TEXT,
        "keywords": [],
        "activities": [],
        "website": None,
        **extra,
    }
    body = create_organisation(client, name=name, stakeholder_type=kind, country=country, **fields)
    return int(body["id"])


def _draft(client: TestClient, call_id: int, *members: int) -> int:
    """A draft owned by its first member (an admin reads and changes it too)."""
    owner = client.post("/admin/keys", json={"role": "organisation", "organisation_id": members[0]})
    response = client.post(
        "/consortia",
        json={
            "name": "Draft",
            "call_id": call_id,
            "members": [{"organisation_id": member} for member in members],
        },
        headers={"Authorization": f"Bearer {owner.json()['token']}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _horizon_call(client: TestClient, **overrides: object) -> int:
    return int(
        create_call(
            client,
            identifier=str(overrides.pop("identifier", "HORIZON-CL4-2024-01")),
            programme="Horizon Europe Cluster 4 (Digital, Industry and Space)",
            required_stakeholders=overrides.pop("required_stakeholders", {}),
            deadline=str(overrides.pop("deadline", "2024-09-17")),
            **overrides,
        )["id"]
    )


def test_call_takes_its_rule_set_from_the_programme(client: TestClient) -> None:
    """An IHI call gets ihi in Pillar II; a cluster call horizon-europe; another none."""
    ihi = create_call(client)
    cluster = client.get(f"/calls/{_horizon_call(client)}").json()
    other = create_call(client, identifier="EIT-1", programme="EIT")
    assert (ihi["rule_set"], ihi["programme_part"], ihi["two_stage"]) == ("ihi", "pillar-2", False)
    assert (cluster["rule_set"], cluster["programme_part"]) == ("horizon-europe", "pillar-2")
    assert (other["rule_set"], other["programme_part"]) == ("none", None)
    explicit = create_call(client, identifier="X-1", programme="EIT", rule_set="horizon-europe")
    assert explicit["rule_set"] == "horizon-europe"


def test_the_framework_programme_alone_gives_horizon_europe_for_three_countries(
    client: TestClient,
) -> None:
    """A call naming only HORIZON, as CORDIS names the programme, is a collaborative action
    when it spans three countries, and a single-beneficiary one when it asks for fewer."""
    three = create_call(client, identifier="HZ-3", programme="HORIZON")
    one = create_call(client, identifier="HZ-1", programme="Horizon Europe", min_countries=1)
    assert (three["rule_set"], three["programme_part"]) == ("horizon-europe", "pillar-2")
    assert (one["rule_set"], one["programme_part"]) == ("none", None)


def test_a_new_programme_brings_its_rule_set_unless_one_was_chosen(client: TestClient) -> None:
    """Changing a call's programme, or its countries, gives it the rule set creating it so
    would; a rule set named on creation, or in the same update, stays."""
    call = create_call(client, identifier="MOVE-1", programme="EIT")
    path = f"/calls/{call['id']}"
    assert call["rule_set"] == "none"

    ihi = client.patch(path, json={"programme": "IHI"}).json()
    assert (ihi["rule_set"], ihi["programme_part"]) == ("ihi", "pillar-2")
    horizon = client.patch(path, json={"programme": "HORIZON"}).json()
    assert (horizon["rule_set"], horizon["programme_part"]) == ("horizon-europe", "pillar-2")
    single = client.patch(path, json={"min_countries": 1}).json()
    assert (single["rule_set"], single["programme_part"]) == ("none", None)
    named = client.patch(path, json={"programme": "IHI", "rule_set": "horizon-europe-csa"})
    assert named.json()["rule_set"] == "horizon-europe-csa"
    kept = client.patch(path, json={"programme": "EIT"}).json()
    assert kept["rule_set"] == "horizon-europe-csa"
    chosen = create_call(client, identifier="MOVE-2", programme="EIT", rule_set="horizon-europe")
    after = client.patch(f"/calls/{chosen['id']}", json={"programme": "IHI"}).json()
    assert after["rule_set"] == "horizon-europe"


def test_a_call_with_no_programme_rules_does_not_say_a_member_cannot_take_part(
    client: TestClient,
) -> None:
    """Under rule set none nothing is checked: the report is eligible, and a Russian member's
    note says what Horizon Europe rules, not that it cannot take part in this call."""
    call = create_call(client, identifier="EIT-RU-1", programme="EIT", deadline="2024-09-17")
    members = _org(client, "Heidelberg", "DE"), _org(client, "Moscow institute", "RU")
    body = client.get(f"/consortia/{_draft(client, call['id'], *members)}/eligibility").json()

    assert (body["rule_set"], body["eligible"], body["rules"]) == ("none", True, [])
    russian = next(p for p in body["participants"] if p["organisation"]["id"] == members[1])
    assert (russian["country_status"], russian["funded"]) == ("excluded", False)
    assert russian["note"] == (
        "Entities established in Russian Federation are excluded from Horizon Europe calls; "
        "this call names no programme rules (rule set none), so its own terms decide."
    )


def test_draft_eligibility_reports_each_rule_and_who_could_fix_it(client: TestClient) -> None:
    """DE + FR + a Swiss partner in 2024: two entities, and a Norwegian candidate would fix it."""
    call = _horizon_call(client)
    de, fr = _org(client, "Heidelberg", "DE"), _org(client, "Sorbonne", "FR")
    ch = _org(client, "ETH", "CH")
    norway = _org(client, "Oslo University", "NO")
    _org(client, "Heidelberg Clinic", "DE")
    draft = _draft(client, call, de, fr, ch)

    body = client.get(f"/consortia/{draft}/eligibility").json()
    assert (body["rule_set"], body["evaluated_on"], body["eligible"]) == (
        "horizon-europe",
        "2024-09-17",
        False,
    )
    entities, member_state, excluded = body["rules"]
    assert (entities["rule"], entities["met"]) == ("independent-entities", False)
    assert entities["fix"] == (
        "Needs 1 more independent entity established in a Member State or Associated Country "
        "other than France and Germany."
    )
    assert "Art. 22(2)" in entities["source"]
    assert [c["organisation"]["id"] for c in entities["candidates"]] == [norway]
    assert member_state["met"] is True
    assert (excluded["rule"], excluded["met"]) == ("no-excluded-entities", True)
    swiss = next(p for p in body["participants"] if p["organisation"]["id"] == ch)
    assert (swiss["country_status"], swiss["funded"]) == ("non_associated", False)

    gaps = client.get(f"/consortia/{draft}/gaps").json()
    assert gaps["satisfied"] is False
    assert gaps["eligibility"]["rules"][0]["met"] is False

    client.put(f"/consortia/{draft}/members/{norway}")
    assert client.get(f"/consortia/{draft}/eligibility").json()["eligible"] is True


def test_affiliated_members_count_once(client: TestClient) -> None:
    """Two members of one declared group are one entity; a similar name is flagged for review."""
    call = _horizon_call(client)
    first = _org(client, "Acme Research GmbH", "DE", group="Acme")
    second = _org(client, "Acme Research SAS", "FR", group="Acme")
    third = _org(client, "Acme Research BV", "NL")
    draft = _draft(client, call, first, second, third)
    body = client.get(f"/consortia/{draft}/eligibility").json()
    assert body["rules"][0]["met"] is False
    assert body["rules"][0]["message"].startswith("Has 2 independent entities")
    assert {tuple(flag["organisation_ids"]) for flag in body["likely_affiliates"]} == {
        (first, third),
        (second, third),
    }


def test_proposal_is_eligible_by_construction(client: TestClient) -> None:
    """The proposal leaves out the better-scoring Swiss partner (2024) to meet the rule."""
    call = _horizon_call(client, max_partners=3)
    de, fr = _org(client, "Heidelberg", "DE"), _org(client, "Sorbonne", "FR")
    _org(client, "ETH oncology liquid biopsy screening", "CH")
    norway = _org(client, "Oslo", "NO")
    body = client.post(f"/calls/{call}/consortium", json={}).json()
    best = body["items"][0]
    assert best["feasible"] is True
    assert {m["organisation"]["id"] for m in best["members"]} == {de, fr, norway}


def test_impossible_proposal_names_the_failing_rule(client: TestClient) -> None:
    """With partners in DE and the US only, the answer names the rule and the fix."""
    call = _horizon_call(client)
    _org(client, "Heidelberg", "DE")
    _org(client, "Boston", "US")
    best = client.post(f"/calls/{call}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is False
    rules = [s["rule"] for s in best["shortfalls"] if s["requirement"] == "eligibility"]
    assert rules == ["independent-entities"]


def test_admin_row_changes_later_deadlines_only(client: TestClient, anonymous: TestClient) -> None:
    """An added row (Morocco associated from 2026) is listed and counts from its date on."""
    row = {
        "country": "MA",
        "status": "associated",
        "valid_from": "2026-01-01",
        "source": "Test source",
    }
    assert anonymous.post("/admin/country-statuses", json=row).status_code == 401
    created = client.post("/admin/country-statuses", json=row)
    assert created.status_code == 201, created.text
    added = [r for r in created.json() if not r["shipped"]]
    assert [(r["country"], r["valid_from"]) for r in added] == [("MA", "2026-01-01")]
    assert len(anonymous.get("/rules/countries").json()) == len(created.json())

    de, fr, ma = _org(client, "A", "DE"), _org(client, "B", "FR"), _org(client, "C", "MA")
    before = _draft(
        client, _horizon_call(client, identifier="OLD-1", deadline="2025-06-01"), de, fr, ma
    )
    after = _draft(
        client, _horizon_call(client, identifier="NEW-1", deadline="2026-06-01"), de, fr, ma
    )
    assert client.get(f"/consortia/{before}/eligibility").json()["eligible"] is False
    assert client.get(f"/consortia/{after}/eligibility").json()["eligible"] is True


def test_rules_show_prints_the_table_with_sources(tmp_path: Path) -> None:
    """`matchmaker rules show` lists statuses with dates and parts (`excluded` too), and cites
    the sources of the rows it shows."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    added = runner.invoke(
        app,
        ["rules", "add", "MA", "associated", "--from", "2026-01-01", "--source", "Test"],
        env=env,
    )
    assert added.output == "Added row 1: MA associated from 2026-01-01.\n"
    shown = runner.invoke(app, ["rules", "show", "--country", "GB"], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].split() == [
        "country",
        "status",
        "parts",
        "except",
        "from",
        "to",
        "origin",
        "note",
    ]
    assert lines[1].split()[:6] == ["GB", "non_associated", "all", "-", "2021-01-01", "2023-12-31"]
    assert lines[2].split()[:6] == ["GB", "associated", "all", "eic-fund", "2024-01-01", "-"]
    # Only the sources the rows shown cite, each row naming its own.
    assert "[uk-association-2024]" in lines[1]
    assert "accelopment.com" in shown.output
    assert "eur-lex.europa.eu" not in shown.output
    morocco = runner.invoke(app, ["rules", "show", "--country", "MA"], env=env)
    shipped_row, added_row = morocco.output.splitlines()[1:3]
    assert shipped_row.split()[:7] == [
        "MA",
        "non_associated",
        "all",
        "-",
        "2021-01-01",
        "-",
        "shipped",
    ]
    assert added_row.split()[:7] == ["MA", "associated", "all", "-", "2026-01-01", "-", "added"]
    excluded = runner.invoke(
        app, ["rules", "add", "KP", "excluded", "--from", "2024-01-01", "--source", "T"], env=env
    )
    assert excluded.output == "Added row 2: KP excluded from 2024-01-01.\n"
    russia = runner.invoke(app, ["rules", "show", "--country", "RU"], env=env).output
    assert russia.splitlines()[1].split()[:7] == [
        "RU",
        "excluded",
        "all",
        "-",
        "2022-05-11",
        "-",
        "shipped",
    ]
    assert "[wp-2021-2022-amendment-2022-05]" in russia


def test_csa_call_is_eligible_with_one_entity_in_an_associated_country(
    client: TestClient,
) -> None:
    """A CSA (Art. 22(4)) needs one entity: a Norwegian one alone is eligible; a South African
    member is funded (eligible for funding) but would not count on its own."""
    call = _horizon_call(
        client, identifier="HORIZON-CL4-2024-CSA", rule_set="horizon-europe-csa", min_countries=1
    )
    assert client.get(f"/calls/{call}").json()["rule_set"] == "horizon-europe-csa"
    norway, south_africa = _org(client, "Oslo University", "NO"), _org(client, "Wits", "ZA")

    body = client.get(f"/consortia/{_draft(client, call, norway, south_africa)}/eligibility")
    rule, _ = body.json()["rules"]
    assert (rule["rule"], rule["met"], body.json()["eligible"]) == (
        "independent-entities",
        True,
        True,
    )
    assert "Art. 22(4)" in rule["source"]
    za = next(p for p in body.json()["participants"] if p["organisation"]["id"] == south_africa)
    assert (za["country_status"], za["funded"]) == ("funding_eligible", True)

    alone = client.get(f"/consortia/{_draft(client, call, south_africa)}/eligibility").json()
    assert alone["eligible"] is False
    assert alone["rules"][0]["fix"] == (
        "Needs 1 more independent entity established in a Member State or Associated Country."
    )


def test_admin_may_add_a_funding_eligible_row(client: TestClient) -> None:
    """A low- or middle-income country the Programme Guide adds is a row like any other."""
    row = {"country": "KE", "status": "funding_eligible", "valid_from": "2021-01-01"}
    created = client.post("/admin/country-statuses", json={**row, "source": "Programme Guide"})
    assert created.status_code == 201, created.text
    added = [(r["country"], r["status"]) for r in created.json() if not r["shipped"]]
    assert added == [("KE", "funding_eligible")]


def test_a_row_that_would_change_nothing_is_refused(client: TestClient) -> None:
    """Switzerland associated from 1 Jan 2025 repeats the shipped row in force, and a later
    start or an end while the shipped row holds changes no answer either: each is refused with
    409 and nothing is added, since rows are never deleted. Associated for days it was not is
    a change, added once."""
    switzerland = {"country": "CH", "status": "associated", "source": "Euresearch"}
    before = client.get("/rules/countries").json()
    for repeat in (
        {"valid_from": "2025-01-01"},
        {"valid_from": "2026-03-01"},
        {"valid_from": "2025-01-01", "valid_to": "2027-12-31", "parts": ["pillar-2"]},
    ):
        refused = assert_problem(
            client.post("/admin/country-statuses", json={**switzerland, **repeat}), 409
        )
        assert refused["detail"] == (
            "This row would change nothing: Switzerland is already an Associated Country for "
            "the parts it names on every day it covers. Rows are never changed or deleted, so "
            "one that changes nothing is not added."
        )
    assert client.get("/rules/countries").json() == before

    # Associated from 1 Sep 2024, before the shipped row's 2025, is a change: added, once.
    earlier = {**switzerland, "valid_from": "2024-09-01", "valid_to": "2024-12-31"}
    added = client.post("/admin/country-statuses", json=earlier)
    assert added.status_code == 201, added.text
    assert_problem(client.post("/admin/country-statuses", json=earlier), 409)


def test_russian_member_fails_after_10_may_2022_and_is_never_suggested(client: TestClient) -> None:
    """WP 2021-2022 as amended on 10 May 2022: a Russian university in a draft for a call due
    1 June 2022 fails `no-excluded-entities` (due 1 March 2022 it takes part unfunded); the
    gaps view and the proposal never offer it, although it fits the call best."""
    de, fr, it = (
        _org(client, "Heidelberg", "DE"),
        _org(client, "Sorbonne", "FR"),
        _org(client, "Politecnico", "IT"),
    )
    russian = _org(client, "Moscow oncology liquid biopsy screening institute", "RU")
    belarusian = _org(client, "Minsk oncology liquid biopsy screening centre", "BY", kind="sme")
    before = _horizon_call(
        client, identifier="HORIZON-OLD", opening_date="2021-12-01", deadline="2022-03-01"
    )
    after = _horizon_call(
        client,
        identifier="HORIZON-NEW",
        opening_date="2022-01-15",
        deadline="2022-06-01",
        required_stakeholders={"academia": 1, "sme": 1},
        max_partners=4,
    )

    early = client.get(f"/consortia/{_draft(client, before, de, fr, it, russian)}/eligibility")
    assert early.json()["eligible"] is True
    ru = next(p for p in early.json()["participants"] if p["organisation"]["id"] == russian)
    assert (ru["country_status"], ru["funded"]) == ("non_associated", False)

    draft = _draft(client, after, de, fr, it, russian)
    late = client.get(f"/consortia/{draft}/eligibility").json()
    assert late["eligible"] is False
    [failing] = [rule for rule in late["rules"] if not rule["met"]]
    assert failing["rule"] == "no-excluded-entities"
    assert failing["fix"] == (
        "Remove Moscow oncology liquid biopsy screening institute: entities established in "
        "Russian Federation cannot take part in Horizon Europe actions (calls with a deadline "
        "after 10 May 2022)."
    )
    assert failing["candidates"] == []
    ru = next(p for p in late["participants"] if p["organisation"]["id"] == russian)
    assert (ru["country_status"], ru["funded"]) == ("excluded", False)

    client.delete(f"/consortia/{draft}/members/{russian}")
    gaps = client.get(f"/consortia/{draft}/gaps").json()
    sme_gap = next(g for g in gaps["requirements"] if g.get("stakeholder_type") == "sme")
    assert (sme_gap["missing"], sme_gap["available"], sme_gap["candidates"]) == (1, 0, [])
    needed = client.get(f"/calls/{after}/suggestions?missing_for={draft}").json()
    assert (needed["items"], needed["available"]) == ([], 0)

    best = client.post(f"/calls/{after}/consortium", json={}).json()["items"][0]
    members = {m["organisation"]["id"] for m in best["members"]}
    assert not members & {russian, belarusian}


def test_admin_may_add_an_excluded_row(client: TestClient) -> None:
    """`excluded` is a status like any other over the API; Russia and Belarus are shipped."""
    row = {"country": "KP", "status": "excluded", "valid_from": "2024-01-01", "source": "Test"}
    created = client.post("/admin/country-statuses", json=row)
    assert created.status_code == 201, created.text
    added = [(r["country"], r["status"]) for r in created.json() if not r["shipped"]]
    assert added == [("KP", "excluded")]
    shipped = [
        (r["country"], r["status"], r["valid_from"])
        for r in client.get("/rules/countries").json()
        if r["status"] == "excluded" and r["shipped"]
    ]
    assert shipped == [("RU", "excluded", "2022-05-11"), ("BY", "excluded", "2022-05-11")]


def test_excluded_candidates_do_not_crowd_out_the_ones_that_may_take_part(
    client: TestClient,
) -> None:
    """Thirty-one Russian SMEs fit the call better than the one German SME; a call due after
    10 May 2022 still gets the German one proposed and offered for its gap: the exclusion
    filters the index's selection, not its first thirty."""
    for n in range(31):
        _org(client, f"Liquid biopsy screening SME {n}", "RU", kind="sme")
    german = create_organisation(
        client,
        name="Kiel diagnostics",
        stakeholder_type="sme",
        country="DE",
        description="oncology screening",
        keywords=[],
        activities=[],
        website=None,
    )["id"]
    de, fr, it = (
        _org(client, name, code) for name, code in (("A", "DE"), ("B", "FR"), ("C", "IT"))
    )
    call = _horizon_call(
        client, deadline="2022-06-01", opening_date="2022-01-15", required_stakeholders={"sme": 1}
    )

    best = client.post(f"/calls/{call}/consortium", json={}).json()["items"][0]
    assert german in {m["organisation"]["id"] for m in best["members"]}
    assert best["shortfalls"] == []
    gaps = client.get(f"/consortia/{_draft(client, call, de, fr, it)}/gaps").json()
    sme_gap = next(g for g in gaps["requirements"] if g.get("stakeholder_type") == "sme")
    assert sme_gap["available"] == 1
    assert [c["organisation"]["id"] for c in sme_gap["candidates"]] == [german]


def test_ihi_draft_without_an_in_kind_contributor_is_offered_industry(client: TestClient) -> None:
    """A single-stage IHI draft with no industry member names industry members that would
    contribute in kind, even one sharing no word with the call, never one that said it does
    not contribute, nor one that shares a group with a member."""
    call = int(create_call(client)["id"])
    de, fr, nl = (_org(client, name, c) for name, c in [("A", "DE"), ("B", "FR"), ("C", "NL")])
    pharma = _org(client, "PharmaCo", "CH", "industry", description="Tablets and capsules.")
    _org(client, "Declined Pharma", "BE", "industry", ihi_contributor=False)
    _org(client, "Sister Pharma", "IT", "industry", group="Group A")
    client.patch(f"/organisations/{de}", json={"group": "Group A"})
    draft = _draft(client, call, de, fr, nl)

    rules = client.get(f"/consortia/{draft}/eligibility").json()["rules"]
    in_kind = next(rule for rule in rules if rule["rule"] == "in-kind-contributor")
    assert in_kind["met"] is False
    offered = [c["organisation"]["id"] for c in in_kind["candidates"]]
    assert offered == [pharma]
    assert in_kind["candidates"][0]["reasons"] == ["Shares no terms with the call"]
