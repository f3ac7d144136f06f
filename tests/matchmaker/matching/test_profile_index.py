"""The suggestion ranking: text similarity first, each piece of evidence a bounded factor."""

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.past_projects import (
    PastPartners,
    past_partners,
    project_id,
    project_ids,
)
from matchmaker.matching.profile_index import MATCHER_SETTINGS, ProfileIndex, Selection
from matchmaker.matching.saved_index import load, save
from matchmaker.matching.scoring import RankedMatch, Weights
from matchmaker.matching.text import activity_key
from matchmaker.matching.text_index import TfidfMatcher
from tests.helpers import Profile

WEIGHTS = Weights.fitted()


def blank_activities(count: int, *, first: int = 1000) -> tuple[dict[str, Any], ...]:
    """Activities whose titles are numbers (no matchable word, so they leave the cosine alone),
    each a distinct past project."""
    return tuple({"title": f"#{first + i}", "summary": ""} for i in range(count))


BIOPSY = "liquid biopsy for early cancer detection"
BIOPSY_CALL = "Early cancer detection with liquid biopsy"


NO_CALLS = CallTerms()


def index_of(
    profiles: Mapping[int, Profile],
    kinds: Mapping[int, str] | None = None,
    known_calls: CallTerms | None = None,
) -> ProfileIndex:
    """A ProfileIndex over the profiles, with a stakeholder_type facet (and by default the
    package's call-frequency table)."""
    ids = list(profiles)
    kinds = kinds or {}
    return ProfileIndex(known_calls=known_calls).fit(
        ids,
        [profiles[i] for i in ids],
        facets={"stakeholder_type": [kinds.get(i, "academia") for i in ids]},
    )


def odds(score: float) -> float:
    """The odds of a fit that a score in (0, 1) stands for."""
    return score / (1 - score)


def test_activity_key_is_the_folded_title_whatever_the_url_role_or_year() -> None:
    """The same project submitted over HTTP or imported from CORDIS has one identity."""
    imported = {
        "title": "ÉLAN: Early Lung-cancer Analysis",
        "url": "https://cordis.europa.eu/project/id/1",
        "role": "coordinator",
        "year": 2019,
    }
    submitted = {"title": "élan early lung cancer analysis", "summary": "Our part: imaging."}
    assert activity_key(imported) == activity_key(submitted) == "elan early lung cancer analysis"
    assert project_id(imported) == project_id(submitted) is not None
    assert project_id({"title": "!!"}) is None
    profile = Profile("A", activities=(imported, submitted, {"title": "Other"}))
    assert project_ids(profile) == {project_id(imported), project_id({"title": "other"})}


def test_past_partners_counts_distinct_shared_projects_and_never_the_partner_itself() -> None:
    """An organisation's count is the projects it shares with any partner; it names them."""
    members = {"p1": {1, 2, 3}, "p2": {1, 2}, "p3": {4, 2}, "p4": {5}}
    found = past_partners({1: {"p1", "p2"}, 4: {"p3"}}, members)
    assert found == PastPartners(
        shared={2: 3, 3: 1},
        partners={2: (1, 4), 3: (1,)},
    )


def test_equal_text_fit_ranks_the_longer_track_record_first_by_a_bounded_factor() -> None:
    """Two profiles with the same text: 15 past projects multiply the odds by 16 ** weight."""
    index = index_of(
        {
            1: Profile("Newcomer", BIOPSY),
            2: Profile("Veteran", BIOPSY, activities=blank_activities(15)),
            3: Profile("Cardiology", "heart failure imaging"),
        }
    )
    ranked = index.rank(BIOPSY_CALL)
    assert [match.id for match in ranked] == [2, 1]
    ratio = odds(ranked[0].score) / odds(ranked[1].score)
    assert ratio == pytest.approx(16**WEIGHTS.track_record, rel=1e-9)
    assert [reason.value for reason in ranked[0].reasons][1:] == [15.0, 0.0]


def test_listing_a_project_twice_counts_once() -> None:
    """A repeated activity adds neither to the track record nor to the text."""
    once = Profile("Lab", BIOPSY, activities=({"title": "Biopsy trial", "summary": BIOPSY},))
    twice = Profile("Lab", BIOPSY, activities=(*once.activities, *once.activities))
    scores = [index_of({1: profile}).rank(BIOPSY_CALL)[0] for profile in (once, twice)]
    assert scores[0].score == pytest.approx(scores[1].score, rel=1e-12)
    assert scores[1].reasons[1].value == 1.0


