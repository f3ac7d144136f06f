"""How a text becomes terms, and the vocabulary that gives each term a column and an IDF weight.

N-grams are scikit-learn's: `counter` configures a `CountVectorizer` whose analyzer
(`build_analyzer()`, built once per fit) every text goes through, and the text index
(`text_index`) fits its vocabulary with it. Its tokenizer (`Stems`) folds plurals (`stem`) and
leaves out scikit-learn's English stop words and ours, so a term is a stem ("sensor" for
"sensors"); what a person reads is a word: the query's own word for it (`wording`), else the
one the fitted texts write most (`Vocabulary.forms`).

A `Vocabulary` turns one text into the vector `TfidfVectorizer.transform([text])` would give
with the same terms and IDF weights, without `transform`'s per-call validation: 0.014 ms
instead of 0.93 ms for a call title (mean over 200 CORDIS topic titles, a one-off measurement;
the analyzer itself is a few microseconds).

Every word is a term. The fit keeps every word of every text, whatever its document frequency
(`min_df` and `max_df` bound phrases, n-grams of two or more words, only), and a text upserted
later that brings a word the vocabulary lacks adds it at once (`Vocabulary.indexed`): the word
gets the next column and the IDF of a word found in one document (`smooth_idf`). Phrases are
learned by a fit only: a phrase used by one document links it to no other beyond what its
words do, and keeping every phrase of every text would keep all of those (on the quality
benchmark's 22,418 CORDIS profiles: 257k terms instead of 154k, the vocabulary's dict growing
with the corpus in every worker), while growing phrases on upsert would mean counting every
phrase not yet a term. So an upsert adds words, not phrases; the next fit learns them.

A vocabulary is immutable: adding words returns a new one that shares the fit's dict and
copies only the words added since the last compaction (`recent`), which `settled` folds into
the rest, so a reader holding an older vocabulary never sees a column it does not know.
"""

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from numbers import Integral
from typing import Any, Final, Self

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    strip_accents_unicode,
)
from sklearn.preprocessing import normalize

from matchmaker.matching.spelling import fold

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

# Web and e-mail addresses say where a text links to, not what it is about: left out before
# tokens are made, or "https", "www", "en", "ec europa" and the hex ids of document links
# become shared terms of every call that links to the Commission's pages. An address is a
# scheme and what follows it, anything starting "www.", a name@host, a dotted host name with a
# path ("ec.europa.eu/info/...") or a common top-level domain ("oecd-ilibrary.org"), the rest
# of an address broken by a space (a token with two slashes and a dot, "?", "=", "_", "%",
# "#", "&" or "-": "content/en/txt/pdf/?uri=...", not "drug/device/diagnostic"), a query
# string ("01aa75ed71a1&format=pdf&language=en") and a document's file name ("58665de0-en.pdf").
ADDRESS: Final = re.compile(
    r"\b[a-z][a-z0-9+.-]*://\S*"
    r"|\bwww\.\S*"
    r"|\S+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)+/\S*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:eu|com|org|net|int|edu|gov|io)\b"
    r"|(?<!\S)(?=\S*/\S*/)(?=\S*[.?=_%#&-])\S+"
    r"|\S+\.(?:pdf|html?|docx?|xlsx?|pptx?|aspx|php)\b"
    r"|(?<!\S)(?=\S*=)\S*[?&]\S*",
    re.IGNORECASE,
)

_NO_IDF = np.zeros(0, dtype=np.float64)
# Texts counted at once after a sampled fit: bounds the scratch memory.
_COUNT_CHUNK: Final = 50_000


# The space-separated pieces of a text that could hold an address (a "/", "@", "=", "www." or
# a dotted ending ADDRESS knows): ADDRESS runs on them alone, which leaves the same text and
# takes a sixth of the time on a call's text (0.28 ms instead of 1.8 ms, CORDIS topics).
_MAY_HOLD_ADDRESS: Final = re.compile(
    r"(?<!\S)\S*(?:[/@=]|www\.|\.(?:eu|com|org|net|int|edu|gov|io|pdf|html?|docx?|xlsx?|pptx?"
    r"|aspx|php)\b)\S*",
    re.IGNORECASE,
)


def _without_addresses(piece: re.Match[str]) -> str:
    return ADDRESS.sub(" ", piece.group(0))


