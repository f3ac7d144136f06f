"""Programme rules: real cases from the programmes' documents (docs/eligibility.md cites each)."""

from datetime import date

import pytest

from matchmaker.consortium.eligibility import (
    ENTITIES_RULE,
    EXCLUDED_RULE,
    IN_KIND_RULE,
    MEMBER_STATE_RULE,
    STAGE_ONE_RULE,
    Context,
    Participant,
    check,
    default_rule_set,
    independent_entities,
    likely_affiliates,
    solver_rules,
    stated_rules,
)
from matchmaker.consortium.solver import Candidate, Method, Requirements, propose_consortia
from matchmaker.country_statuses import CountryStatus, StatusTable, parse_row
from models.call import RuleSet

TABLE = StatusTable.shipped()
HE = RuleSet.horizon_europe
REG = "Regulation (EU) 2021/695, Art. 22(2)"
LIST = "List of participating countries in Horizon Europe, V2.8"
ISERD = "ISERD, Consortium composition (UK + NO + IS not eligible)"
CH = "Euresearch, Jan/Feb 2025: Switzerland from 1 January 2025"
UK = "UK association in force 1 January 2024, except the EIC Fund"
SB = "Science|Business 2024: Canada, New Zealand, Korea for Pillar II"
EG = "Agence Europe 2025: Egypt, transitional from 10 April 2025"
JP = "Commission, Dec 2025: Japan associated to Pillar II, calls from 2026"
MA = "BayFOR 2023, Research Council of Norway 2022: Morocco's association not in force"
LMIC = "ESASTAP: South Africa eligible for funding from 17 June 2021 (not associated)"
WP22 = "WP 2021-2022 General Annexes amended 10 May 2022; NCP Flanders (BY): no RU/BY entities"


def _members(*countries: str, groups: dict[int, str] | None = None) -> list[Participant]:
    groups = groups or {}
    return [
        Participant(id=k, name=f"Org {k}", country=country, group=groups.get(k))
        for k, country in enumerate(countries, start=1)
    ]


def _failing(
    countries: tuple[str, ...],
    on: date,
    part: str | None = "pillar-2",
    groups: dict[int, str] | None = None,
) -> set[str]:
    context = Context(rule_set=HE, part=part, on=on, table=TABLE)
    report = check(_members(*countries, groups=groups), context)
    return {rule.rule for rule in report.rules if not rule.met}