def test_profile_sharing_no_term_is_suggested_only_to_fill_a_type() -> None:
    """No shared term: left out of a plain ranking, offered last when every one is asked for."""
    index = index_of(
        {
            1: Profile("Biopsy lab", BIOPSY),
            2: Profile("Big cardiology centre", "heart failure", activities=blank_activities(300)),
            3: Profile("Small cardiology lab", "heart failure"),
        }
    )
    assert [match.id for match in index.rank(BIOPSY_CALL)] == [1]
    assert index.rank("the and of") == []
    filled = index.rank(BIOPSY_CALL, fill=True)
    assert [match.id for match in filled] == [1, 2, 3]  # the longer record first among the rest
    assert [match.reasons[0].value for match in filled[1:]] == [0.0, 0.0]
    assert filled[0].score > 0.1 > 0.01 > filled[1].score > filled[2].score > 0


def test_every_suggestion_explains_each_signal_of_its_score() -> None:
    """Reasons are text, track record and similar projects; their factors make the odds."""
    index = index_of(
        {
            1: Profile("Biopsy lab", BIOPSY, activities=blank_activities(3)),
            2: Profile("Oncology", "cancer detection", activities=blank_activities(1)),
        }
    )
    for match in index.rank(BIOPSY_CALL):
        assert isinstance(match, RankedMatch)
        assert [reason.signal for reason in match.reasons] == [
            "text_similarity",
            "track_record",
            "similar_projects",
        ]
        factors = np.prod([reason.factor for reason in match.reasons])
        assert np.exp(WEIGHTS.intercept) * factors == pytest.approx(odds(match.score), rel=1e-9)
    top = index.rank(BIOPSY_CALL)[0]
    assert top.reasons[1].factor == pytest.approx(4**WEIGHTS.track_record, rel=1e-12)
    assert top.reasons[0].factor == pytest.approx(top.reasons[0].value ** WEIGHTS.text, rel=1e-9)
    # "early" is common in calls (the shipped call-frequency table): it weighs less.
    assert [term.term for term in top.matched_terms[:3]] == [
        "biopsy",
        "early cancer",
        "liquid biopsy",
    ]


def test_partners_boost_who_worked_with_them_and_the_reason_names_them() -> None:
    """Sharing 3 past projects with the draft's member multiplies the odds by 4 ** weight, or
    by what the evidence budget leaves beside the track record and similar projects."""
    shared = blank_activities(3, first=2000)
    index = index_of(
        {
            1: Profile("Draft member", "cardiology", activities=shared),
            2: Profile("Old partner", BIOPSY, activities=shared),
            3: Profile("Stranger", BIOPSY, activities=blank_activities(3, first=3000)),
        }
    )
    ranked = index.rank(BIOPSY_CALL, exclude_ids={1}, partner_ids={1})
    assert [match.id for match in ranked] == [2, 3]
    ratio = odds(ranked[0].score) / odds(ranked[1].score)
    _, track, similar, partner_reason = ranked[0].reasons
    left = math.exp(WEIGHTS.evidence_budget) / (track.factor * similar.factor)
    expected = min(4**WEIGHTS.past_partners, left)
    assert ratio == pytest.approx(expected, rel=1e-9)
    assert (partner_reason.signal, partner_reason.value) == ("past_partners", 3.0)
    assert partner_reason.factor == pytest.approx(expected, rel=1e-12)
    assert partner_reason.organisation_ids == (1,)
    assert ranked[1].reasons[3].factor == 1.0
    assert [len(match.reasons) for match in index.rank(BIOPSY_CALL)] == [3, 3]


def test_filters_apply_before_ranking() -> None:
    """Facet filters, include and exclude ids keep only the allowed profiles."""
    index = index_of(
        {1: Profile("A", BIOPSY), 2: Profile("B", BIOPSY), 3: Profile("C", "early cancer")},
        kinds={1: "academia", 2: "sme", 3: "sme"},
    )
    assert [m.id for m in index.rank(BIOPSY_CALL, filters={"stakeholder_type": "sme"})] == [2, 3]
    assert [m.id for m in index.rank(BIOPSY_CALL, exclude_ids={1, 2})] == [3]
    assert [m.id for m in index.rank(BIOPSY_CALL, include_ids=[3, 99])] == [3]
    assert index.rank(BIOPSY_CALL, filters={"stakeholder_type": ["regulator"]}) == []
    with pytest.raises(ValueError, match="unknown facet 'country'"):
        index.rank(BIOPSY_CALL, filters={"country": "DE"})


