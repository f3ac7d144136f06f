"""Programme rules a consortium must meet to be admissible, checked for a draft or a proposal.

Pure domain code (no web framework, no database). The rules, each cited in docs/eligibility.md:

- ``horizon-europe`` (Regulation (EU) 2021/695, Art. 22(2); General Annexes, Annex B): at least
  three independent legal entities, each established in a different Member State or Associated
  Country, at least one of them in a Member State.
- ``ihi`` (Innovative Health Initiative calls): the same consortium rule; in a single-stage call
  at least one participant contributes in kind (a constituent or affiliated entity of an
  industry member, or a contributing partner: the call's 45 % contribution comes from them); in
  stage 1 of a two-stage call none does (the industry consortium joins at stage 2).
- ``horizon-europe-csa`` (Art. 22(4)): coordination and support actions need one legal entity,
  in a Member State or Associated Country (elsewhere only where the work programme allows it).
- ``horizon-europe-single`` (Art. 22(3)): ERC, EIC, training and mobility and programme co-fund
  actions need one legal entity established in a Member State or Associated Country.
- Every rule set but ``none`` (Work Programme 2021-2022, General Annexes as amended on 10 May
  2022): no member established in an excluded country (Russia and Belarus for calls with a
  deadline after 10 May 2022), in any capacity.
- ``none``: no programme rule (the call's own conditions still apply; see the gaps view).

Independence: members that declare the same ``group`` are affiliated and count as one entity.
Entities must also sit in distinct countries, so the number of independent entities in distinct
eligible countries is a maximum bipartite matching between groups and countries. Countries'
statuses come from `matchmaker.country_statuses` on the call's deadline (today when it has
none), for the call's programme part.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from matchmaker.consortium.solver import (
    ENTITIES_RULE,
    EXCLUDED_RULE,
    IN_KIND_RULE,
    MEMBER_STATE_RULE,
    STAGE_ONE_RULE,
    ConsortiumRules,
)
from matchmaker.countries import country_name, country_names
from matchmaker.country_statuses import CountryStatus, StatusTable
from matchmaker.wording import and_list, plural, say_date
from models.call import RuleSet, default_rule_set

__all__ = [
    "ENTITIES_RULE",
    "EXCLUDED_RULE",
    "IN_KIND_RULE",
    "MEMBER_STATE_RULE",
    "STAGE_ONE_RULE",
    "Context",
    "Participant",
    "ParticipantStatus",
    "Report",
    "RuleResult",
    "check",
    "default_rule_set",
    "likely_affiliates",
    "solver_rules",
    "stated_rules",
]

PROGRAMME = "horizon-europe"
MIN_ENTITIES = 3
SOURCES = {
    ENTITIES_RULE: "Regulation (EU) 2021/695, Art. 22(2); Horizon Europe General Annexes, Annex B",
    MEMBER_STATE_RULE: "Regulation (EU) 2021/695, Art. 22(2); Horizon Europe General Annexes, "
    "Annex B",
    IN_KIND_RULE: "IHI call conditions (e.g. IHI call 7, 2024): at least 45 % of costs covered "
    "by contributions of industry members' constituent or affiliated entities and contributing "
    "partners",
    STAGE_ONE_RULE: "IHI Guide for Applicants (2022), section 2.1: in two-stage calls the "
    "industry consortium joins the selected applicant consortium at stage 2",
    EXCLUDED_RULE: "Horizon Europe Work Programme 2021-2022, General Annexes as amended on 10 May "
    "2022: legal entities established in Russia, Belarus or non-government controlled "
    "territories of Ukraine may not participate in any capacity (calls with a deadline after "
    "10 May 2022; exceptions case by case)",
}
# One legal entity in a Member State or Associated Country: the minimum of these rule sets.
ONE_ENTITY_SOURCES = {
    RuleSet.horizon_europe_csa: "Regulation (EU) 2021/695, Art. 22(4): coordination and support "
    "actions may be implemented by one or more legal entities",
    RuleSet.horizon_europe_single: "Regulation (EU) 2021/695, Art. 22(3): ERC, EIC, training and "
    "mobility and programme co-fund actions may be implemented by one or more legal entities, "
    "one of them established in a Member State or Associated Country",
}
# Names that differ only in legal form or by this little are flagged as likely affiliates.
NAME_SIMILARITY = 0.92
_LEGAL_FORMS = re.compile(
    r"\b(gmbh|ag|sa|sas|srl|spa|bv|nv|ltd|limited|plc|inc|oy|ab|as|aps|kg|se|s\.?a\.?|"
    r"s\.?r\.?l\.?|b\.?v\.?|n\.?v\.?)\b\.?",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class Participant:
    """A member of a consortium as the rules see it."""

    id: int
    name: str
    country: str
    stakeholder_type: str = ""
    group: str | None = None
    ihi_contributor: bool | None = None
    website: str | None = None

    @property
    def entity(self) -> str:
        """The independence key: the declared group, else the organisation itself."""
        return f"group:{self.group.strip().casefold()}" if self.group else f"id:{self.id}"

    @property
    def in_kind(self) -> bool:
        """Whether it takes part in IHI with in-kind contributions (unset: industry does)."""
        if self.ihi_contributor is not None:
            return self.ihi_contributor
        return self.stakeholder_type == "industry"


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the rules are evaluated against: the call's rule set, part, deadline, table."""

    rule_set: RuleSet
    part: str | None
    on: date
    table: StatusTable
    two_stage: bool = False

    def status(self, country: str) -> CountryStatus:
        """A country's status for this call."""
        return self.table.status(country, programme=PROGRAMME, part=self.part, on=self.on)

    def eligible_countries(self) -> frozenset[str]:
        """Member States and Associated Countries for this call."""
        return self.member_states() | self.table.countries(
            CountryStatus.associated, programme=PROGRAMME, part=self.part, on=self.on
        )

    def member_states(self) -> frozenset[str]:
        """The EU Member States on the call's date."""
        return self.table.countries(
            CountryStatus.member_state, programme=PROGRAMME, part=self.part, on=self.on
        )

    def excluded_countries(self) -> frozenset[str]:
        """The countries whose entities may not take part in this call at all."""
        return self.table.countries(
            CountryStatus.excluded, programme=PROGRAMME, part=self.part, on=self.on
        )

    def excluded_after(self, country: str) -> date | None:
        """The deadline after which the country's entities are excluded (None if they are not)."""
        row = self.table.row_for(country, programme=PROGRAMME, part=self.part, on=self.on)
        if row is None or row.status is not CountryStatus.excluded:
            return None
        return row.valid_from - timedelta(days=1)