# (source, countries, deadline, part, groups, rules that fail)
CASES = [
    (REG, ("DE", "FR", "IT"), date(2024, 2, 21), "pillar-2", None, set()),
    (REG, ("DE", "FR"), date(2024, 2, 21), "pillar-2", None, {ENTITIES_RULE}),
    (REG, ("DE", "DE", "FR"), date(2024, 2, 21), "pillar-2", None, {ENTITIES_RULE}),
    (ISERD, ("GB", "NO", "IS"), date(2024, 5, 1), "pillar-2", None, {MEMBER_STATE_RULE}),
    (REG, ("DE", "NO", "TR"), date(2022, 9, 1), "pillar-2", None, set()),
    (REG, ("DE", "FR", "US"), date(2024, 2, 21), "pillar-2", None, {ENTITIES_RULE}),
    (CH, ("DE", "FR", "CH"), date(2024, 9, 17), "pillar-2", None, {ENTITIES_RULE}),
    (CH, ("DE", "FR", "CH"), date(2025, 9, 17), "pillar-2", None, set()),
    (UK, ("DE", "FR", "GB"), date(2023, 4, 12), "pillar-2", None, {ENTITIES_RULE}),
    (UK, ("DE", "FR", "GB"), date(2024, 4, 12), "pillar-2", None, set()),
    (UK, ("DE", "FR", "GB"), date(2024, 4, 12), "eic-fund", None, {ENTITIES_RULE}),
    (SB, ("DE", "FR", "KR"), date(2025, 10, 1), "pillar-2", None, set()),
    (SB, ("DE", "FR", "KR"), date(2025, 10, 1), "pillar-1", None, {ENTITIES_RULE}),
    (SB, ("DE", "FR", "KR"), date(2024, 10, 1), "pillar-2", None, {ENTITIES_RULE}),
    (SB, ("DE", "FR", "CA"), date(2024, 9, 1), "pillar-2", None, set()),
    (SB, ("DE", "FR", "CA"), date(2024, 9, 1), None, None, {ENTITIES_RULE}),
    (LIST, ("DE", "FR", "NZ"), date(2023, 9, 1), "pillar-2", None, set()),
    (LIST, ("DE", "FR", "NZ"), date(2023, 9, 1), "pillar-3", None, {ENTITIES_RULE}),
    (EG, ("DE", "FR", "EG"), date(2025, 3, 1), "pillar-2", None, {ENTITIES_RULE}),
    (EG, ("DE", "FR", "EG"), date(2025, 5, 1), "pillar-2", None, set()),
    (JP, ("DE", "FR", "JP"), date(2026, 4, 15), "pillar-2", None, set()),
    (JP, ("DE", "FR", "JP"), date(2026, 4, 15), "pillar-1", None, {ENTITIES_RULE}),
    (JP, ("DE", "FR", "JP"), date(2025, 9, 1), "pillar-2", None, {ENTITIES_RULE}),
    (MA, ("DE", "FR", "MA"), date(2024, 9, 1), "pillar-2", None, {ENTITIES_RULE}),
    (LMIC, ("DE", "FR", "ZA"), date(2024, 9, 1), "pillar-2", None, {ENTITIES_RULE}),
    (WP22, ("DE", "FR", "IT", "RU"), date(2022, 3, 1), "pillar-2", None, set()),
    (WP22, ("DE", "FR", "IT", "RU"), date(2022, 5, 10), "pillar-2", None, set()),
    (WP22, ("DE", "FR", "IT", "RU"), date(2022, 5, 11), "pillar-2", None, {EXCLUDED_RULE}),
    (WP22, ("DE", "FR", "IT", "BY"), date(2022, 6, 1), "widening", None, {EXCLUDED_RULE}),
    (WP22, ("DE", "FR", "RU"), date(2024, 9, 1), None, None, {ENTITIES_RULE, EXCLUDED_RULE}),
    (WP22, ("DE", "FR", "IT", "UA"), date(2024, 9, 1), "pillar-2", None, set()),
    (
        REG,
        ("DE", "FR", "IT"),
        date(2024, 2, 21),
        "pillar-2",
        {1: "Acme", 2: "acme"},
        {ENTITIES_RULE},
    ),
    (REG, ("DE", "FR", "IT", "ES"), date(2024, 2, 21), "pillar-2", {1: "A", 2: "A"}, set()),
]


@pytest.mark.parametrize(("source", "countries", "on", "part", "groups", "failing"), CASES)
def test_horizon_europe_cases_from_the_documents(
    source: str,
    countries: tuple[str, ...],
    on: date,
    part: str | None,
    groups: dict[int, str] | None,
    failing: set[str],
) -> None:
    """Each documented case passes or fails exactly the rules the documents say."""
    assert _failing(countries, on, part, groups) == failing, source


def test_affiliated_entities_in_two_countries_count_once() -> None:
    """A group with members in DE and FR is one entity: only one of its countries counts."""
    members = _members("DE", "FR", "IT", groups={1: "Acme", 2: "Acme"})
    core = independent_entities(members, frozenset({"DE", "FR", "IT"}))
    assert len(core) == 2
    assert {p.country for p in core} in ({"DE", "IT"}, {"FR", "IT"})


def test_failing_rule_says_what_would_fix_it() -> None:
    """The message and the fix name the countries already used, by name as the pages show
    them, and the fix says where a new partner may come from."""
    context = Context(rule_set=HE, part="pillar-2", on=date(2024, 2, 21), table=TABLE)
    report = check(_members("DE", "FR", "BE", "BE", groups={3: "x", 4: "x"})[:2], context)
    entities = report.rules[0]
    assert entities.message == (
        "Has 2 independent entities in distinct eligible countries (France and Germany)."
    )
    assert entities.fix == (
        "Needs 1 more independent entity established in a Member State or Associated "
        "Country other than France and Germany."
    )
    assert "DE" not in entities.fix_countries
    assert "NO" in entities.fix_countries
    assert "US" not in entities.fix_countries