def test_profiles_missing_a_facet_value_pass_no_filter_on_it() -> None:
    """None and "" mean missing: such profiles pass no filter on that facet."""
    profiles = {i: Profile(f"Lab {i}", BIOPSY) for i in (1, 2, 3, 4)}
    index = ProfileIndex().fit(
        list(profiles), list(profiles.values()), facets={"country": ["DE", None, "", "FR"]}
    )
    allowed = index.rank(BIOPSY_CALL, filters={"country": {"DE", "FR", ""}})
    assert sorted(m.id for m in allowed) == [1, 4]
    assert sorted(m.id for m in index.rank(BIOPSY_CALL)) == [1, 2, 3, 4]


def test_an_upsert_replaces_the_facets_and_omitted_ones_become_missing() -> None:
    """The facets given with an edit replace the old ones; a facet left out becomes missing."""
    index = ProfileIndex().fit(
        [1, 2],
        [Profile("A", BIOPSY), Profile("B", BIOPSY)],
        facets={"stakeholder_type": ["sme", "sme"], "country": ["DE", "DE"]},
    )
    index.upsert(1, Profile("A", BIOPSY), {"country": "IT"})
    assert [m.id for m in index.rank(BIOPSY_CALL, filters={"country": "IT"})] == [1]
    assert [m.id for m in index.rank(BIOPSY_CALL, filters={"stakeholder_type": "sme"})] == [2]
    with pytest.raises(ValueError, match="unknown facets"):
        index.upsert(3, Profile("C", BIOPSY), {"region": "north"})


def test_similar_profiles_are_filtered_by_the_same_facets_as_rankings() -> None:
    """`similar` excludes the profile itself and keeps only profiles passing the filters."""
    index = index_of(
        {1: Profile("A", BIOPSY), 2: Profile("B", BIOPSY), 3: Profile("C", "early cancer")},
        kinds={1: "academia", 2: "academia", 3: "sme"},
    )
    assert [m.id for m in index.similar(1, k=5)] == [2, 3]
    assert [m.id for m in index.similar(1, k=5, filters={"stakeholder_type": "sme"})] == [3]
    assert index.similar(1, k=5, filters={"stakeholder_type": "regulator"}) == []


def test_upserts_and_removals_are_seen_by_the_next_ranking() -> None:
    """A new profile, a longer record, a new facet value and a removal all count at once."""
    index = index_of({1: Profile("A", BIOPSY), 2: Profile("B", BIOPSY)})
    index.upsert(
        3, Profile("C", BIOPSY, activities=blank_activities(15)), {"stakeholder_type": "sme"}
    )
    ranked = index.rank(BIOPSY_CALL)
    assert [m.id for m in ranked] == [3, 1, 2]
    assert odds(ranked[0].score) / odds(ranked[1].score) == pytest.approx(16**WEIGHTS.track_record)
    assert [m.id for m in index.rank(BIOPSY_CALL, filters={"stakeholder_type": "sme"})] == [3]
    index.upsert(
        1, Profile("A", BIOPSY, activities=blank_activities(80)), {"stakeholder_type": "x"}
    )
    assert [m.id for m in index.rank(BIOPSY_CALL)] == [1, 3, 2]
    assert index.activity_count(1) == 80
    assert index.remove(3) is True
    assert index.remove(3) is False
    assert [m.id for m in index.rank(BIOPSY_CALL)] == [1, 2]
    assert index.activity_count(3) == 0
    assert 3 not in index
    assert index.n_documents == 2


def test_past_partners_follow_edited_activities() -> None:
    """Editing a profile's activities changes who shares a past project with it."""
    shared = blank_activities(1, first=5000)
    index = index_of({1: Profile("Member", "x", activities=shared), 2: Profile("B", BIOPSY)})
    assert index.past_partners({1}).shared == {}
    index.upsert(2, Profile("B", BIOPSY, activities=shared), {"stakeholder_type": "academia"})
    assert index.past_partners({1}).shared == {2: 1}
    index.remove(1)
    assert index.past_partners({1}).shared == {}


