"""How a text becomes terms: tokens, stop words and n-grams as scikit-learn's analyzer makes
them, and one text's TF-IDF vector with a fitted vocabulary.

The index (`text_index`) learns its vocabulary with `TfidfVectorizer`; `QueryTransformer`
turns one query text into the same vector `vectorizer.transform([text])` would give, with the
vectorizer's own analyzer (`build_analyzer()`, built once per vocabulary) and without
`transform`'s per-call validation: 0.014 ms instead of 0.93 ms for a call title (mean over 200
CORDIS topic titles, a one-off measurement; the analyzer itself is a few microseconds).
"""

from collections import Counter
from collections.abc import Collection
from typing import Final

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

DOMAIN_STOP_WORDS: Final[frozenset[str]] = frozenset(
    """
    project projects proposal proposals consortium consortia call calls topic topics
    expected outcome outcomes scope activity activities research innovation innovative
    eu horizon europe european action actions applicant applicants participant participants
    partner partners beneficiary beneficiaries programme programmes work funding funded
    should will shall must may could would also including include includes etc
    new results result impact impacts objective objectives aim aims approach approaches
    address addressing contribute contribution contributions relevant specific particular
    different various key main well need needs within across based use using used ensure
    support supporting develop developing deliver year years cluster destination pillar
    """.split()  # noqa: SIM905 - a word list reads better as a paragraph than as 95 lines
)
"""Words in nearly every call text or profile that say nothing about a topic."""

# At least two word characters including one letter: years and amounts ("2025", "EUR 3
# million") would otherwise link every call of the same year, while "covid19" or "5g" survive.
WORD_PATTERN: Final = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"


def stop_words(probe: TfidfVectorizer, extra: Collection[str]) -> list[str]:
    """English and `extra` stop words, normalised with the probe vectorizer's own preprocessing
    and tokenisation, so scikit-learn finds them consistent (and does not warn)."""
    preprocess, tokenize = probe.build_preprocessor(), probe.build_tokenizer()
    words = ENGLISH_STOP_WORDS | frozenset(extra)
    return sorted({token for word in words for token in tokenize(preprocess(word))})


class QueryTransformer:
    """A fitted vectorizer's transform of one text, its analyzer built once per vocabulary."""

    __slots__ = ("_analyze", "_idf", "_sublinear", "vectorizer")

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.vectorizer = vectorizer
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._sublinear = bool(vectorizer.sublinear_tf)
        self._analyze = vectorizer.build_analyzer()

    def __reduce__(self) -> tuple[type["QueryTransformer"], tuple[TfidfVectorizer]]:
        return type(self), (self.vectorizer,)

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's term indices (sorted) and L2-normalised TF-IDF weights."""
        get = self.vectorizer.vocabulary_.get
        # Counted first so each distinct term is looked up once in the (large) vocabulary.
        counted = Counter(self._analyze(text))
        found = [(j, n) for gram, n in counted.items() if (j := get(gram)) is not None]
        pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
        order = np.argsort(pairs[:, 0])
        terms, tf = pairs[order, 0], pairs[order, 1].astype(np.float64)
        if self._sublinear:
            tf = 1.0 + np.log(tf)
        weights = tf * self._idf[terms]
        if terms.size:
            weights /= np.sqrt(np.dot(weights, weights))
        return terms.astype(np.int32), weights.astype(np.float32)