def preprocess(text: str) -> str:
    """A text as tokens are made from it: web and e-mail addresses left out (ADDRESS), accents
    stripped, lowercased."""
    return strip_accents_unicode(_MAY_HOLD_ADDRESS.sub(_without_addresses, text)).lower()


def counter(ngram_range: tuple[int, int], extra_stop_words: Collection[str]) -> CountVectorizer:
    """The vectorizer whose analyzer makes the terms: the text `preprocess`ed (addresses out,
    accents stripped, lowercased), WORD_PATTERN words, English and `extra_stop_words` left
    out, the others `stem`med (plurals folded), n-grams of `ngram_range` stems."""
    settings: dict[str, Any] = {
        "strip_accents": "unicode",
        "lowercase": True,
        "token_pattern": WORD_PATTERN,
        "ngram_range": tuple(ngram_range),
        "dtype": np.float32,
    }
    return CountVectorizer(
        **{**settings, "token_pattern": None},
        preprocessor=preprocess,
        tokenizer=Stems(_stop_words(frozenset(extra_stop_words))),
    )


@lru_cache(maxsize=16)
def _stop_words(extra: frozenset[str]) -> frozenset[str]:
    """The stems of the English and `extra` stop words, normalised as a vectorizer of
    `counter`'s settings preprocesses and tokenises them, and closed under stemming (a stem's
    own stem is in). Worked out once per process for each set of extra words: every fit makes
    several vectorizers with the same few sets."""
    probe = CountVectorizer(strip_accents="unicode", lowercase=True, token_pattern=WORD_PATTERN)
    preprocess, tokenize = probe.build_preprocessor(), probe.build_tokenizer()
    words = ENGLISH_STOP_WORDS | frozenset(extra)
    stems = set(stem_words([token for word in words for token in tokenize(preprocess(word))]))
    while not (again := set(stem_words(sorted(stems)))) <= stems:
        stems |= again
    return frozenset(stems)


_WORD: Final = re.compile(WORD_PATTERN)
# Each word's stem, remembered (a word is stemmed once per process, not once per use); emptied
# when it grows past a million words, so texts of made-up words cannot grow it for ever.
_stems: dict[str, str] = {}
_MAX_REMEMBERED: Final = 1_000_000


def stem(word: str) -> str:
    """A lowercase word with its plural ending folded, then its British and American spellings
    (`spelling.fold`: "tumors" is "tumour", "paediatric" and "pediatric" both "pediatric").

    The plural: Harman's S stemmer ("How effective is suffixing?", JASIS 42(1), 1991) with two
    guards of ours, words of at most three letters ("gas", "has") and words ending in "is"
    ("diagnosis", "sclerosis") keep their ending. "studies" is "study", "diseases" "disease",
    "sensors" "sensor"; "virus", "class", "trees" -> "tree". Inflections only: "activation"
    and "activity" stay apart."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        word = word[:-3] + "y"
    elif (len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes"))) or (
        len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss", "is"))
    ):
        word = word[:-1]
    return fold(word)


def stem_words(words: list[str]) -> list[str]:
    """Each word's `stem`."""
    remembered = _stems
    if len(remembered) > _MAX_REMEMBERED:
        remembered.clear()
    try:
        return [remembered[word] for word in words]
    except KeyError:  # words not seen before: stemmed once
        for word in words:
            if word not in remembered:
                remembered[word] = stem(word)
        return [remembered[word] for word in words]


@dataclass(frozen=True, slots=True)
class Stems:
    """The tokenizer of `counter`: a preprocessed text's words as stems, those of stop words
    left out. A stop word takes the other forms of its stem with it ("activities" takes
    "activity")."""

    stop_words: frozenset[str]

    def __call__(self, text: str) -> list[str]:
        return self.kept(_WORD.findall(text))

    def kept(self, words: list[str]) -> list[str]:
        """The words' stems, those of stop words left out."""
        stop_words = self.stop_words
        return [stem for stem in stem_words(words) if stem not in stop_words]

    def pairs(self, text: str) -> tuple[list[str], list[str]]:
        """The preprocessed text's words as written, and their stems, stop words left out."""
        words = _WORD.findall(text)
        stems = stem_words(words)
        stop_words = self.stop_words
        kept = [i for i, stem in enumerate(stems) if stem not in stop_words]
        return [words[i] for i in kept], [stems[i] for i in kept]

    def words(self, text: str) -> list[str]:
        """The preprocessed text's words as written, stop words left out."""
        return self.pairs(text)[0]


