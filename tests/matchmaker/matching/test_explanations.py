"""Reasons a person reads: plain sentences, telling terms only, past projects by title."""

import itertools
import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matchmaker.importers.cordis import ACTIVITY_TYPES, organisation_description
from matchmaker.matching.analyzer import DOMAIN_STOP_WORDS
from matchmaker.matching.explanations import (
    lift_sentence,
    lifted,
    matched_terms,
    reason_sentence,
    reasons,
    telling,
)
from matchmaker.matching.past_projects import project_id
from matchmaker.matching.scoring import RankedMatch, Reason, Signal
from matchmaker.matching.text_index import MatchedTerm
from models import matching as schemas
from models.common import StakeholderType
from models.organisation import Organisation


def test_generic_words_and_numbers_are_never_shown_as_shared_terms() -> None:
    """'early', 'non', 'life', 'choice' and numbers say nothing; 'wearable sensors' does."""
    terms = [MatchedTerm(t, 0.1) for t in ("early", "non life", "2030", "wearable sensors")]
    assert [term.term for term in matched_terms(terms)] == ["wearable sensors"]
    assert telling("early parkinson")
    assert not telling("choice")


def test_the_importers_own_description_words_are_never_shown_as_shared_terms() -> None:
    """An imported profile's description is the importer's sentence ("Private company (SME) in
    Paris, France. Took part in 12 Horizon Europe projects in CORDIS, coordinating 3."): of its
    words only the place and the kind of organisation say something; a profile submitted over
    HTTP has none of the others, so showing them would also tell the two paths apart."""
    said = set()
    for code in ACTIVITY_TYPES:
        text = organisation_description(
            activity_type=code, sme="true", city="Paris", country="FR", projects=12, coordinated=3
        )
        words = [
            word
            for word in re.findall(r"[a-z]+", text.lower())
            if word not in ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS
        ]
        # Words, and phrases of two (made across the description's sentences as well).
        terms = words + [" ".join(pair) for pair in itertools.pairwise(words)]
        said |= {term for term in terms if telling(term)}
    importers_words = {"took", "part", "horizon", "europe", "projects", "cordis", "sme"}
    assert not [term for term in said if importers_words & set(term.split())]
    # The place and the kind: "organisation paris" for two research organisations in Paris.
    assert said == {
        "paris",
        "france",
        "paris france",
        "higher",
        "education",
        "higher secondary",
        "secondary education",
        "organisation paris",
        "body paris",
    }


def test_legal_forms_and_fillers_make_no_shared_term() -> None:
    """The legal form two companies' names share says nothing about their work, nor does a
    phrase a filler word is part of; other generic words still make telling phrases."""
    for term in (
        "oy",
        "gmbh",
        "vtt oy",
        "biotech gmbh",
        "agrotikos synetairismos",  # "agricultural cooperative", in Greek companies' names
        "finland took",
        "provides access",
        "account consumer",  # "taking into account consumer perspectives"
        "regard patient",  # "with regard to patient safety"
        "line objective",  # "in line with the objectives"
        "term vision",  # "long-term vision"
    ):
        assert not telling(term), term
    for term in (
        "molecular basis",
        "production line",
        "health data",
        "early detection",
        "regulatory body",
        "patient organisations",
        "finland",
    ):
        assert telling(term), term


def test_sentences_name_terms_projects_and_partners() -> None:
    """Each signal reads as one sentence about the subject matched."""
    text = Reason("text_similarity", 0.4, 0.2)
    assert (
        reason_sentence(text, subject="the call", terms=["wearable sensors", "gait", "parkinson"])
        == "Shares wearable sensors, gait, parkinson with the call"
    )
    assert reason_sentence(Reason("text_similarity", 0.0, 0.0), subject="the call") == (
        "Shares no terms with the call"
    )
    assert reason_sentence(Reason("track_record", 1, 1.1), subject="the call") == (
        "Lists 1 past project or activity"
    )
    projects = [schemas.PastProject(title=t, cosine=0.5) for t in ("A", "B", "C", "D")]
    similar = Reason("similar_projects", 2.0, 3.0, projects=((1, 0.5),))
    assert reason_sentence(similar, subject="the call", projects=projects) == (
        'Took part in 4 similar past projects: "A", "B", "C" and 1 more'
    )
    partners = Reason("past_partners", 3, 1.4, organisation_ids=(7, 9))
    assert reason_sentence(partners, subject="the call") == (
        "Lists 3 past projects that 2 of your partners also list"
    )