def test_ranking_equals_a_brute_force_over_every_profile() -> None:
    """The vectorised ranking returns exactly the top k of the logistic score over all profiles."""
    rng = np.random.default_rng(7)
    words = ["cancer", "biopsy", "tumour", "heart", "imaging", "soil", "battery", "patient"]
    profiles = {
        100 + i: Profile(
            f"Org {i}",
            " ".join(rng.choice(words, size=6)),
            activities=blank_activities(int(rng.integers(0, 40)), first=1000 * i),
        )
        for i in range(60)
    }
    index = index_of(profiles, known_calls=NO_CALLS)
    text = "cancer biopsy patient trial"
    matcher = TfidfMatcher(**MATCHER_SETTINGS).fit(
        list(profiles), [f"{p.name}\n{p.description}" for p in profiles.values()]
    )
    cosine = matcher.score_ids(text, list(profiles))
    counts = np.array([len(p.activities) for p in profiles.values()])
    logit = [
        WEIGHTS.intercept + WEIGHTS.text * math.log(c) + WEIGHTS.track_record * math.log1p(n)
        for c, n in zip(np.maximum(cosine, 1e-3), counts, strict=True)
    ]
    expected = sorted(
        (-1 / (1 + math.exp(-value)), i)
        for i, c, value in zip(profiles, cosine, logit, strict=True)
        if c > 0
    )[:25]
    ranked = index.rank(text, k=25)
    assert [m.id for m in ranked] == [i for _, i in expected]
    assert [m.score for m in ranked] == pytest.approx([-s for s, _ in expected], rel=1e-9)


def test_rank_rejects_negative_k_and_answers_nothing_for_zero() -> None:
    """k must not be negative; k = 0 asks for nothing."""
    index = index_of({1: Profile("A", BIOPSY)})
    assert index.rank(BIOPSY_CALL, k=0) == []
    with pytest.raises(ValueError, match="k must be >= 0"):
        index.rank(BIOPSY_CALL, k=-1)


def project(number: int, text: str, role: str = "participant") -> dict[str, Any]:
    """A past project as the CORDIS importer writes it, with the organisation's role."""
    return {
        "title": f"P{number}: {text}",
        "summary": text,
        "url": f"https://cordis.europa.eu/project/id/{number}",
        "role": role,
    }


def test_past_projects_close_to_the_text_multiply_the_score_and_are_named() -> None:
    """A past project close to the call multiplies the odds by (1 + 10 x cosine) ** weight."""
    index = index_of(
        {
            1: Profile("Lab A", BIOPSY, activities=(project(1, BIOPSY_CALL),)),
            2: Profile("Lab B", BIOPSY, activities=(project(2, "heart failure imaging"),)),
            3: Profile("Lab C", "cardiology", activities=(project(1, BIOPSY_CALL, "coordinator"),)),
        }
    )
    ranked = {match.id: match for match in index.rank(BIOPSY_CALL)}
    similar = {doc_id: match.reasons[2] for doc_id, match in ranked.items()}
    assert similar[1].signal == "similar_projects"
    assert similar[1].projects == similar[3].projects
    [(key, cosine)] = similar[1].projects
    assert key == project_id(project(1, BIOPSY_CALL))
    assert cosine > 0.5
    assert similar[1].factor == pytest.approx((1 + 10 * cosine) ** WEIGHTS.similar_projects)
    assert similar[2].projects == ()
    assert similar[2].factor == 1.0
    assert odds(ranked[1].score) / odds(ranked[2].score) == pytest.approx(
        similar[1].factor * ranked[1].reasons[0].factor / ranked[2].reasons[0].factor, rel=1e-6
    )