def wording(vectorizer: CountVectorizer, text: str) -> dict[str, str]:
    """Each term `vectorizer` (`counter`'s) makes of `text`, named by the words the text uses
    for it where it first does ("wearable sensors" for the stems "wearable sensor")."""
    tokenizer: Stems = vectorizer.tokenizer
    words, stems = tokenizer.pairs(preprocess(text))
    low, high = vectorizer.ngram_range
    named: dict[str, str] = {}
    for n in range(low, high + 1):
        for i in range(len(stems) - n + 1):
            named.setdefault(" ".join(stems[i : i + n]), " ".join(words[i : i + n]))
    return named


def is_word(term: str) -> bool:
    """Whether a term is one word (the analyzer joins the words of a phrase with spaces)."""
    return " " not in term


def smooth_idf(document_frequency: Any, n_documents: int) -> Any:
    """scikit-learn's smoothed IDF, ``ln((1 + n) / (1 + df)) + 1``, elementwise."""
    return np.log((1.0 + n_documents) / (1.0 + np.asarray(document_frequency, np.float64))) + 1.0


def count_texts(
    analyze: Callable[[str], list[str]],
    columns: dict[str, int],
    texts: Iterable[str],
) -> sp.csr_matrix:
    """Count the terms of `texts` (a row each) in the columns of `columns`, adding to it (in
    place) every word it lacks; phrases it lacks are left out."""
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    get = columns.get
    for text in texts:
        for gram, count in Counter(analyze(text)).items():
            column = get(gram)
            if column is None:
                if not is_word(gram):
                    continue
                column = columns[gram] = len(columns)
            indices.append(column)
            counts.append(count)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (
            np.asarray(counts, dtype=np.float32),
            np.asarray(indices, dtype=np.int32),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(len(indptr) - 1, len(columns)),
    )


