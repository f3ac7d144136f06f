"""Full-text search over calls and organisations, kept in step by triggers (issue 19).

Revision ID: 5e0c7b2d9a14
Revises: 5e1b7c9d2f40
Create Date: 2026-12-05 14:10:00.000000

SQLite: FTS5 tables `calls_search` and `organisations_search` (porter stemming, accents
removed), whose rowid is the row's id. PostgreSQL: tables of the same names holding the
searched text and a weighted `tsvector` under a GIN index, in the `matchmaker` text search
configuration (English, with `unaccent` before stemming when the extension can be created;
without it, accents count on PostgreSQL).

Triggers on `calls` and `organisations` rewrite a row's entry on every insert, on every update
of a searched column and on delete, so every write path (single writes, imports' batches,
migrations) keeps search in step inside the same transaction. An organisation's keywords are
searched as one text, and its activities as their titles and summaries. Existing rows are
indexed by the same triggers, through a no-op update.

A later SQLite migration that rebuilds `calls` or `organisations` in batch mode (copy, drop,
rename) drops these triggers with the old table and must create them again; the search tests
fail if it does not.
"""

# ruff: noqa: S608  # SQL is built only from this file's constants; values are bound
from collections.abc import Sequence

from alembic import op
from sqlalchemy import exc, text

revision: str = "5e0c7b2d9a14"
down_revision: str | None = "5e1b7c9d2f40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEPARATOR = "' · '"

_SQLITE_VALUES = {
    "calls": {
        "identifier": "new.identifier",
        "title": "new.title",
        "programme": "new.programme",
        "description": "new.description",
    },
    "organisations": {
        "name": "new.name",
        "description": "new.description",
        "keywords": f"(SELECT group_concat(value, {_SEPARATOR}) FROM json_each(new.keywords))",
        "activities": (
            "(SELECT group_concat(trim(coalesce(json_extract(value, '$.title'), '') || ' ' || "
            f"coalesce(json_extract(value, '$.summary'), '')), {_SEPARATOR}) "
            "FROM json_each(new.activities))"
        ),
    },
}
_WATCHED = {
    "calls": "identifier, title, programme, description",
    "organisations": "name, description, keywords, activities",
}
# Which column of the base table refreshes every entry once, through the update trigger.
_TOUCH = {"calls": "title", "organisations": "name"}


def _sqlite_upgrade() -> None:
    for table, values in _SQLITE_VALUES.items():
        search = f"{table}_search"
        columns = ", ".join(values)
        op.execute(
            f"CREATE VIRTUAL TABLE {search} USING fts5({columns}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        insert = (
            f"INSERT INTO {search} (rowid, {columns}) "
            f"VALUES (new.id, {', '.join(values.values())});"
        )
        remove = f"DELETE FROM {search} WHERE rowid = old.id;"
        op.execute(f"CREATE TRIGGER {search}_insert AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(
            f"CREATE TRIGGER {search}_update AFTER UPDATE OF {_WATCHED[table]} ON {table} "
            f"BEGIN {remove} {insert} END"
        )
        op.execute(f"CREATE TRIGGER {search}_delete AFTER DELETE ON {table} BEGIN {remove} END")


def _words(code: str) -> str:
    """A code's words apart: PostgreSQL's parser reads "P-2" as "p" and the number -2."""
    return f"regexp_replace(coalesce({code}, ''), '[^[:alnum:]]+', ' ', 'g')"


_POSTGRES_DOCUMENTS = {
    "calls": (
        f"setweight(to_tsvector('matchmaker', {_words('NEW.identifier')}), 'A') || "
        "setweight(to_tsvector('matchmaker', coalesce(NEW.title, '')), 'A') || "
        f"setweight(to_tsvector('matchmaker', {_words('NEW.programme')}), 'B') || "
        "setweight(to_tsvector('matchmaker', coalesce(NEW.description, '')), 'C')"
    ),
    "organisations": (
        "setweight(to_tsvector('matchmaker', coalesce(NEW.name, '')), 'A') || "
        "setweight(to_tsvector('matchmaker', coalesce(keywords_text, '')), 'B') || "
        "setweight(to_tsvector('matchmaker', coalesce(NEW.description, '')), 'C') || "
        "setweight(to_tsvector('matchmaker', coalesce(activities_text, '')), 'D')"
    ),
}
_POSTGRES_VALUES = {
    "calls": "NEW.identifier, NEW.title, NEW.programme, NEW.description",
    "organisations": "NEW.name, NEW.description, keywords_text, activities_text",
}
_POSTGRES_PREPARE = {
    "calls": "",
    "organisations": f"""
    IF json_typeof(NEW.keywords) = 'array' THEN
        SELECT string_agg(value, {_SEPARATOR}) INTO keywords_text
        FROM json_array_elements_text(NEW.keywords) AS value;
    END IF;
    IF json_typeof(NEW.activities) = 'array' THEN
        SELECT string_agg(
            concat_ws(' ', item ->> 'title', nullif(item ->> 'summary', '')), {_SEPARATOR}
        ) INTO activities_text
        FROM json_array_elements(NEW.activities) AS item;
    END IF;""",
}


def _create_configuration() -> None:
    """The `matchmaker` configuration: English, with accents removed when unaccent is there."""
    connection = op.get_bind()
    unaccent = False
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        unaccent = True
    except exc.DBAPIError:  # not installed (PostgreSQL's contrib), or no right to create it
        unaccent = False
    op.execute("CREATE TEXT SEARCH CONFIGURATION matchmaker (COPY = english)")
    if unaccent:
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION matchmaker "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
        )


def _postgres_upgrade() -> None:
    _create_configuration()
    for table, columns in _POSTGRES_VALUES.items():
        search = f"{table}_search"
        names = ", ".join(_SQLITE_VALUES[table])
        op.execute(
            f"CREATE TABLE {search} (id integer PRIMARY KEY, "
            + ", ".join(f"{name} text" for name in _SQLITE_VALUES[table])
            + ", document tsvector NOT NULL)"
        )
        op.execute(f"CREATE INDEX ix_{search}_document ON {search} USING gin (document)")
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*_SQLITE_VALUES[table],))
        op.execute(f"""
CREATE FUNCTION {search}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keywords_text text;
    activities_text text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {search} WHERE id = OLD.id;
        RETURN NULL;
    END IF;{_POSTGRES_PREPARE[table]}
    INSERT INTO {search} (id, {names}, document)
    VALUES (NEW.id, {columns}, {_POSTGRES_DOCUMENTS[table]})
    ON CONFLICT (id) DO UPDATE SET {updates}, document = EXCLUDED.document;
    RETURN NULL;
END
$$""")
        op.execute(
            f"CREATE TRIGGER {search}_sync AFTER INSERT OR DELETE OR UPDATE OF "
            f"{_WATCHED[table]} ON {table} FOR EACH ROW EXECUTE FUNCTION {search}_sync()"
        )


def upgrade() -> None:
    """Create the search tables and their triggers, and index every existing row."""
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()
    for table, column in _TOUCH.items():
        op.execute(f"UPDATE {table} SET {column} = {column}")


def downgrade() -> None:
    """Drop the triggers, the search tables and the text search configuration."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _SQLITE_VALUES:
        search = f"{table}_search"
        if sqlite:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {search}_{event}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {search}_sync ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {search}_sync()")
        op.execute(f"DROP TABLE IF EXISTS {search}")
    if not sqlite:
        # The unaccent extension stays: other schemas may use it, and it holds no data.
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS matchmaker")