@dataclass(frozen=True)
class RuleResult:
    """One rule: met or not, why, and what would fix it."""

    rule: str
    title: str
    met: bool
    message: str
    source: str
    fix: str | None = None
    # Where a fixing partner may come from (empty: anywhere, or nothing to fix).
    fix_countries: frozenset[str] = frozenset()
    # Which stakeholder types a fixing partner is of (empty: any type, or nothing to fix), and
    # whether it must contribute in kind (`Participant.in_kind`).
    fix_types: frozenset[str] = frozenset()
    fix_in_kind: bool = False


@dataclass(frozen=True)
class ParticipantStatus:
    """A member's country status and whether it can be funded."""

    id: int
    country_status: CountryStatus
    funded: bool
    note: str


@dataclass(frozen=True)
class Report:
    """Every rule of the rule set for one consortium."""

    rule_set: RuleSet
    part: str | None
    evaluated_on: date
    rules: tuple[RuleResult, ...]
    participants: tuple[ParticipantStatus, ...]
    likely_affiliates: tuple[tuple[int, int, str], ...] = field(default=())

    @property
    def eligible(self) -> bool:
        """Whether every rule is met."""
        return all(rule.met for rule in self.rules)


def independent_entities(
    participants: Sequence[Participant], countries: frozenset[str]
) -> list[Participant]:
    """A largest set of independent participants in distinct countries of ``countries``.

    Maximum bipartite matching of entities (groups) to countries, by augmenting paths; a draft
    has at most a few hundred members, so this is instant.
    """
    by_entity: dict[str, list[Participant]] = {}
    for participant in participants:
        if participant.country in countries:
            by_entity.setdefault(participant.entity, []).append(participant)
    owner: dict[str, tuple[str, Participant]] = {}  # country -> (entity, participant)

    def augment(entity: str, seen: set[str]) -> bool:
        for participant in by_entity[entity]:
            country = participant.country
            if country in seen:
                continue
            seen.add(country)
            if country not in owner or augment(owner[country][0], seen):
                owner[country] = (entity, participant)
                return True
        return False

    for entity in sorted(by_entity):
        augment(entity, set())
    return sorted((participant for _, participant in owner.values()), key=lambda p: p.id)