@dataclass(frozen=True, slots=True, eq=False)
class Vocabulary:
    """The terms of one index, a column each, and their IDF weights; immutable.

    Columns ``0 .. terms.size - 1`` are named by `terms` and weighed by `idf`; they are the
    fit's terms (`fitted`, shared by every vocabulary grown from that fit) and the words added
    before the last compaction (`grown`). The words added since then follow, in `recent`.
    """

    counter: CountVectorizer
    sublinear_tf: bool
    fitted: Mapping[str, int]
    terms: np.ndarray
    idf: np.ndarray
    grown: Mapping[str, int] = field(default_factory=dict)
    recent: Mapping[str, int] = field(default_factory=dict)
    recent_terms: tuple[str, ...] = ()
    recent_idf: np.ndarray = field(default_factory=lambda: _NO_IDF)
    # Per stem, the word the fit's texts write most for it, where the two differ.
    forms: Mapping[str, str] = field(default_factory=dict)
    analyze: Callable[[str], list[str]] = field(default=None)  # type: ignore[assignment]

    @classmethod
    def of(
        cls,
        columns: dict[str, int],
        terms: np.ndarray,
        idf: np.ndarray,
        *,
        ngram_range: tuple[int, int],
        extra_stop_words: Collection[str],
        sublinear_tf: bool,
        forms: Mapping[str, str],
    ) -> Self:
        """The vocabulary of `terms` (column j is ``terms[j]``, `columns` the reverse map),
        whose stems `forms` names."""
        analyzer = counter(ngram_range, extra_stop_words)
        # What `TfidfMatcher.vectorizer_` shows: the terms of the fit.
        analyzer.vocabulary_ = columns
        return cls(
            analyzer,
            sublinear_tf=sublinear_tf,
            fitted=columns,
            terms=terms,
            idf=idf,
            forms=forms,
        )

    def __post_init__(self) -> None:
        if self.analyze is None:
            # Built once per fit and shared by the vocabularies grown from it.
            object.__setattr__(self, "analyze", self.counter.build_analyzer())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled without the analyzer, which is rebuilt from the counter."""
        names = [name for name in self.__dataclass_fields__ if name != "analyze"]
        return _vocabulary, (dict(zip(names, (getattr(self, n) for n in names), strict=True)),)

    @property
    def size(self) -> int:
        """Number of terms (columns)."""
        return int(self.terms.size) + len(self.recent_terms)

    def _counted(self, text: str, *, grow: bool) -> tuple[list[tuple[int, int]], list[str]]:
        """The text's terms as (column, count) pairs; with `grow`, its words the vocabulary
        lacks get the next columns and are returned too, in column order."""
        get = self.fitted.get
        counted = Counter(self.analyze(text))
        # Counted first so that each distinct term is looked up once in the (large) dict.
        known = [(column, n) for gram, n in counted.items() if (column := get(gram)) is not None]
        if len(known) == len(counted) or not (grow or self.grown or self.recent):
            return known, []
        new: list[str] = []
        for gram, count in counted.items():
            if gram in self.fitted:
                continue
            column = self._added_column(gram)
            if column is None:
                if not grow or not is_word(gram):
                    continue
                new.append(gram)
                column = self.size + len(new) - 1
            known.append((column, count))
        return known, new

    def _added_column(self, term: str) -> int | None:
        """The column of a term added since the fit (None when it was not)."""
        column = self.grown.get(term) if self.grown else None
        if column is None and self.recent:
            column = self.recent.get(term)
        return column

    def column_of(self, term: str) -> int | None:
        """A term's column, None when the vocabulary lacks it."""
        column = self.fitted.get(term)
        return self._added_column(term) if column is None else column

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's term columns (sorted) and L2-normalised TF-IDF weights; words the
        vocabulary lacks are left out."""
        return self._weighed(self._counted(text, grow=False)[0])

    def indexed(self, text: str, n_documents: int) -> tuple["Vocabulary", np.ndarray, np.ndarray]:
        """The vocabulary with the text's new words added, and the text's vector in it.

        A new word's IDF is that of a word in one of `n_documents` documents.
        """
        known, new = self._counted(text, grow=True)
        vocabulary = self
        if new:
            start = self.size
            idf = np.full(len(new), smooth_idf(1, n_documents), dtype=np.float64)
            vocabulary = replace(
                self,
                recent={**self.recent, **{word: start + i for i, word in enumerate(new)}},
                recent_terms=(*self.recent_terms, *new),
                recent_idf=np.concatenate([self.recent_idf, idf]),
            )
        terms, weights = vocabulary._weighed(known)
        return vocabulary, terms, weights

    def _weighed(self, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        counted = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        order = np.argsort(counted[:, 0])
        terms, tf = counted[order, 0], counted[order, 1].astype(np.float64)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        return self._normalised(terms, tf)

    def _normalised(self, columns: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted columns and their term frequencies (as weighed, 1 + log with `sublinear_tf`)
        as L2-normalised TF-IDF weights."""
        weights = tf * self.idf_of(columns)
        if columns.size:
            weights /= np.sqrt(np.dot(weights, weights))
        return columns.astype(np.int32), weights.astype(np.float32)

    def term_frequencies(self, columns: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A row's term frequencies (as weighed, 1 + log with `sublinear_tf`) from its TF-IDF
        weights in these columns, up to the row's norm (a factor common to all)."""
        return np.asarray(weights, dtype=np.float64) / self.idf_of(columns)

    def weigh(self, terms: Sequence[str], tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The vector of a text given as its terms (strings) and their term frequencies, as
        `term_frequencies` recovers them from another vocabulary's row: the terms this
        vocabulary holds, weighed with its IDF and L2-normalised; the others are left out.

        For a text whose terms all have a column in both vocabularies, this is `transform` of
        the text."""
        if len(terms) != np.size(tf):
            raise ValueError(f"{len(terms)} terms but {np.size(tf)} term frequencies")
        found = [
            (column, i)
            for i, term in enumerate(terms)
            if (column := self.column_of(term)) is not None
        ]
        pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
        order = np.argsort(pairs[:, 0])
        frequencies = np.asarray(tf, dtype=np.float64).reshape(-1)[pairs[order, 1]]
        return self._normalised(pairs[order, 0], frequencies)

    def idf_of(self, columns: np.ndarray) -> np.ndarray:
        """The IDF weight of each column."""
        settled = self.idf.size
        if not self.recent_terms or columns.size == 0 or int(columns.max()) < settled:
            return np.asarray(self.idf[columns], dtype=np.float64)
        found = np.empty(columns.size, dtype=np.float64)
        old = columns < settled
        found[old] = self.idf[columns[old]]
        found[~old] = self.recent_idf[columns[~old] - settled]
        return found

    def all_idf(self) -> np.ndarray:
        """The IDF weight of every column, in column order."""
        if not self.recent_terms:
            return np.asarray(self.idf, dtype=np.float64)
        return np.concatenate([self.idf, self.recent_idf])

    def names(self, columns: np.ndarray) -> list[str]:
        """The term of each column."""
        settled = self.terms.size
        if not self.recent_terms or columns.size == 0 or int(columns.max()) < settled:
            names: list[str] = self.terms[columns].tolist()
            return names
        terms, recent = self.terms, self.recent_terms
        return [str(terms[j]) if j < settled else recent[j - settled] for j in columns.tolist()]

    def shown(self, columns: np.ndarray) -> list[str]:
        """The term of each column in words: each stem as the fit's texts write it most
        (`forms`; a word added since the fit stays a stem)."""
        return list(map(self._in_words, self.names(columns)))

    def _in_words(self, term: str) -> str:
        forms = self.forms
        return " ".join(forms.get(stem, stem) for stem in term.split(" "))

    def names_in(self, text: str) -> Callable[[np.ndarray], list[str]]:
        """`shown`, each term the text has named as the text words it (`wording`): shared
        terms read as the query's words."""

        def names(columns: np.ndarray) -> list[str]:
            named = wording(self.counter, text)
            return [named.get(term) or self._in_words(term) for term in self.names(columns)]

        return names

    def all_terms(self, start: int = 0) -> list[str]:
        """Every term from column `start` on, in column order."""
        return [*self.terms[start:].tolist(), *self.recent_terms[max(0, start - self.terms.size) :]]

    def settled(self, idf: np.ndarray) -> "Vocabulary":
        """The same terms with new IDF weights (one per column) and the recent words folded
        into the others (at a compaction)."""
        if idf.shape != (self.size,):
            raise ValueError(f"{idf.size} IDF weights for {self.size} terms")
        if not self.recent_terms:
            return replace(self, idf=idf)
        terms = np.concatenate([self.terms, np.array(self.recent_terms, dtype=object)])
        return replace(
            self,
            grown={**self.grown, **self.recent},
            terms=terms,
            idf=idf,
            recent={},
            recent_terms=(),
            recent_idf=_NO_IDF,
        )


def _vocabulary(fields: dict[str, Any]) -> Vocabulary:
    return Vocabulary(**fields)


def learned(
    texts: Sequence[str],
    *,
    ngram_range: tuple[int, int],
    extra_stop_words: Collection[str],
    sublinear_tf: bool,
    min_df: float,
    max_df: float,
    max_features: int | None,
    min_documents_for_df: int,
    sample: int | None,
) -> tuple[Vocabulary, sp.csr_matrix]:
    """The vocabulary of `texts` and their TF-IDF rows (CSR, float32, L2-normalised).

    Every word is a term; a phrase is one when its document frequency is within
    [`min_df`, `max_df`] (counts, or shares of the texts; from `min_documents_for_df` texts on)
    and among the `max_features` most frequent phrases. With `sample`, phrases are chosen in a
    seeded random sample of that many texts, then every text is counted (words the sample
    lacks added). IDF weights come from the document frequencies in all `texts`.
    """
    learn_from = texts
    if sample is not None and len(texts) > sample:
        picked = np.random.default_rng(0).choice(len(texts), size=sample, replace=False)
        learn_from = [texts[i] for i in np.sort(picked).tolist()]
    learner = counter(ngram_range, extra_stop_words)
    written: Counter[str] = Counter()
    counting = _Counting(learner.tokenizer, written)
    learner.set_params(tokenizer=counting)
    try:
        counts = learner.fit_transform(learn_from)
        # The terms by column, read from the fitted dict (get_feature_names_out sorts it).
        names = np.empty(len(learner.vocabulary_), dtype=object)
        names[list(learner.vocabulary_.values())] = list(learner.vocabulary_)
    except ValueError:
        # scikit-learn raises when the texts hold no token at all (empty, or stop words).
        counts = sp.csr_matrix((len(learn_from), 0), dtype=np.float32)
        names = np.zeros(0, dtype=object)
    del learner  # its vocabulary holds every n-gram of every text
    bounds = _phrase_bounds(counts.shape[0], min_df, max_df, min_documents_for_df)
    keep = _kept(names, counts, bounds, max_features)
    columns = {term: j for j, term in enumerate(names[keep].tolist())}
    if learn_from is texts:
        counts = counts[:, np.flatnonzero(keep)]
    else:
        analyze = counter(ngram_range, extra_stop_words).set_params(tokenizer=counting)
        analyze = analyze.build_analyzer()
        parts = [
            count_texts(analyze, columns, texts[i : i + _COUNT_CHUNK])
            for i in range(0, len(texts), _COUNT_CHUNK)
        ]
        # Later chunks may have added words: every part as wide as the vocabulary.
        width = len(columns)
        counts = sp.vstack(
            [sp.csr_matrix((p.data, p.indices, p.indptr), (p.shape[0], width)) for p in parts],
            format="csr",
        )
    terms = np.array(list(columns), dtype=object).reshape(-1)
    idf = smooth_idf(np.bincount(counts.indices, minlength=len(columns)), len(texts))
    vocabulary = Vocabulary.of(
        columns,
        terms,
        idf,
        ngram_range=ngram_range,
        extra_stop_words=extra_stop_words,
        sublinear_tf=sublinear_tf,
        forms=commonest_forms(written),
    )
    return vocabulary, _weighed(counts, idf, sublinear_tf)


@dataclass(frozen=True, slots=True)
class _Counting:
    """A `Stems` tokenizer that counts the words it reads as written (for a fit's `forms`)."""

    stems: Stems
    written: Counter[str]

    def __call__(self, text: str) -> list[str]:
        words = _WORD.findall(text)
        self.written.update(words)
        return self.stems.kept(words)


def commonest_forms(written: Mapping[str, int]) -> dict[str, str]:
    """Per stem, the word written most often for it (ties: the shorter, then the first in
    alphabetical order), for the stems that differ from that word."""
    words = sorted(written)
    best: dict[str, tuple[int, int, str]] = {}
    for word, stem in zip(words, stem_words(words), strict=True):
        key = (-written[word], len(word), word)
        known = best.get(stem)
        if known is None or key < known:
            best[stem] = key
    return {stem: word for stem, (_, _, word) in best.items() if word != stem}


def _phrase_bounds(
    n_documents: int, min_df: float, max_df: float, min_documents_for_df: int
) -> tuple[float, float]:
    """The document frequencies a phrase may have, as counts: (at least, at most)."""
    if n_documents < min_documents_for_df:
        return 1, n_documents
    low = min_df if isinstance(min_df, Integral) else min_df * n_documents
    high = max_df if isinstance(max_df, Integral) else max_df * n_documents
    return (low, n_documents) if high < low else (low, high)


def _kept(
    names: np.ndarray,
    counts: sp.csr_matrix,
    bounds: tuple[float, float],
    max_features: int | None,
) -> np.ndarray:
    """Which of the terms counted in `counts` (columns named `names`) to keep: every word, and
    the phrases within the document-frequency `bounds` (the most frequent `max_features`)."""
    words = np.fromiter(map(is_word, names.tolist()), dtype=bool, count=names.size)
    document_frequency = np.bincount(counts.indices, minlength=names.size)
    low, high = bounds
    phrases = ~words & (document_frequency >= low) & (document_frequency <= high)
    chosen = np.flatnonzero(phrases)
    if max_features is not None and chosen.size > max_features:
        # The most frequent phrases, ties by column (as TfidfVectorizer's max_features).
        frequency = np.asarray(counts.sum(axis=0)).ravel()[chosen]
        order = np.argsort(-frequency, kind="stable")
        phrases[chosen[order[max_features:]]] = False
    keep = words | phrases
    if not keep.any():
        # No word, and the bounds left no phrase: keep every phrase rather than none.
        keep[:] = True
    return keep


def _weighed(counts: sp.csr_matrix, idf: np.ndarray, sublinear_tf: bool) -> sp.csr_matrix:
    """Term counts as L2-normalised TF-IDF rows."""
    tf = counts.data.astype(np.float64)
    if sublinear_tf:
        tf = 1.0 + np.log(tf)
    data = (tf * idf[counts.indices]).astype(np.float32)
    rows = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
    if rows.nnz:
        normalize(rows, norm="l2", copy=False)
    return rows
