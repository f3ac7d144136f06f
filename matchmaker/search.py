"""Full-text search over calls and organisation profiles, with the database's own engine.

SQLite answers with FTS5 (`porter unicode61 remove_diacritics 2`), PostgreSQL with a
`tsvector` column under a GIN index and the `matchmaker` text search configuration (English
stemming; accents ignored through `unaccent`). The migration `5e0c7b2d9a14` creates the search
tables and the triggers that keep them in step with every write to `calls` and
`organisations`, so no write path can forget them. This module reads them (which rows match a
query, how well: the engine's own rank, and a snippet that shows why) and, once a profile is
deleted, makes SQLite forget its words (`forget_deleted`).

A query is words, which must all appear (in any searched field, in any form the stemmer maps
to the same stem, and in British or American spelling: "tumor" finds "tumour", `spellings`);
`"quoted words"` must appear side by side; a word ending in `*` matches every word it begins.
Punctuation inside a word makes a phrase of its parts, so a topic identifier such as
`HORIZON-HLTH-2024` finds itself.
"""

# ruff: noqa: S608  # SQL is built only from this file's constants; values are bound
import itertools
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, Float, Integer, Subquery, bindparam, column, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from matchmaker.db import for_writing
from matchmaker.matching.spelling import spellings

logger = logging.getLogger(__name__)

Searched = Literal["calls", "organisations"]

# The searched tables' names; the schema comparison leaves them (and FTS5's shadow tables,
# `<name>_data`, `_idx`, `_content`, `_docsize`, `_config`) out, as the models do not declare them.
SEARCH_TABLES = ("calls_search", "organisations_search")
# FTS5 bm25 weights, in the virtual tables' column order: a word in a title or a name counts
# ten times one in a long description. PostgreSQL's weights A-D follow the same order.
_BM25_WEIGHTS = {
    "calls": "10.0, 10.0, 3.0, 1.0",  # identifier, title, programme, description
    "organisations": "10.0, 1.0, 4.0, 0.5",  # name, description, keywords, activities
}
_COLUMNS = {
    "calls": ("identifier", "title", "programme", "description"),
    "organisations": ("name", "description", "keywords", "activities"),
}
# Where a snippet is taken from: the text a list does not show already.
_SNIPPET_COLUMNS = {
    "calls": ("description",),
    "organisations": ("description", "keywords", "activities"),
}
# Highlight marks around each matched word: control characters, which the models refuse in
# any stored text, so they cannot be forged; they are split off before anything is rendered.
_START, _STOP = "\x02", "\x03"
_SNIPPET_WORDS = 24
_ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+")
# A phrase's spellings multiply ("paediatric tumour", "pediatric tumor", ...): at most this many
# of a term are searched, the typed one first.
_MAX_SPELLINGS = 8
_TERM = re.compile(r'"([^"]*)"?(\*?)|(\S+)')