def test_member_outside_eligible_countries_takes_part_unfunded() -> None:
    """A US member is marked as taking part without automatic funding, and counts for nothing."""
    context = Context(rule_set=HE, part="pillar-2", on=date(2024, 2, 21), table=TABLE)
    report = check(_members("DE", "FR", "IT", "US"), context)
    assert report.eligible
    us = report.participants[3]
    assert (us.country_status, us.funded) == (CountryStatus.non_associated, False)


def test_low_and_middle_income_country_member_is_funded_but_not_counted() -> None:
    """A South African member (eligible for funding from 17 June 2021, ESASTAP) is funded and
    does not count towards the three entities; before that date it was not funded."""
    members = _members("DE", "FR", "ZA")
    context = Context(rule_set=HE, part="pillar-2", on=date(2024, 2, 21), table=TABLE)
    report = check(members, context)
    za = report.participants[2]
    assert (za.country_status, za.funded) == (CountryStatus.funding_eligible, True)
    assert "does not count towards the consortium rule" in za.note
    assert not report.eligible
    earlier = Context(rule_set=HE, part="pillar-2", on=date(2021, 6, 16), table=TABLE)
    za_before = check(members, earlier).participants[2]
    assert (za_before.country_status, za_before.funded) == (CountryStatus.non_associated, False)


@pytest.mark.parametrize("country", ["AF", "AO", "DZ"])
def test_listed_low_and_middle_income_countries_are_funding_eligible(country: str) -> None:
    """NCP Flanders' country tool lists them among the countries eligible for funding."""
    status = TABLE.status(country, programme="horizon-europe", part=None, on=date(2024, 1, 1))
    assert status is CountryStatus.funding_eligible


def test_morocco_row_says_why_it_is_not_counted() -> None:
    """Morocco has a sourced row: not associated, the transitional arrangement explained."""
    row = TABLE.row_for("MA", programme="horizon-europe", part="pillar-2", on=date(2025, 1, 1))
    assert row is not None
    assert (row.status, row.source) == (CountryStatus.non_associated, "morocco-transitional")
    assert "transitional arrangement" in row.note


# (rule set, countries, whether the one-entity rule is met): Regulation (EU) 2021/695, Art. 22(3)
# for ERC and other single-beneficiary actions, Art. 22(4) for coordination and support actions.
ONE_ENTITY_CASES = [
    (RuleSet.horizon_europe_csa, ("NO",), True),
    (RuleSet.horizon_europe_csa, ("DE",), True),
    (RuleSet.horizon_europe_csa, ("US",), False),
    (RuleSet.horizon_europe_csa, (), False),
    (RuleSet.horizon_europe_single, ("DE",), True),
    (RuleSet.horizon_europe_single, ("IS",), True),
    (RuleSet.horizon_europe_single, ("ZA",), False),
    (RuleSet.horizon_europe_single, ("US", "CH"), False),
]


@pytest.mark.parametrize(("rule_set", "countries", "met"), ONE_ENTITY_CASES)
def test_one_entity_rule_sets_need_one_entity_in_a_member_state_or_associated_country(
    rule_set: RuleSet, countries: tuple[str, ...], met: bool
) -> None:
    """CSAs and ERC-like actions need one entity, which an Associated Country alone provides."""
    context = Context(rule_set=rule_set, part=None, on=date(2024, 9, 1), table=TABLE)
    report = check(_members(*countries), context)
    rule, excluded = report.rules
    assert (rule.rule, rule.met, report.eligible) == (ENTITIES_RULE, met, met)
    assert (excluded.rule, excluded.met) == (EXCLUDED_RULE, True)
    article = {RuleSet.horizon_europe_csa: "22(4)", RuleSet.horizon_europe_single: "22(3)"}
    assert f"Art. {article[rule_set]}" in rule.source
    if not met:
        assert rule.fix == (
            "Needs 1 more independent entity established in a Member State or Associated Country."
        )
        assert {"DE", "NO"} <= rule.fix_countries
        assert "US" not in rule.fix_countries