def _consortium_rules(participants: Sequence[Participant], context: Context) -> list[RuleResult]:
    eligible = context.eligible_countries()
    member_states = context.member_states()
    core = independent_entities(participants, eligible)
    used = [p.country for p in core]
    missing = max(0, MIN_ENTITIES - len(core))
    if missing:
        other = f" other than {country_names(used)}" if used else ""
        fix = (
            f"Needs {plural(missing, 'more independent entity', 'more independent entities')} "
            f"established in a Member State or Associated Country{other}."
        )
    else:
        fix = None
    entities = RuleResult(
        rule=ENTITIES_RULE,
        title="At least three independent legal entities, each in a different Member State or "
        "Associated Country",
        met=not missing,
        message=(
            f"Has {len(core)} independent "
            f"{'entity' if len(core) == 1 else 'entities'} in distinct eligible countries"
            + (f" ({country_names(used)})" if used else "")
            + "."
        ),
        source=SOURCES[ENTITIES_RULE],
        fix=fix,
        fix_countries=eligible - set(used),
    )
    in_member_state = sorted({p.country for p in participants if p.country in member_states})
    member_state = RuleResult(
        rule=MEMBER_STATE_RULE,
        title="At least one of them established in an EU Member State",
        met=bool(in_member_state),
        message=(
            f"Has members established in {country_names(in_member_state)}."
            if in_member_state
            else "No member is established in an EU Member State."
        ),
        source=SOURCES[MEMBER_STATE_RULE],
        fix=None
        if in_member_state
        else "Needs an independent entity established in an EU Member State.",
        fix_countries=frozenset() if in_member_state else member_states,
    )
    return [entities, member_state]


def _one_entity_rule(participants: Sequence[Participant], context: Context) -> RuleResult:
    eligible = context.eligible_countries()
    inside = sorted({p.country for p in participants if p.country in eligible})
    return RuleResult(
        rule=ENTITIES_RULE,
        title="At least one legal entity established in a Member State or Associated Country",
        met=bool(inside),
        message=(
            f"Has members established in {country_names(inside)}."
            if inside
            else "No member is established in a Member State or Associated Country."
        ),
        source=ONE_ENTITY_SOURCES[context.rule_set],
        fix=None
        if inside
        else "Needs 1 more independent entity established in a Member State or Associated Country.",
        fix_countries=frozenset() if inside else eligible,
    )


def _excluded_rule(participants: Sequence[Participant], context: Context) -> RuleResult:
    excluded = context.excluded_countries()
    by_country: dict[str, list[str]] = {}
    for participant in participants:
        if participant.country in excluded:
            by_country.setdefault(participant.country, []).append(participant.name)
    countries = sorted(by_country, key=country_name)
    fixes = []
    for country in countries:
        after = context.excluded_after(country)
        when = f" (calls with a deadline after {say_date(after, full_month=True)})" if after else ""
        fixes.append(
            f"Remove {and_list(sorted(by_country[country]))}: entities established in "
            f"{country_name(country)} cannot take part in Horizon Europe actions{when}."
        )
    named = "; ".join(
        f"{and_list(sorted(by_country[country]))} ({country_name(country)})"
        for country in countries
    )
    return RuleResult(
        rule=EXCLUDED_RULE,
        title="No legal entity established in a country excluded from the programme, in any "
        "capacity",
        met=not countries,
        message=(
            f"Members established in an excluded country: {named}."
            if countries
            else "No member is established in a country excluded from the programme."
        ),
        source=SOURCES[EXCLUDED_RULE],
        fix=" ".join(fixes) or None,
    )


def _ihi_rules(participants: Sequence[Participant], context: Context) -> list[RuleResult]:
    contributors = [p for p in participants if p.in_kind]
    names = ", ".join(p.name for p in contributors)
    if context.two_stage:
        return [
            RuleResult(
                rule=STAGE_ONE_RULE,
                title="Stage 1 of a two-stage call: no industry member or contributing partner "
                "in the applicant consortium",
                met=not contributors,
                message=(
                    f"In-kind contributors in the applicant consortium: {names}."
                    if contributors
                    else "No in-kind contributor in the applicant consortium."
                ),
                source=SOURCES[STAGE_ONE_RULE],
                fix="Remove them: the industry consortium joins at stage 2."
                if contributors
                else None,
            )
        ]
    return [
        RuleResult(
            rule=IN_KIND_RULE,
            title="Single-stage call: at least one industry member or contributing partner "
            "contributing in kind",
            met=bool(contributors),
            message=(
                f"Contributing in kind: {names}."
                if contributors
                else "No member contributes in kind, so the call's contribution share cannot "
                "be met."
            ),
            source=SOURCES[IN_KIND_RULE],
            fix=None
            if contributors
            else "Needs an industry member (a member of one of the industry associations whose "
            "members fund IHI: COCIR, EFPIA, EuropaBio or MedTech Europe, or a company in the same "
            "group as one) or a contributing partner (a foundation or charity, say).",
            fix_types=frozenset() if contributors else frozenset({"industry"}),
            fix_in_kind=not contributors,
        )
    ]


