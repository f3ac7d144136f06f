"""Plural forms and stakeholder-type names, and the messages that use them."""

import re
from pathlib import Path

import pytest

from matchmaker.consortium.solver import Candidate, Requirements, propose_consortia
from matchmaker.wording import (
    PROFILE_FIELD_NOUNS,
    STAKEHOLDER_LABELS,
    STAKEHOLDER_NOUNS,
    and_list,
    close_fit,
    counted,
    or_list,
    organisations_by_id,
    percent,
    plural,
    possessive,
    stakeholder_label,
    stakeholder_noun,
    with_article,
)
from models.common import StakeholderType
from models.organisation import OWNABLE_FIELDS

ROOT = Path(__file__).resolve().parents[2]
# "partner(s)", "country(ies)": a plural left to the reader. "http(s)" is a scheme, not a count.
BRACKETED_PLURAL = re.compile(r"\w\((?:s|es|ies)\)")


@pytest.mark.parametrize(
    ("count", "singular", "expected"),
    [
        (0, "partner", "0 partners"),
        (1, "partner", "1 partner"),
        (2, "partner", "2 partners"),
        (1, "country", "1 country"),
        (3, "country", "3 countries"),
        (2, "more country", "2 more countries"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2, "consortium draft", "2 consortium drafts"),
    ],
)
def test_plural_takes_the_singular_for_one_and_the_regular_plural_otherwise(
    count: int, singular: str, expected: str
) -> None:
    """One of a thing is singular; none or several take the English plural."""
    assert plural(count, singular) == expected


def test_plural_takes_an_irregular_form_when_given() -> None:
    """An irregular plural is passed in, not guessed."""
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"


def test_every_stakeholder_type_has_a_label_and_nouns() -> None:
    """Every type is named for a heading and for a sentence, in the singular and plural."""
    assert set(STAKEHOLDER_LABELS) == set(StakeholderType) == set(STAKEHOLDER_NOUNS)
    assert stakeholder_label("patient_organisation") == "Patient organisation"
    assert stakeholder_label("sme") == "SME"
    assert stakeholder_label("") == ""
    assert stakeholder_noun("patient_organisation", 2) == "patient organisations"
    assert stakeholder_noun("academia", 1) == "academic partner"
    assert stakeholder_noun("public_body", 3) == "public bodies"
    assert stakeholder_noun("sme", 2) == "SMEs"
    assert all("_" not in stakeholder_noun(kind, n) for kind in StakeholderType for n in (1, 2))


def test_unknown_type_reads_as_words_not_as_a_code() -> None:
    """A type the enum does not know still loses its underscores."""
    assert stakeholder_label("research_council") == "Research council"
    assert stakeholder_noun("research_council", 2) == "research councils"