def _ihi(*, two_stage: bool) -> Context:
    return Context(
        rule_set=RuleSet.ihi,
        part="pillar-2",
        on=date(2024, 4, 17),
        table=TABLE,
        two_stage=two_stage,
    )


IHI_MEMBERS = [
    Participant(id=1, name="Leiden UMC", country="NL", stakeholder_type="academia"),
    Participant(id=2, name="Oncomark", country="BE", stakeholder_type="sme"),
    Participant(id=3, name="PharmaCo", country="DE", stakeholder_type="industry"),
]


def test_ihi_single_stage_with_industry_member_is_eligible_and_marks_it_unfunded() -> None:
    """IHI call 7 conditions: the industry member contributes in kind and is not funded."""
    report = check(IHI_MEMBERS, _ihi(two_stage=False))
    assert report.eligible
    assert [p.funded for p in report.participants] == [True, True, False]
    assert "in-kind" in report.participants[2].note


def test_ihi_single_stage_without_in_kind_contributor_fails() -> None:
    """Without an industry member or contributing partner the contribution share cannot be met."""
    members = [*IHI_MEMBERS[:2], Participant(id=4, name="Paris Uni", country="FR")]
    report = check(members, _ihi(two_stage=False))
    assert {r.rule for r in report.rules if not r.met} == {IN_KIND_RULE}


def test_ihi_industry_declared_funded_is_not_an_in_kind_contributor() -> None:
    """An industry organisation that declares it is no IHI contributor is funded."""
    members = [
        *IHI_MEMBERS[:2],
        Participant(
            id=3, name="X", country="DE", ihi_contributor=False, stakeholder_type="industry"
        ),
    ]
    report = check(members, _ihi(two_stage=False))
    assert report.participants[2].funded
    assert not report.eligible


def test_ihi_stage_one_refuses_industry_members() -> None:
    """IHI Guide for Applicants 2.1: in stage 1 the applicant consortium has no industry."""
    report = check(IHI_MEMBERS, _ihi(two_stage=True))
    assert {r.rule for r in report.rules if not r.met} == {STAGE_ONE_RULE}
    assert check(
        [*IHI_MEMBERS[:2], Participant(id=5, name="U", country="FR")], _ihi(two_stage=True)
    ).eligible


def test_rule_set_none_has_no_rules() -> None:
    """A call with rule set none is only held to its own conditions."""
    context = Context(rule_set=RuleSet.none, part=None, on=date(2024, 1, 1), table=TABLE)
    assert check(_members("US"), context).rules == ()


def test_stated_rules_are_the_rules_a_report_checks_in_its_words() -> None:
    """Before there is a consortium, each rule set states the rules a draft's report checks,
    by name and in the same title: the stage a two-stage IHI call is at decides its IHI rule."""
    for context in (_ihi(two_stage=False), _ihi(two_stage=True)):
        report = check(IHI_MEMBERS, context)
        assert stated_rules(context) == [(rule.rule, rule.title) for rule in report.rules]
    assert [name for name, _ in stated_rules(_ihi(two_stage=True))] == [
        ENTITIES_RULE,
        MEMBER_STATE_RULE,
        EXCLUDED_RULE,
        STAGE_ONE_RULE,
    ]
    none = Context(rule_set=RuleSet.none, part=None, on=date(2024, 1, 1), table=TABLE)
    assert stated_rules(none) == []


@pytest.mark.parametrize(
    ("programme", "min_countries", "expected"),
    [
        ("IHI", 3, (RuleSet.ihi, "pillar-2")),
        ("Horizon Europe Cluster 4 (Digital, Industry and Space)", 3, (HE, "pillar-2")),
        ("EU Mission: Cancer", 3, (HE, "pillar-2")),
        ("Horizon Europe Cluster 1 (Health)", 1, (RuleSet.none, None)),
        ("ERC", 1, (RuleSet.none, None)),
        (None, 3, (RuleSet.none, None)),
    ],
)
def test_default_rule_set_from_programme(
    programme: str | None, min_countries: int, expected: tuple[RuleSet, str | None]
) -> None:
    """IHI and collaborative Horizon Europe calls get their rules; ERC and CSAs do not."""
    assert default_rule_set(programme, min_countries=min_countries) == expected


