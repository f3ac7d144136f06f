"""Matches explained as the API shows them: shared terms, reasons in sentences, and the past
projects a reason names, turned into the response schemas in this one place."""

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Final

from matchmaker.matching.directory import OrganisationCard
from matchmaker.matching.past_projects import listed_projects
from matchmaker.matching.scoring import (
    FRESHNESS,
    NEIGHBOUR_PROJECTS,
    PAST_PARTNERS,
    SIMILAR_PROJECTS,
    TEXT_SIMILARITY,
    TRACK_RECORD,
    RankedMatch,
    Reason,
)
from matchmaker.matching.text_index import Match, MatchedTerm
from matchmaker.repository import stored_id
from matchmaker.wording import listing, plural, quoted
from models import matching as schemas
from models.call import Call, call_status
from models.organisation import Organisation, OrganisationSummary

# Weights and scores are rounded in answers: more digits say nothing a person can use.
DIGITS = 6
# Shared terms named in a sentence, and past projects named by title.
TERMS_IN_SENTENCE: Final = 3
PROJECTS_IN_SENTENCE: Final = 3
# Evidence shown beside the shared terms on a page when it multiplies the odds by this much.
# Similar past projects are not among it: a page lists them whenever there are any
# (`similar_projects`), as what a reader checks a suggestion by, whatever they weighed.
EVIDENCE_SHOWN: Final = frozenset({PAST_PARTNERS})
FACTOR_SHOWN: Final = 1.5
# The evidence that can put an organisation above one whose text fits better (`lifted`), and
# how much better that text fit must be for a page to say so: small differences of wording
# are every ranking's, a clearly better fit ranked lower is what surprises a reader.
EVIDENCE: Final = frozenset({TRACK_RECORD, SIMILAR_PROJECTS, PAST_PARTNERS})
CLEARLY_BETTER_TEXT: Final = 1.5
# Words that match but tell a person nothing about a shared topic (seen as "shared terms" on
# demo calls and CORDIS profiles); a term made only of them, or of numbers, is never shown.
GENERIC_WORDS: Final = frozenset(
    """
    early late non life choice high low large small good better best first last long short
    current future past present recent form type types level levels area areas field fields
    case cases set number numbers time times improve improved improving increase increased
    increasing reduce reduced reducing state order general common potential major scale real
    world related open group groups process processes system systems service services tool
    tools people person public private sector sectors international national regional local
    global society social development solution solutions method methods management quality
    value values health countries country member members company companies body bodies
    organisation organisations organization organizations secondary line lines basis
    objective objectives
    """.split()  # noqa: SIM905 - a word list reads better as a paragraph than as 60 lines
)
# Words that make any term holding them filler, a phrase as much as the word alone: verbs and
# fillers of sentences ("took part", "provides access", "taking into account", "with regard
# to", "by means of", "long-term"), the importer's own words ("CORDIS", "SME",
# "establishment"), and the legal forms in organisations' names (Oy, GmbH, Ltd), which
# link two companies of one country, not a topic. A phrase of generic words can still be
# telling ("early detection", "health data", "regulatory body", "patient organisations"); one
# with these never is ("finland took", "sme paris", across the sentences of an imported
# description; "vtt oy").
FILLER_WORDS: Final = frozenset(
    """
    took part parts able available currently way ways make makes made provide provides
    provided allow allows enable enables possible important account regard accordance
    respect addition view views term terms mean means
    cordis coordinating coordinated sme smes establishment establishments
    gmbh ggmbh mbh gbr ohg kg ug ev ag se sl slu srl srls sa sas sarl spa bv nv bvba vzw
    asbl aisbl cvba scrl scarl ab oy oyj aps ou uab sia as kft zrt sro doo ltd
    plc inc llc corp lda ltda limitada ae ike etaireia sirketi spolka odpowiedzialnoscia
    agrotikos synetairismos
    """.split()  # noqa: SIM905 - a word list reads better as a paragraph than as 50 lines
)


def matched_terms(terms: Iterable[MatchedTerm]) -> list[schemas.MatchedTerm]:
    """The shared terms of a match as the API shows them, generic ones left out."""
    return [
        schemas.MatchedTerm(term=t.term, weight=round(t.weight, DIGITS))
        for t in terms
        if telling(t.term)
    ]


@functools.lru_cache(maxsize=1 << 14)  # a request asks about 200 terms, mostly the same ones
def telling(term: str) -> bool:
    """Whether a shared term says something about a topic: not only generic words or numbers,
    and no filler word in it."""
    words = term.split()
    return not any(word in FILLER_WORDS for word in words) and any(
        word not in GENERIC_WORDS and not word.isdigit() for word in words
    )


def drove(reason: schemas.Reason) -> bool:
    """Whether a similar-projects or past-partner reason moved the score enough to show beside
    the shared terms on a page."""
    return reason.signal in EVIDENCE_SHOWN and reason.factor >= FACTOR_SHOWN


def similar_projects(shown: Sequence[schemas.Reason]) -> list[schemas.PastProject]:
    """The similar past projects among a suggestion's reasons (`reasons`), closest first: none
    when it has no similar-projects reason or none of its projects is close."""
    return next((reason.projects for reason in shown if reason.signal == SIMILAR_PROJECTS), [])