def test_rank_many_gives_each_selection_what_rank_gives() -> None:
    """One scoring pass serves several selections exactly as separate rankings would."""
    index = index_of(
        {
            1: Profile("Lab A", BIOPSY, activities=(project(1, BIOPSY_CALL),)),
            2: Profile("Lab B", BIOPSY, activities=(project(2, "heart failure imaging"),)),
            3: Profile("Lab C", "liquid biopsy cardiology", activities=(project(1, BIOPSY_CALL),)),
            4: Profile("Lab D", "biopsy", activities=()),
        }
    )
    selections = [
        Selection(k=2),
        Selection(k=1, include_ids=[2, 4]),
        Selection(k=0),
        Selection(k=5, include_ids=[3]),
    ]
    many = index.rank_many(BIOPSY_CALL, selections, exclude_ids=[1])
    single = [
        index.rank(BIOPSY_CALL, k=s.k, include_ids=s.include_ids, exclude_ids=[1])
        for s in selections
    ]
    assert many == single
    assert [[match.id for match in batch] for batch in many] == [[3, 2], [2], [], [3]]


def test_projects_index_follows_upserts_and_removals() -> None:
    """A project enters with its first listing profile and leaves with its last one."""
    index = index_of({1: Profile("A", BIOPSY, activities=(project(1, BIOPSY_CALL),))})
    key_1, key_2 = (project_id(project(n, text)) for n, text in ((1, BIOPSY_CALL), (2, "x")))
    index.upsert(2, Profile("B", BIOPSY, activities=(project(1, BIOPSY_CALL), project(2, "x"))))
    assert key_1 in index.projects
    assert key_2 in index.projects
    assert sorted(index.similar_projects(BIOPSY_CALL).owners.tolist()) == [1, 2]
    index.remove(1)
    assert key_1 in index.projects  # B still lists it
    assert index.similar_projects(BIOPSY_CALL).owners.tolist() == [2]
    index.upsert(2, Profile("B", BIOPSY, activities=(project(2, "x"),)))
    assert key_1 not in index.projects
    assert index.similar_projects(BIOPSY_CALL).owners.tolist() == []
    index.remove(2)
    assert key_2 not in index.projects


def test_terms_common_to_many_calls_weigh_less_in_the_query() -> None:
    """With calls that all mention cancer, a biopsy profile outranks a cancer profile."""
    profiles = {1: Profile("Cancer", "cancer cancer"), 2: Profile("Biopsy", "biopsy biopsy")}
    ids, values = list(profiles), list(profiles.values())
    plain = ProfileIndex(known_calls=NO_CALLS).fit(ids, values)
    calls = ["cancer screening", "cancer vaccines", "cancer registries", "biopsy devices"]
    weighted = ProfileIndex(known_calls=NO_CALLS).fit(ids, values, call_texts=calls)
    query = "cancer biopsy"
    plain_scores = {m.id: m.score for m in plain.rank(query)}
    weighted_scores = {m.id: m.score for m in weighted.rank(query)}
    assert plain_scores[1] == pytest.approx(plain_scores[2])
    assert weighted_scores[2] > weighted_scores[1]
    ablated = weighted.rank(query, weights=WEIGHTS.replace(call_frequency_exponent=0.0))
    assert {m.id: m.score for m in ablated} == pytest.approx(plain_scores)


def test_a_new_deployment_weighs_call_boilerplate_less_with_the_shipped_table() -> None:
    """No call stored: the package's table still makes work-programme wording weigh less."""
    profiles = {1: Profile("Generic", "solutions development"), 2: Profile("Niche", "biopsy")}
    ids, values = list(profiles), list(profiles.values())
    query = "biopsy solutions development"
    shipped = {m.id: m.score for m in ProfileIndex().fit(ids, values).rank(query)}
    plain = {m.id: m.score for m in ProfileIndex(known_calls=NO_CALLS).fit(ids, values).rank(query)}
    assert CallTerms.shipped().frequencies["solution"] > 100  # "solutions", as a stem
    assert plain[1] > plain[2]  # two query words against one
    assert shipped[2] > shipped[1]


def test_known_and_stored_calls_are_counted_together() -> None:
    """The shipped counts and the stored calls' counts add up, call by call."""
    known = CallTerms(2, {"cancer": 2, "biopsy": 1})
    stored = CallTerms.count(["cancer screening", "soil health"], str.split)
    both = known + stored
    assert both.calls == 4
    assert both.frequencies == {"cancer": 3, "biopsy": 1, "screening": 1, "soil": 1, "health": 1}
    weights = both.weights(["cancer", "soil", "unused"], 4)
    assert weights is not None
    assert weights.tolist() == pytest.approx(
        [math.log(5 / 4) + 1, math.log(5 / 2) + 1, math.log(5) + 1, math.log(5) + 1]
    )
    assert NO_CALLS.weights(["cancer"], 1) is None


