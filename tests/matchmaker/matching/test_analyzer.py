"""How texts become terms: web and e-mail addresses say nothing about a topic."""

from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import strip_accents_unicode

from matchmaker.matching.analyzer import ADDRESS, counter, preprocess
from matchmaker.matching.text_index import TfidfMatcher

ANALYZE = counter((1, 2), ()).build_analyzer()
ADDRESSES = [
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/home",
    "http://www.example.org/en/about?lang=en#top",
    "www.parkinsons-patients.example",
    "ec.europa.eu/info/en/01aa75ed71a1",
    "contact@gait-lab.example.eu",
    "ftp://files.example.com/a.pdf",
    "oecd-ilibrary.org",
    "content/en/txt/pdf/?uri=celex:52020dc0628",
    "58665de0-en.pdf",
    "01aa75ed71a1&format=pdf&language=en",
]
TEXT = "Wearable gait sensors measuring tremor in Parkinsonian syndromes"


@given(st.sampled_from(ADDRESSES), st.sampled_from(["", " ", "\n", "See: ", "("]))
def test_an_address_adds_no_term(address: str, before: str) -> None:
    """A text with an address in it has the terms of the text without it (the phrases
    across the gap aside)."""
    words = {term for term in ANALYZE(f"{TEXT} {before}{address} ") if " " not in term}
    assert words == {term for term in ANALYZE(TEXT) if " " not in term}


def test_abbreviations_and_codes_with_dots_stay() -> None:
    """Only addresses go: "e.g.", "Dr.", "2.5 mg", "5G" and "covid19" are not addresses."""
    terms = ANALYZE(
        "e.g. Dr. Ortiz measured 2.5 mg in 5G trials of covid19 vaccines for "
        "drug/device/diagnostic "
        "and national/regional/local bodies"
    )
    assert {"dr", "ortiz", "mg", "5g", "covid19", "vaccines", "drug", "device"} <= set(terms)
    assert {"diagnostic", "national", "regional", "local"} <= set(terms)


def test_addresses_are_never_shared_terms() -> None:
    """Two texts that share only a link to the same pages share no term."""
    matcher = TfidfMatcher().fit(
        [1, 2],
        [
            "Gait sensors, see https://www.example.eu/en/gait for details",
            "Cardiology imaging",
        ],
    )
    found = matcher.query("Heart failure imaging https://www.example.eu/en/gait", k=5)
    assert [match.id for match in found] == [2]
    assert all(
        "https" not in term.term and "www" not in term.term
        for m in found
        for term in m.matched_terms
    )


@given(st.lists(st.sampled_from([*ADDRESSES, TEXT, "(", ")", ",", "a/b", "x=y", "é"]), max_size=12))
def test_addresses_go_as_if_the_whole_text_were_searched(pieces: list[str]) -> None:
    """Looking for addresses only in the pieces that could hold one leaves what a search of
    the whole text would."""
    text = " ".join(pieces).replace(" ( ", " (").replace(" ,", ",")
    whole = strip_accents_unicode(ADDRESS.sub(" ", text)).lower()
    assert preprocess(text).split() == whole.split()