def test_later_row_takes_over_and_earlier_dates_keep_the_old_status() -> None:
    """An added row (Morocco associated from 2026) changes later dates only."""
    row = parse_row(
        {
            "country": "MA",
            "programme": "horizon-europe",
            "status": "associated",
            "valid_from": "2026-01-01",
            "source": "test",
        },
        shipped=False,
    )
    table = StatusTable.shipped([row])
    status = {
        on: table.status("MA", programme="horizon-europe", part="pillar-2", on=on)
        for on in (date(2025, 6, 1), date(2026, 6, 1))
    }
    assert status == {
        date(2025, 6, 1): CountryStatus.non_associated,
        date(2026, 6, 1): CountryStatus.associated,
    }


def test_likely_affiliates_are_flagged_not_merged() -> None:
    """Same website host or near-identical names are flagged; declared groups are not."""
    members = [
        Participant(
            id=1, name="Siemens Healthineers AG", country="DE", website="https://www.siemens.com"
        ),
        Participant(id=2, name="Siemens Healthineers GmbH", country="AT"),
        Participant(id=3, name="Siemens France", country="FR", website="http://siemens.com/fr"),
        Participant(id=4, name="Leiden University", country="NL", group="L"),
        Participant(id=5, name="Leiden Universty", country="NL", group="L"),
    ]
    assert likely_affiliates(members) == [
        (1, 2, "Near-identical names."),
        (1, 3, "Same website host (siemens.com)."),
    ]


def test_shipped_table_rows_all_cite_a_known_source() -> None:
    """Every shipped row names a source listed in the sources file."""
    from matchmaker.country_statuses import shipped_rows, sources

    assert {row.source for row in shipped_rows()} <= set(sources())


@pytest.mark.parametrize(
    ("country", "name"), [("RU", "Lomonosov Moscow State University"), ("BY", "BSU Minsk")]
)
def test_entity_in_excluded_country_fails_for_deadlines_after_10_may_2022(
    country: str, name: str
) -> None:
    """WP 2021-2022 as amended on 10 May 2022 (NCP Flanders, BY page): a Russian or Belarusian
    university may take part unfunded in a call due 1 March 2022, and not at all in one due
    1 June 2022; the fix names it and its country, and it counts towards no other rule."""
    members = [*_members("DE", "FR", "IT"), Participant(id=4, name=name, country=country)]
    before = check(members, Context(rule_set=HE, part="pillar-2", on=date(2022, 3, 1), table=TABLE))
    assert before.eligible
    assert (before.rules[-1].rule, before.rules[-1].met) == (EXCLUDED_RULE, True)
    assert (before.participants[3].country_status, before.participants[3].funded) == (
        CountryStatus.non_associated,
        False,
    )

    after = check(members, Context(rule_set=HE, part="pillar-2", on=date(2022, 6, 1), table=TABLE))
    assert {rule.rule for rule in after.rules if not rule.met} == {EXCLUDED_RULE}
    rule = after.rules[-1]
    country_label = {"RU": "Russian Federation", "BY": "Belarus"}[country]
    assert rule.message == (
        f"Members established in an excluded country: {name} ({country_label})."
    )
    assert rule.fix == (
        f"Remove {name}: entities established in {country_label} cannot take part in Horizon "
        "Europe actions (calls with a deadline after 10 May 2022)."
    )
    assert rule.fix_countries == frozenset()
    assert "10 May 2022" in rule.source
    status = after.participants[3]
    assert (status.country_status, status.funded) == (CountryStatus.excluded, False)
    assert status.note.startswith("Cannot take part")