def is_search_table(name: str) -> bool:
    """Whether a table belongs to full-text search (its own or FTS5's shadow tables)."""
    return any(name == table or name.startswith(f"{table}_") for table in SEARCH_TABLES)


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear side by side (one word: anywhere); `prefix`: the last one begins."""

    words: tuple[str, ...]
    prefix: bool = False

    def typed(self) -> str:
        """The term as a user types it: a word, `"words side by side"` or `prefix*`."""
        words = " ".join(self.words)
        return (f'"{words}"' if len(self.words) > 1 else words) + ("*" if self.prefix else "")

    def spelled(self) -> list[tuple[str, ...]]:
        """Its words in each British and American spelling (`spellings`), the typed one first,
        at most `_MAX_SPELLINGS`."""
        every = itertools.product(*(spellings(word) for word in self.words))
        return list(itertools.islice(every, _MAX_SPELLINGS))


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: every term must match."""

    terms: tuple[Term, ...]

    @classmethod
    def parse(cls, typed: str) -> "Query":
        """Read words, `"phrases"` and `prefix*` words from what a user typed."""
        terms = []
        for quoted, star, bare in _TERM.findall(typed):
            source = bare or quoted
            words = tuple(word.lower() for word in _WORD.findall(source))
            if words:
                terms.append(Term(words, prefix=bool(star) or bare.endswith("*")))
        return cls(tuple(terms))

    def fts5(self) -> str:
        """The query in FTS5's syntax: each term a quoted string, `*` after a prefix, its
        spellings joined by OR, AND between terms."""
        parts = []
        for term in self.terms:
            star = "*" if term.prefix else ""
            spelled = ['"' + " ".join(words) + '"' + star for words in term.spelled()]
            parts.append(_either(spelled, " OR "))
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """The query in `to_tsquery`'s syntax: `&` between terms, `<->` inside a phrase, `|`
        between a term's spellings."""
        parts = []
        for term in self.terms:
            spellings_of_term = term.spelled()
            spelled = []
            for spelling in spellings_of_term:
                words = [f"'{word}'" for word in spelling]
                if term.prefix:
                    words[-1] += ":*"
                phrase = " <-> ".join(words)
                several = len(spellings_of_term) > 1 and len(words) > 1
                spelled.append(f"({phrase})" if several else phrase)
            parts.append(_either(spelled, " | "))
        return " & ".join(parts)


def words_searched(typed: str | None) -> str | None:
    """What a search box or a list's `q` searches for: the text typed, or None when it holds no
    word to look for (`*`, `^`, punctuation only). Such a text would find nothing, so it is no
    search: the list is the one asked for without it, the other filters kept (a page says so)."""
    return typed if typed is not None and Query.parse(typed).terms else None


def _either(alternatives: list[str], operator: str) -> str:
    """One alternative as it is, several joined by the operator within parentheses."""
    return alternatives[0] if len(alternatives) == 1 else f"({operator.join(alternatives)})"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a snippet; `hit` when it is a word the query matched."""

    text: str
    hit: bool


Snippet = tuple[Segment, ...]


def _segments(marked: str) -> Snippet:
    segments = []
    for index, piece in enumerate(re.split(f"[{_START}{_STOP}]", marked)):
        if piece:
            segments.append(Segment(piece, hit=index % 2 == 1))
    return tuple(segments)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def matches(session: Session, searched: Searched, query: Query) -> Subquery:
    """The rows matching a query: a subquery of `id` and `rank` (higher is better).

    A query with no words matches nothing.
    """
    columns = (column("id", Integer), column("rank", Float))
    if not query.terms:
        return text("SELECT 0 AS id, 0.0 AS rank WHERE 1 = 0").columns(*columns).subquery("hits")
    table = f"{searched}_search"
    if _dialect(session) == "sqlite":
        statement = text(
            f"SELECT rowid AS id, -bm25({table}, {_BM25_WEIGHTS[searched]}) AS rank "
            f"FROM {table} WHERE {table} MATCH :search_query"
        ).bindparams(search_query=query.fts5())
    else:
        # Normalisation 1 divides by 1 + log(length), so a long profile does not win by size.
        statement = text(
            f"SELECT s.id, ts_rank(s.document, q.query, 1) AS rank FROM {table} AS s, "
            "to_tsquery('matchmaker', :search_query) AS q(query) WHERE s.document @@ q.query"
        ).bindparams(search_query=query.tsquery())
    return statement.columns(*columns).subquery("hits")


def snippets(
    session: Session, searched: Searched, query: Query, ids: Collection[int]
) -> dict[int, Snippet]:
    """For each of these rows that matches, the passage that matched, its words marked."""
    if not query.terms or not ids:
        return {}
    table = f"{searched}_search"
    shown = _SNIPPET_COLUMNS[searched]
    if _dialect(session) == "sqlite":
        # FTS5 takes one column, or -1 for the one with the best hits.
        column_index = _COLUMNS[searched].index(shown[0]) if len(shown) == 1 else -1
        statement = text(
            f"SELECT rowid, snippet({table}, {column_index}, char(2), char(3), '{_ELLIPSIS}', "
            f"{_SNIPPET_WORDS}) FROM {table} WHERE {table} MATCH :search_query "
            "AND rowid IN :ids"
        ).bindparams(search_query=query.fts5())
    else:
        body = " || ' · ' || ".join(f"coalesce(s.{name}, '')" for name in shown)
        statement = text(
            f"SELECT s.id, ts_headline('matchmaker', {body}, q.query, :options) FROM {table} "
            "AS s, to_tsquery('matchmaker', :search_query) AS q(query) "
            "WHERE s.document @@ q.query AND s.id IN :ids"
        ).bindparams(
            search_query=query.tsquery(),
            options=f"StartSel={_START}, StopSel={_STOP}, MaxFragments=2, "
            f'MaxWords={_SNIPPET_WORDS}, MinWords=8, FragmentDelimiter=" {_ELLIPSIS} "',
        )
    statement = statement.bindparams(bindparam("ids", value=list(ids), expanding=True))
    return {int(row_id): _segments(marked or "") for row_id, marked in session.execute(statement)}


def found_snippets(
    session: Session, searched: Searched, typed: str | None, ids: Collection[int]
) -> dict[int, Snippet] | None:
    """The snippets of a list's rows for what a user typed; None when nothing was typed."""
    if not typed or not typed.strip():
        return None
    return snippets(session, searched, Query.parse(typed), ids)