def lifted(ranking: Sequence[RankedMatch]) -> list[Reason | None]:
    """For each match of a ranking (best first): when it ranks above a match whose text
    similarity is CLEARLY_BETTER_TEXT times its own or more, the evidence that put it there (its
    strongest track-record, similar-projects or past-partner reason); None otherwise. A page
    says so beside the shared terms, so that a clearly weaker text fit ranked first is never
    left unexplained."""
    texts = [_text_similarity(match) for match in ranking]
    found: list[Reason | None] = [None] * len(ranking)
    closest_below = 0.0
    for row in range(len(ranking) - 1, -1, -1):
        if closest_below > 0 and closest_below >= CLEARLY_BETTER_TEXT * texts[row]:
            evidence = [r for r in ranking[row].reasons if r.signal in EVIDENCE and r.factor > 1]
            found[row] = max(evidence, key=lambda reason: reason.factor, default=None)
        closest_below = max(closest_below, texts[row])
    return found


def _activities(count: int) -> str:
    return plural(count, "past project or activity", "past projects or activities")


def _text_similarity(match: RankedMatch) -> float:
    return next((r.value for r in match.reasons if r.signal == TEXT_SIMILARITY), 0.0)


def lift_sentence(reason: Reason) -> str:
    """Why an organisation ranks above closer matches in wording (`lifted`), in a sentence."""
    lead = "Ranked above closer matches in wording for"
    if reason.signal == TRACK_RECORD:
        return f"{lead} its track record: {_activities(int(reason.value))}"
    if reason.signal == SIMILAR_PROJECTS:
        return f"{lead} its similar past projects"
    assert reason.signal == PAST_PARTNERS
    return f"{lead} its past projects with your partners"


def reason_sentence(
    reason: Reason,
    *,
    subject: str,
    terms: Sequence[str] = (),
    projects: Sequence[schemas.PastProject] = (),
) -> str:
    """A reason as a sentence a person reads; `subject` names what was matched ("the call")."""
    if reason.signal == TEXT_SIMILARITY:
        if reason.value <= 0:
            return f"Shares no terms with {subject}"
        if not terms:
            return f"Shares some general terms with {subject}"
        return f"Shares {listing(terms, TERMS_IN_SENTENCE)} with {subject}"
    if reason.signal == TRACK_RECORD:
        count = int(reason.value)
        if not count:
            return "Lists no past projects"
        return f"Lists {_activities(count)}"
    if reason.signal == SIMILAR_PROJECTS:
        if not projects:
            return (
                f"None of its past projects is among the {NEIGHBOUR_PROJECTS} closest to {subject}"
            )
        # In double quotes, as every name someone gave: a title's own apostrophe ("Parkinson's")
        # would end a single-quoted one.
        titles = [quoted(project.title) for project in projects]
        many = plural(len(projects), "similar past project")
        return f"Took part in {many}: {listing(titles, PROJECTS_IN_SENTENCE)}"
    if reason.signal == FRESHNESS:
        months = int(reason.value) // 30
        ago = plural(months, "month") if months else plural(int(reason.value), "day")
        return f"Last confirmed as current {ago} ago: ranks after fresh profiles of similar fit"
    assert reason.signal == PAST_PARTNERS
    shared = int(reason.value)
    if not shared:
        return "Has no past project with your partners"
    # Both profiles list the project (same title and year): what they say, not a proof.
    partners = len(reason.organisation_ids)
    verb = "lists" if partners == 1 else "list"
    return f"Lists {plural(shared, 'past project')} that {partners} of your partners also {verb}"


def _past_projects(
    listed: Mapping[int, Mapping[str, Any]], reason: Reason
) -> list[schemas.PastProject]:
    """The projects a similar-projects reason refers to, named from the profile, closest first."""
    return [
        schemas.PastProject(
            title=str(listed[number].get("title") or ""),
            url=listed[number].get("url"),
            cosine=round(cosine, DIGITS),
        )
        for number, cosine in reason.projects
        if number in listed
    ]


def reasons(
    organisation: Organisation | OrganisationCard, match: RankedMatch, *, subject: str = "the text"
) -> list[schemas.Reason]:
    """A ranked match's reasons as the API shows them, past projects named from the profile."""
    named = any(reason.projects for reason in match.reasons)
    listed = listed_projects(organisation) if named else {}
    terms = [term.term for term in matched_terms(match.matched_terms)]
    shown = []
    for reason in match.reasons:
        projects = _past_projects(listed, reason)
        shown.append(
            schemas.Reason(
                signal=reason.signal,
                value=round(reason.value, DIGITS),
                factor=round(reason.factor, DIGITS),
                detail=reason_sentence(reason, subject=subject, terms=terms, projects=projects),
                organisation_ids=list(reason.organisation_ids),
                projects=projects,
            )
        )
    return shown


def suggestion(
    organisation: Organisation | OrganisationCard, match: RankedMatch, *, subject: str = "the text"
) -> schemas.Suggestion:
    """One suggested organisation with its score, shared terms and reasons."""
    return schemas.Suggestion(
        organisation=OrganisationSummary.model_validate(organisation),
        score=round(match.score, DIGITS),
        matched_terms=matched_terms(match.matched_terms),
        reasons=reasons(organisation, match, subject=subject),
    )


def call_summary(call: Call, *, today: date) -> schemas.CallSummary:
    """A call's identifying fields with its status as of today."""
    return schemas.CallSummary(
        id=stored_id(call),
        identifier=call.identifier,
        title=call.title,
        programme=call.programme,
        deadline=call.deadline,
        status=call_status(call.opening_date, call.deadline, today),
    )


def call_match(call: Call, match: Match, *, today: date) -> schemas.CallMatch:
    """One fitting call with its score and shared terms."""
    return schemas.CallMatch(
        call=call_summary(call, today=today),
        score=round(match.score, DIGITS),
        matched_terms=matched_terms(match.matched_terms),
    )