def test_past_projects_are_named_from_the_profile_with_or_without_a_url() -> None:
    """A similar-projects reason names the profile's own titles, closest first."""
    first = {"title": "GAITWEAR: gait sensors", "summary": "wearables"}
    second = {"title": "Tremor registry", "url": "https://cordis.europa.eu/project/id/9"}
    organisation = Organisation(
        id=1,
        name="Lab",
        stakeholder_type=StakeholderType.sme,
        country="DE",
        activities=[first, second],
    )
    found = (
        Reason(
            "similar_projects",
            1.2,
            2.0,
            projects=((project_id(second) or 0, 0.7), (project_id(first) or 0, 0.5)),
        ),
    )
    [shown] = reasons(organisation, RankedMatch(1, 0.8, (), found), subject="the call")
    assert [(p.title, p.url) for p in shown.projects] == [
        ("Tremor registry", "https://cordis.europa.eu/project/id/9"),
        ("GAITWEAR: gait sensors", None),
    ]
    assert shown.detail == (
        'Took part in 2 similar past projects: "Tremor registry", "GAITWEAR: gait sensors"'
    )


def _ranked(doc_id: int, text: float, *evidence: tuple[Signal, float, float]) -> RankedMatch:
    """A ranked match with a text similarity and (signal, value, factor) evidence reasons."""
    text_reason = Reason(signal="text_similarity", value=text, factor=text**2)
    found = [
        Reason(signal=signal, value=value, factor=factor) for signal, value, factor in evidence
    ]
    return RankedMatch(doc_id, 0.5, (), (text_reason, *found))


def test_lifted_names_the_evidence_that_put_a_weaker_text_fit_above_a_clearly_better_one() -> None:
    """Only a match ranked above one whose text fits 1.5 times better or more is lifted, by its
    strongest evidence; a text fit only a little better below it, or none, lifts nothing."""
    veteran = _ranked(1, 0.20, ("track_record", 40, 4.9), ("similar_projects", 0.2, 1.3))
    specialist = _ranked(2, 0.31, ("track_record", 0, 1.0))
    close = _ranked(3, 0.25, ("track_record", 3, 1.8))
    similar = _ranked(4, 0.10, ("track_record", 2, 1.6), ("similar_projects", 0.6, 2.4))
    last = _ranked(5, 0.16)
    assert lifted([veteran, specialist, close, similar, last]) == [
        veteran.reasons[1],
        None,
        None,
        similar.reasons[2],
        None,
    ]
    assert lifted([close, specialist]) == [None, None]
    assert lifted([_ranked(6, 0.1), _ranked(7, 0.3)]) == [None, None]
    assert lifted([]) == []


def test_lift_sentences_say_which_evidence_outweighed_the_wording() -> None:
    """The sentence names the track record with its count, or the projects that lifted it."""
    assert lift_sentence(Reason(signal="track_record", value=40, factor=4.9)) == (
        "Ranked above closer matches in wording for its track record: "
        "40 past projects or activities"
    )
    assert lift_sentence(Reason(signal="similar_projects", value=0.6, factor=2.4)) == (
        "Ranked above closer matches in wording for its similar past projects"
    )
    assert lift_sentence(Reason(signal="past_partners", value=2, factor=3.0)) == (
        "Ranked above closer matches in wording for its past projects with your partners"
    )