def test_shortfall_messages_name_types_in_words_with_their_plural() -> None:
    """The solver's shortfalls say "2 patient organisations", never "patient_organisation(s)"."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "patient_organisation", "BE", 0.5),
    ]
    requirements = Requirements(
        required={"academia": 1, "patient_organisation": 2}, min_countries=3, max_partners=5
    )

    proposal = propose_consortia(candidates, requirements)[0]

    assert [shortfall.message for shortfall in proposal.shortfalls] == [
        "Needs 2 patient organisations; only 1 eligible candidate exists.",
        "Needs partners from 3 countries; eligible candidates come from only 2 countries.",
    ]


def _lines_breaking(
    rule: re.Pattern[str], *, pages: bool, spared: str = "", skip: str = "http(s)"
) -> set[str]:
    """Where the product's Python (and with `pages`, its templates and scripts) has a line
    `rule` finds, as "path:line"; the file named `spared` is left out, and `skip` is taken out
    of each line first."""
    sources = [*ROOT.joinpath("matchmaker").rglob("*.py"), *ROOT.joinpath("api").rglob("*.py")]
    if pages:
        sources += [
            *ROOT.joinpath("api", "web", "templates").glob("*.html"),
            *ROOT.joinpath("api", "web", "static").glob("*.js"),
        ]
    return {
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name != spared
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if rule.search(line.replace(skip, ""))
    }


def test_product_code_leaves_no_plural_in_brackets() -> None:
    """No message, page or script of the product writes "(s)" for a count."""
    assert _lines_breaking(BRACKETED_PLURAL, pages=True) == set()


# `replace("_", " ")` on a value: a stakeholder type written as its code with spaces ("a sme").
RAW_TYPE_AS_WORDS = re.compile(r"""\.replace\(\s*['"]_['"],\s*['"] ['"]\s*\)""")


def test_product_code_names_stakeholder_types_only_through_wording() -> None:
    """Messages name a type by `stakeholder_label` or `stakeholder_noun`, never by its code
    with the underscores taken out ("A sme for your draft", "is a academia")."""
    assert _lines_breaking(RAW_TYPE_AS_WORDS, pages=False, spared="wording.py") == set()


def test_a_type_takes_the_article_it_is_said_with() -> None:
    """ "an SME" (spelt "ess-em-ee"), "an academic partner", "a healthcare provider"."""
    assert {kind.value: with_article(stakeholder_noun(kind)) for kind in StakeholderType} == {
        "academia": "an academic partner",
        "industry": "an industry partner",
        "sme": "an SME",
        "patient_organisation": "a patient organisation",
        "regulator": "a regulator",
        "healthcare_provider": "a healthcare provider",
        "public_body": "a public body",
        "other": "an other partner",
    }
    assert with_article("SME", capital=True) == "An SME"
    assert with_article("university") == "a university"
    assert with_article("GP practice") == "a GP practice"
    assert with_article("European network") == "a European network"
    assert with_article("hour") == "an hour"


def test_counted_says_one_with_its_article_and_more_with_their_number() -> None:
    """ "a patient organisation", "an SME", "2 SMEs", "3 public bodies": never "1 SME"."""
    assert counted(1, "patient organisation") == "a patient organisation"
    assert counted(1, "SME") == "an SME"
    assert counted(2, "SME") == "2 SMEs"
    assert counted(3, "public body", "public bodies") == "3 public bodies"


def test_organisations_by_id_reads_as_a_sentence_not_a_python_list() -> None:
    """Messages name organisations by id in words: never "[3, 5]"."""
    assert organisations_by_id([9999]) == "organisation 9999"
    assert organisations_by_id({7, 3, 5}) == "organisations 3, 5 and 7"
    assert organisations_by_id([4, 2]) == "organisations 2 and 4"


def test_and_list_joins_the_last_item_with_and() -> None:
    """ "patient organisations and SMEs", never "patient organisations, SMEs"."""
    assert [and_list(items) for items in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == [
        "",
        "A",
        "A and B",
        "A, B and C",
    ]


def test_percent_never_shows_a_score_above_zero_as_nothing() -> None:
    """A score of 0.4% reads "<1%", not "0%" (the organisation does share terms); 99.7%
    reads ">99%", not "100%"; the rest round to whole percents."""
    assert [percent(share) for share in (0, 0.004, 0.005, 0.0149, 0.42, 0.996, 1)] == [
        "0%",
        "<1%",
        "1%",
        "1%",
        "42%",
        ">99%",
        "100%",
    ]


def test_close_fit_begins_where_the_bar_stops_reading_under_one_percent() -> None:
    """A score is a close fit from the first that reads "1%" (0.5%): one that reads "<1%" or
    "0%" is not, so the sentence saying no candidate fits closely never sits beside a "1%"."""
    shares = (0, 0.004, 0.00499, 0.005, 0.03)
    assert [close_fit(share) for share in shares] == [False, False, False, True, True]
    assert [percent(share) for share in shares if not close_fit(share)] == ["0%", "<1%", "<1%"]


def test_or_list_joins_the_last_choice_with_or() -> None:
    """ "Germany or Austria": a request seeks one of them, not all."""
    assert [or_list(items) for items in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == [
        "",
        "A",
        "A or B",
        "A, B or C",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Karolinska Institutet", "Karolinska Institutet's"),
        ("Technical University of Denmark.", "Technical University of Denmark's"),
        ("Acme Inc.", "Acme Inc's"),
        ("Acme S.A.", "Acme S.A.'s"),
        ("Fraunhofer e.V.", "Fraunhofer e.V.'s"),
        ("Nephron Labs", "Nephron Labs'"),
        ("ABS", "ABS's"),
        ("Erasmus MC ", "Erasmus MC's"),
    ],
)
def test_possessive_neither_doubles_a_stop_nor_adds_s_after_s(name: str, expected: str) -> None:
    """A name's final full stop goes before "'s" (not "Denmark.'s"), unless it ends an
    initialism written with stops; a name ending in s takes the apostrophe alone."""
    assert possessive(name) == expected


# A possessive written by hand after a name: "{{ name }}'s", f"{name}'s", name + "'s".
HAND_BUILT_POSSESSIVE = re.compile(r"""\}'s\b|[+~]\s*["']'s\b""")


def test_product_code_writes_possessives_of_names_only_through_wording() -> None:
    """Pages, messages and scripts write a name's possessive with `possessive` (a script reads
    it from the page's data), so "Denmark." never reads "Denmark.'s"."""
    assert _lines_breaking(HAND_BUILT_POSSESSIVE, pages=True, spared="wording.py") == set()


def test_every_field_a_profile_can_keep_from_imports_has_a_noun() -> None:
    """The profile page names each field of `kept_on_import` (and a merge the fields it
    fills) from one list: a field added to profiles without its noun would go unnamed."""
    assert set(PROFILE_FIELD_NOUNS) == OWNABLE_FIELDS