def _participation(participant: Participant, context: Context) -> ParticipantStatus:
    status = context.status(participant.country)
    name = country_name(participant.country)
    if context.rule_set is RuleSet.ihi and participant.in_kind:
        return ParticipantStatus(
            participant.id,
            status,
            funded=False,
            note="Takes part with in-kind contributions; not eligible for IHI funding.",
        )
    if status is CountryStatus.excluded and context.rule_set is RuleSet.none:
        return ParticipantStatus(
            participant.id,
            status,
            funded=False,
            note=f"Entities established in {name} are excluded from Horizon Europe calls; this "
            "call names no programme rules (rule set none), so its own terms decide.",
        )
    if status is CountryStatus.excluded:
        return ParticipantStatus(
            participant.id,
            status,
            funded=False,
            note=f"Cannot take part: entities established in {name} are excluded from Horizon "
            "Europe for this call, in any capacity (exceptions only case by case).",
        )
    if status is CountryStatus.funding_eligible:
        return ParticipantStatus(
            participant.id,
            status,
            funded=True,
            note=f"{name} is not associated, so it does not count towards the consortium rule, "
            "but its entities are automatically eligible for funding (a low- or middle-income "
            "country listed in the General Annexes).",
        )
    if status is CountryStatus.non_associated:
        return ParticipantStatus(
            participant.id,
            status,
            funded=False,
            note=f"Can take part; {name} is neither a Member State nor associated for this "
            "call, so it is not automatically eligible for funding.",
        )
    label = "an EU Member State" if status is CountryStatus.member_state else "associated"
    return ParticipantStatus(
        participant.id, status, funded=True, note=f"{name} is {label}: eligible for funding."
    )


def check(participants: Sequence[Participant], context: Context) -> Report:
    """Every rule of the context's rule set for these participants (none for ``none``)."""
    rules: list[RuleResult] = []
    if context.rule_set in ONE_ENTITY_SOURCES:
        rules.append(_one_entity_rule(participants, context))
    elif context.rule_set is not RuleSet.none:
        rules.extend(_consortium_rules(participants, context))
    if context.rule_set is not RuleSet.none:
        rules.append(_excluded_rule(participants, context))
    if context.rule_set is RuleSet.ihi:
        rules.extend(_ihi_rules(participants, context))
    return Report(
        rule_set=context.rule_set,
        part=context.part,
        evaluated_on=context.on,
        rules=tuple(rules),
        participants=tuple(_participation(p, context) for p in participants),
        likely_affiliates=tuple(likely_affiliates(participants)),
    )


def stated_rules(context: Context) -> list[tuple[str, str]]:
    """The context's rules as a draft's report states them, each by name and title, before
    there is a consortium to check (the builder lists them beside the call's requirements)."""
    return [(rule.rule, rule.title) for rule in check([], context).rules]


def solver_rules(context: Context) -> ConsortiumRules | None:
    """The rules as the consortium solver's constraints (None for ``none``)."""
    if context.rule_set is RuleSet.none:
        return None
    if context.rule_set in ONE_ENTITY_SOURCES:
        return ConsortiumRules(
            independent_entities=1,
            eligible_countries=context.eligible_countries(),
            require_member_state=False,
            excluded_countries=context.excluded_countries(),
        )
    ihi = context.rule_set is RuleSet.ihi
    return ConsortiumRules(
        independent_entities=MIN_ENTITIES,
        eligible_countries=context.eligible_countries(),
        member_states=context.member_states(),
        min_in_kind=1 if ihi and not context.two_stage else 0,
        no_in_kind=ihi and context.two_stage,
        excluded_countries=context.excluded_countries(),
    )


def _host(website: str | None) -> str | None:
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    host = host.removeprefix("www.")
    return host or None


def _bare_name(name: str) -> str:
    return " ".join(_LEGAL_FORMS.sub(" ", name.casefold()).replace(",", " ").split())


def likely_affiliates(participants: Sequence[Participant]) -> list[tuple[int, int, str]]:
    """Pairs of members in different declared groups that look affiliated, with the reason.

    Flagged for review only: never merged, as a shared host or a similar name is a hint, not
    proof (two universities' hospitals can share a domain and stay independent).
    """
    flagged = []
    ordered = sorted(participants, key=lambda p: p.id)
    for k, first in enumerate(ordered):
        for second in ordered[k + 1 :]:
            if first.entity == second.entity:
                continue
            host = _host(first.website)
            if host is not None and host == _host(second.website):
                flagged.append((first.id, second.id, f"Same website host ({host})."))
                continue
            a, b = _bare_name(first.name), _bare_name(second.name)
            if a and difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY:
                flagged.append((first.id, second.id, "Near-identical names."))
    return flagged