def test_excluded_countries_are_not_eligible_countries() -> None:
    """Russia and Belarus count towards neither the entities nor the Member State rule."""
    context = Context(rule_set=HE, part="pillar-2", on=date(2024, 9, 1), table=TABLE)
    assert context.excluded_countries() == {"RU", "BY"}
    assert not context.excluded_countries() & context.eligible_countries()
    assert context.status("UA") is CountryStatus.associated
    rules = solver_rules(context)
    assert rules is not None
    assert rules.excluded_countries == {"RU", "BY"}


def test_rule_set_none_reports_an_excluded_member_without_a_rule() -> None:
    """Without programme rules no rule fails, but the member's status still says excluded."""
    context = Context(rule_set=RuleSet.none, part=None, on=date(2024, 9, 1), table=TABLE)
    report = check(_members("DE", "RU"), context)
    assert (report.rules, report.eligible) == ((), True)
    assert (report.participants[1].country_status, report.participants[1].funded) == (
        CountryStatus.excluded,
        False,
    )
    assert solver_rules(context) is None


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_proposal_leaves_out_the_best_scoring_russian_candidate(method: Method) -> None:
    """WP 2021-2022 as amended: a call due 1 June 2022 whose best candidate is Russian gets a
    proposal without it; a call due 1 March 2022 may still include it (it is then unfunded)."""
    candidates = [
        Candidate(id=1, stakeholder_type="academia", country="RU", score=0.95),
        Candidate(id=2, stakeholder_type="academia", country="DE", score=0.9),
        Candidate(id=3, stakeholder_type="sme", country="FR", score=0.8),
        Candidate(id=4, stakeholder_type="industry", country="IT", score=0.7),
        Candidate(id=5, stakeholder_type="academia", country="NL", score=0.3),
    ]

    def proposal(on: date) -> frozenset[int]:
        context = Context(rule_set=HE, part="pillar-2", on=on, table=TABLE)
        requirements = Requirements(
            required={"academia": 1}, max_partners=4, rules=solver_rules(context)
        )
        [best] = propose_consortia(candidates, requirements, method=method, diversity_weight=0.0)
        assert best.feasible
        return best.member_ids

    assert proposal(date(2022, 6, 1)) == {2, 3, 4, 5}
    assert proposal(date(2022, 3, 1)) == {1, 2, 3, 4}


def test_included_excluded_candidate_is_reported_not_dropped() -> None:
    """A Russian organisation the user insists on stays in and the proposal names the rule."""
    candidates = [
        Candidate(id=1, stakeholder_type="academia", country="RU", score=0.5),
        Candidate(id=2, stakeholder_type="academia", country="DE", score=0.9),
        Candidate(id=3, stakeholder_type="sme", country="FR", score=0.8),
        Candidate(id=4, stakeholder_type="sme", country="IT", score=0.7),
    ]
    context = Context(rule_set=HE, part="pillar-2", on=date(2024, 9, 1), table=TABLE)
    requirements = Requirements(required={}, max_partners=4, rules=solver_rules(context))
    [best] = propose_consortia(candidates, requirements, include=[1])
    assert best.member_ids == {1, 2, 3, 4}
    [shortfall] = best.shortfalls
    assert (shortfall.rule, shortfall.needed, shortfall.achieved) == (EXCLUDED_RULE, 0, 1)
    assert shortfall.message == (
        "The programme excludes entities established in Russian Federation from taking part in "
        "any capacity; remove the included ones."
    )


@pytest.mark.parametrize(
    ("country", "source"),
    [
        ("AR", "ncp-flanders-country-tool"),
        ("KZ", "secca-2024"),
        ("KG", "secca-2024"),
        ("TJ", "secca-2024"),
        ("TM", "secca-2024"),
        ("UZ", "secca-2024"),
    ],
)
def test_argentina_and_central_asia_are_funding_eligible(country: str, source: str) -> None:
    """NCP Flanders (AR) and the SECCA project's report (Central Asia): eligible for funding."""
    row = TABLE.row_for(country, programme="horizon-europe", part=None, on=date(2024, 1, 1))
    assert row is not None
    assert (row.status, row.source) == (CountryStatus.funding_eligible, source)
