"""How texts become terms: plurals folded, web and e-mail addresses left out (they say nothing
about a topic), and how shared terms read."""

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import strip_accents_unicode

from matchmaker.matching import saved_index
from matchmaker.matching.analyzer import ADDRESS, WORD_PATTERN, counter, preprocess, wording
from matchmaker.matching.text import strip_accents
from matchmaker.matching.text_index import TfidfMatcher

ANALYZER = counter((1, 2), ())
ANALYZE = ANALYZER.build_analyzer()
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
    assert {"dr", "ortiz", "mg", "5g", "covid19", "vaccine", "drug", "device"} <= set(terms)
    assert {"diagnostic", "national", "regional", "local"} <= set(terms)


def test_plurals_are_one_term_with_the_singular_and_a_stop_word_takes_its_stem() -> None:
    """Terms are stems, plurals folded: "sensors", "sensor" and "Sensor's" are one term, so a
    call about a sensor finds the profile about sensors. Only plurals: "activation" is not
    "activity", "diagnosis" keeps its "s". A stop word goes in both forms: "activities" takes
    "activity" with it."""
    analyze = counter((1, 1), ["activities"]).build_analyzer()
    assert analyze("Sensors, sensor and Sensor's") == ["sensor"] * 3
    assert analyze("studies study biopsies diagnosis") == ["study", "study", "biopsy", "diagnosis"]
    assert analyze("activation activity activities actor") == ["activation", "actor"]
    matcher = TfidfMatcher().fit([1, 2], ["Wearable sensors for gait", "Cardiac imaging"])
    (found,) = matcher.query("A wearable sensor", k=5)
    assert found.id == 1


def test_shared_terms_read_as_the_query_words_them() -> None:
    """Explanations name a stem by the query's own word for it, phrases included; the
    profile's wording ("sensor") does not change what the query reads ("sensors")."""
    matcher = TfidfMatcher(min_df=1).fit(
        [1, 2], ["Wearable sensor measuring gait", "Cardiac imaging of the heart"]
    )
    (found,) = matcher.query("wearable sensors measured", k=5)
    assert {term.term for term in found.matched_terms} == {
        "wearable",
        "sensors",
        "wearable sensors",
    }
    assert wording(matcher.vectorizer_, "Studies of gait; the gait study") == {
        "study": "studies",
        "gait": "gait",
        "study gait": "studies gait",
        "gait gait": "gait gait",
        "gait study": "gait study",
    }


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


def test_without_a_query_text_a_stem_reads_as_the_fits_commonest_word(tmp_path: Path) -> None:
    """Similar profiles (a stored row as the query, no text) name each shared stem as the
    fit's texts write it most: "sensors" twice against "sensor" once. A saved index loads
    with the same words."""
    matcher = TfidfMatcher(min_df=1).fit(
        [1, 2, 3], ["Sensor imaging", "Sensors and sensors imaging", "Cardiac surgery"]
    )
    (found,) = matcher.similar(1, k=5)
    assert found.id == 2
    assert {term.term for term in found.matched_terms} == {"sensors", "imaging", "sensors imaging"}
    loaded = saved_index.load(tmp_path, "k", TfidfMatcher)
    assert loaded is None
    saved_index.save(matcher, tmp_path, "k")
    loaded = saved_index.load(tmp_path, "k", TfidfMatcher)
    assert loaded is not None
    assert loaded.similar(1, k=5) == [found]


WORDS = st.sampled_from(
    [
        *("Sensors", "sensor", "studies", "study", "biopsies", "biopsy", "diagnosis", "virus"),
        *("classes", "trees", "gas", "the", "of", "activities", "Parkinson's", "wearable"),
        *("gait", "measuring", "Europe's", "series", "species", "https://x.eu/a"),
    ]
)


@given(st.lists(WORDS, max_size=12).map(" ".join))
def test_every_term_of_a_text_is_named_by_words_that_make_it_again(text: str) -> None:
    """`wording` names each term the analyzer makes of a text, by words of the text that the
    analyzer turns back into that term: an explanation never shows a stem, nor words that
    would not match."""
    named = wording(ANALYZER, text)
    written = set(re.findall(WORD_PATTERN, preprocess(text)))
    assert set(ANALYZE(text)) == set(named)
    for term, words in named.items():
        assert set(words.split()) <= written
        assert term in ANALYZE(words)


@given(st.text() | st.sampled_from(["Hôpital", "São Paulo", "Łódź", "Ærøskøbing", "ﬁ", "Ⅻ"]))
def test_strip_accents_is_the_analyzers_own(text: str) -> None:
    """Titles and names are folded as the analyzer folds its words (scikit-learn's
    `strip_accents_unicode`), by a copy the command line can load without scikit-learn."""
    assert strip_accents(text) == strip_accents_unicode(text)