def test_call_frequency_weighting_survives_a_new_word() -> None:
    """A word added after the fit does not switch the calls' weighting off for other queries."""
    profiles = {1: Profile("Cancer", "cancer cancer"), 2: Profile("Biopsy", "biopsy biopsy")}
    calls = ["cancer screening", "cancer vaccines", "cancer registries", "biopsy devices"]
    index = ProfileIndex().fit(list(profiles), list(profiles.values()), call_texts=calls)
    before = {m.id: m.score for m in index.rank("cancer biopsy")}
    index.upsert(3, Profile("Xeno", "xenotransplantation"))
    after = {m.id: m.score for m in index.rank("cancer biopsy")}
    assert after == pytest.approx(before, rel=1e-9)
    assert after[2] > after[1]
    assert [m.id for m in index.rank("xenotransplantation")] == [3]


@pytest.mark.parametrize("saved", [False, True], ids=["fitted", "saved and loaded"])
def test_a_word_first_brought_by_an_upsert_weighs_what_the_calls_using_it_give_it(
    saved: bool, tmp_path: Path
) -> None:
    """No profile said "parkinsonian" at the fit, but calls do: the profile that brings it
    later, once the index is settled, scores as a refit scores it, the word weighed by the
    calls that use it (before, as a word no call uses, so its score moved at the next refit).
    The same from an index saved and loaded."""
    fields = ["cardiology trials", "gait trials", "oncology registries"]
    # Enough profiles that a phrase of one (the newcomer's) is no term of a refit either.
    profiles = {i: Profile(f"Member {i}", fields[i % 3]) for i in range(1, 13)}
    calls = ["parkinsonian gait", "parkinsonian tremor", "parkinsonian trials", "soil health"]
    index = ProfileIndex().fit(list(profiles), list(profiles.values()), call_texts=calls)
    if saved:
        save(index, tmp_path, "key")
        loaded = load(tmp_path, "key", ProfileIndex)
        assert loaded is not None
        assert loaded.mapped
        index = loaded
    newcomer = Profile("Tremor Lab", "parkinsonian gait")
    index.upsert(99, newcomer)
    index.settle()
    query = "parkinsonian gait trials in tremor"

    refitted = ProfileIndex().fit([*profiles, 99], [*profiles.values(), newcomer], call_texts=calls)
    upserted = {m.id: m.score for m in index.rank(query)}
    assert upserted == pytest.approx({m.id: m.score for m in refitted.rank(query)}, rel=1e-6)
    assert 99 in upserted


def test_a_text_asked_again_sees_every_change_made_in_between() -> None:
    """A query is prepared once per state of the index: the same text asked again after an
    upsert, an edit that brings similar past projects, or a removal ranks the new state."""
    index = index_of({1: Profile("Cardio", "cardiology and heart failure")})
    assert index.rank(BIOPSY_CALL) == []
    index.upsert(2, Profile("Biopsy Lab", BIOPSY))
    assert [match.id for match in index.rank(BIOPSY_CALL)] == [2]
    before = index.rank(BIOPSY_CALL)[0].score
    index.upsert(
        2,
        Profile("Biopsy Lab", BIOPSY, activities=({"title": BIOPSY_CALL, "summary": BIOPSY},)),
    )
    after = index.rank(BIOPSY_CALL)[0]
    similar = next(reason for reason in after.reasons if reason.signal == "similar_projects")
    assert similar.value > 0
    assert after.score > before
    index.remove(2)
    assert index.rank(BIOPSY_CALL) == []


def test_ranking_a_listed_profile_gives_its_score_in_the_whole_ranking() -> None:
    """Scoring only the listed ids (the calls an organisation fits) gives each the score and
    shared terms it has when every profile is ranked."""
    profiles = {
        1: Profile("Biopsy Lab", BIOPSY),
        2: Profile("Cancer Patients", "patients living with cancer, early detection"),
        3: Profile("Cardio", "cardiology and heart failure"),
    }
    index = index_of(profiles)
    everyone = {match.id: match for match in index.rank(BIOPSY_CALL, k=10)}
    for doc_id, match in everyone.items():
        (alone,) = index.rank(BIOPSY_CALL, k=1, include_ids=[doc_id])
        assert alone == match
