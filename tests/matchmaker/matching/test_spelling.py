"""British and American spellings: one term for both, in the text indexes and in full-text
search, and never a word spelled alike on both sides changed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.matching.analyzer import counter
from matchmaker.matching.spelling import fold, spellings
from matchmaker.matching.text_index import TfidfMatcher

# (American, British) pairs of every family of rules.
PAIRS = [
    ("tumor", "tumour"),
    ("tumors", "tumours"),
    ("behavioral", "behavioural"),
    ("favorable", "favourable"),
    ("labor", "labour"),
    ("personalized", "personalised"),
    ("organization", "organisation"),
    ("randomized", "randomised"),
    ("characterizing", "characterising"),
    ("analyze", "analyse"),
    ("catalyzed", "catalysed"),
    ("pediatric", "paediatric"),
    ("orthopedic", "orthopaedic"),
    ("hematology", "haematology"),
    ("anemia", "anaemia"),
    ("leukemia", "leukaemia"),
    ("ischemic", "ischaemic"),
    ("anesthesia", "anaesthesia"),
    ("gynecology", "gynaecology"),
    ("diarrhea", "diarrhoea"),
    ("edema", "oedema"),
    ("estrogen", "oestrogen"),
    ("esophageal", "oesophageal"),
    ("fetal", "foetal"),
    ("celiac", "coeliac"),
    ("etiology", "aetiology"),
    ("fecal", "faecal"),
    ("sulfate", "sulphate"),
    ("center", "centre"),
    ("fiber", "fibre"),
    ("modeling", "modelling"),
    ("signaling", "signalling"),
    ("enrollment", "enrolment"),
    ("aging", "ageing"),
    ("defense", "defence"),
    ("analog", "analogue"),
    ("program", "programme"),
    ("license", "licence"),
    ("practiced", "practised"),
    ("judgment", "judgement"),
    ("artifact", "artefact"),
    ("skeptical", "sceptical"),
]
# Words spelled alike on both sides, which look like the words the rules change.
ALIKE = [
    "laboratory",
    "colorectal",
    "vigorous",
    "humorous",
    "honorary",
    "horizon",
    "citizen",
    "size",
    "prize",
    "seize",
    "academia",
    "chemistry",
    "expertise",
    "exercise",
    "paralysis",
    "dialysis",
    "four",
    "motor",
    "doctor",
    "sensor",
    "meter",
    "cancer",
    "tumorigenesis",
    "programming",
    "programmed",
    "licensed",
    "practice",
    "practical",
]


@pytest.mark.parametrize(("american", "british"), PAIRS)
def test_both_spellings_fold_to_one_and_each_knows_the_other(american: str, british: str) -> None:
    """Each pair folds to one form, and each side's spellings hold the other, itself first."""
    assert fold(american) == fold(british)
    assert spellings(american)[0] == american
    assert british in spellings(american)
    assert spellings(british)[0] == british
    assert american in spellings(british)


@pytest.mark.parametrize("word", ALIKE)
def test_a_word_spelled_alike_on_both_sides_stays(word: str) -> None:
    """No rule touches a word both sides spell alike, however close it looks to one."""
    assert fold(word) == word


@given(st.sampled_from([word for pair in PAIRS for word in pair] + ALIKE))
def test_every_spelling_of_a_word_folds_to_its_form(word: str) -> None:
    """`spellings` gives only words `fold` makes one with the word: a search for them finds
    exactly what the word itself would."""
    assert all(fold(spelling) == fold(word) for spelling in spellings(word))
    assert fold(fold(word)) == fold(word)


def test_the_analyzer_makes_one_term_of_both_spellings_and_their_plurals() -> None:
    """Plural and spelling both folded: "tumors", "Tumour" and "tumour's" are one term, and a
    phrase is one term whichever side wrote it."""
    analyze = counter((1, 2), ()).build_analyzer()
    assert analyze("tumors Tumour tumour's")[:3] == [fold("tumour")] * 3
    assert analyze("paediatric tumours") == analyze("pediatric tumor")
    assert analyze("research programs") == analyze("research programmes")


def test_a_query_in_one_spelling_finds_the_profile_written_in_the_other() -> None:
    """The search "pediatric tumor" finds the profile about paediatric tumours, and names the
    shared terms in the query's own words."""
    matcher = TfidfMatcher().fit(
        [1, 2, 3],
        [
            "Wearable sensors for paediatric tumours and personalised oncology",
            "Soil microbiome and crop rotation",
            "Behavioural economics of labour markets",
        ],
    )
    (found,) = matcher.query("pediatric tumor", k=3)
    assert found.id == 1
    assert {term.term for term in found.matched_terms} == {
        "pediatric",
        "tumor",
        "pediatric tumor",
    }
    assert [match.id for match in matcher.query("behavioral labor", k=3)] == [3]