# A checkpoint that finds a read still using the write-ahead log is tried again this many
# times, this many seconds apart (outside any lock), before it is left to a later one.
CHECKPOINT_TRIES = 40
CHECKPOINT_PAUSE = 0.25


def _checkpoint(engine: Engine) -> bool:
    """Copy the write-ahead log into the file and empty it, if no read needs it now.

    It does not wait: a TRUNCATE checkpoint that waits for reads (the busy timeout) holds off
    every writer meanwhile, so a long read (an export, an index being built) would stall the
    whole service's writes for up to the busy timeout. Outside any transaction (the raw
    connection commits on its own), or it could not pass this connection's own snapshot.
    """
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        (waited,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            (busy, _, _) = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:  # another connection checkpointing, say
            busy = 1
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(waited)}")
    finally:
        raw.close()
    return not busy


def forget_deleted(
    engine: Engine,
    *,
    tries: int = CHECKPOINT_TRIES,
    pause: Callable[[float], None] = time.sleep,
) -> None:
    """Leave no word of a deleted profile in a SQLite file (run once the delete is committed).

    FTS5 deletes a row by adding a segment that marks its words deleted; the words themselves
    stay in the older segments until they are merged. ``optimize`` merges them all now: it
    rewrites the organisations' index once, which is why it runs after the answer is sent
    (deleting a profile is rare). The file's free pages are already zeroed (`secure_delete`,
    set on every connection), but the write-ahead log still holds the pages as they were
    before: a checkpoint copies it into the file and truncates it (`_checkpoint`). Both are
    best effort: a database too busy to answer now is logged and left for later deletes.
    PostgreSQL keeps a deleted row's bytes until autovacuum reuses its space; nothing is done
    there.
    """
    if engine.dialect.name != "sqlite":
        return
    try:
        with for_writing(engine).begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO organisations_search(organisations_search) VALUES ('optimize')"
            )
        for _ in range(tries):
            if _checkpoint(engine):
                return
            pause(CHECKPOINT_PAUSE)
        logger.warning(
            "A deleted profile's old pages are still in the write-ahead log: reads kept it "
            "in use through %d tries to empty it; the next delete tries again.",
            tries,
        )
    except OperationalError as error:
        logger.warning("A deleted profile's words are still in the search index: %s", error)
