"""Bulk imports: CORDIS organisations, calls (topics CSV or JSON, file or URL), profile JSON.

Every import streams its input, validates each record with the API's own schemas, writes in
batches (one transaction each), upserts by a stable key (Organisation.external_id,
Call.identifier) so that a re-run changes nothing and an interrupted run converges when run
again, and ends with a summary that counts the rejected rows by reason, with the first of each.
"""

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from matchmaker.calls import check_call_rules
from matchmaker.db import for_writing, session_scope
from matchmaker.errors import InvalidInput
from matchmaker.importers.cordis import (
    DOWNLOAD,
    FOUR_FILES,
    CordisSource,
    Layout,
    Participations,
    call_from_topic,
    iter_organisations,
    organisation_ids,
    organisation_records,
    read_download_organisations,
    read_participations,
    read_projects,
    read_topics,
)
from matchmaker.importers.csv_source import CutShort, Progress, Rejected, SourceError, read_csv
from matchmaker.importers.sources import json_items, open_source
from matchmaker.messages import field_path, human_message
from matchmaker.partnering import events
from matchmaker.repository import create_many, stored_id, versioned_update_many
from matchmaker.trust.duplicates import duplicates_of_many, identity, lookalikes_within
from matchmaker.trust.history import absorbed_external_ids, deleted_external_ids, deleted_note
from matchmaker.wording import plural
from models.call import Call, CallCreate, CallStatus, call_status
from models.change import Entity
from models.common import utc_today
from models.organisation import Organisation, OrganisationCreate, kept_from_import
from models.saved_search import JobKind

__all__ = [
    "BATCH_SIZE",
    "CutShort",
    "ImportSummary",
    "Rejected",
    "SourceError",
    "import_calls",
    "import_cordis",
    "import_organisations_json",
]

BATCH_SIZE = 500


@dataclass
class ImportSummary:
    """What an import did: rows created, updated, unchanged, and every row it rejected."""

    entity: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Organisations only: created profiles that look like stored ones (the first are noted).
    possible_duplicates: int = 0
    # Organisations only: stored profiles where the source differs from fields written here
    # since their import (by their organisation, an admin or a merge), which were kept.
    kept_own: int = 0
    # Calls only: which identifiers were created, updated and left unchanged, and every
    # identifier the source listed (rejected rows included), for `matchmaker sync calls`.
    created_keys: list[str] = field(default_factory=list)
    updated_keys: list[str] = field(default_factory=list)
    unchanged_keys: list[str] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        """The summary as printable lines: the counts, how many profiles kept fields written
        here (when any did), then the rejected rows by reason, and each note."""
        lines = [
            f"{self.entity}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected."
        ]
        if self.kept_own:
            lines.append(
                f"{plural(self.kept_own, 'profile')} kept fields written here since their "
                "import (by their organisation, an administrator or a merge) where the source "
                "gives other values."
            )
        return lines + rejected_and_notes(self.rejected, self.notes)


# A reason shared by more rows than this is summed up in a count and its first few rows.
ROWS_PER_REASON = 10
EXAMPLES_PER_REASON = 5


def rejected_lines(rejected: Sequence[Rejected]) -> list[str]:
    """Rejected rows grouped by file and reason, in order of first appearance: a reason with
    few rows lists them, one with more says how many and shows the first few."""
    groups: dict[tuple[str, str], list[Rejected]] = {}
    for row in rejected:
        groups.setdefault((row.file, row.kind or row.reason), []).append(row)
    lines: list[str] = []
    for (file, kind), rows in groups.items():
        if len(rows) <= ROWS_PER_REASON:
            lines.extend(f"  {row}" for row in rows)
            continue
        lines.append(f"  {file}: {len(rows):,} rows, {kind}; the first {EXAMPLES_PER_REASON}:")
        lines.extend(f"    {row}" for row in rows[:EXAMPLES_PER_REASON])
        lines.append(f"    and {len(rows) - EXAMPLES_PER_REASON:,} more")
    return lines


def rejected_and_notes(rejected: Sequence[Rejected], notes: Sequence[str]) -> list[str]:
    """The end of a printed summary: the rejected rows by reason, then each note (none when
    empty)."""
    lines = []
    if rejected:
        lines.append("Rejected rows:")
        lines.extend(rejected_lines(rejected))
    if notes:
        lines.append("Notes:")
        lines.extend(f"  {note}" for note in notes)
    return lines


def validation_kind(error: ValidationError) -> str:
    """The fields a validation error is about, for counting rows alike ("invalid country")."""
    fields = dict.fromkeys(
        ".".join(part for part in field_path(detail["loc"]).split(".") if not part.isdigit())
        if detail["loc"]
        else "record"
        for detail in error.errors()
    )
    return f"invalid {', '.join(fields)}"


def validation_reason(error: ValidationError) -> str:
    """What is wrong, for people (matchmaker.messages), each after the field it is about."""
    parts = []
    for detail in error.errors():
        message = human_message(detail)
        parts.append(f"{field_path(detail['loc'])}: {message}" if detail["loc"] else message)
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# Writing batches


def _write_organisations(
    engine: Engine, batch: Sequence[tuple[str, OrganisationCreate]], summary: ImportSummary
) -> None:
    """Create or update one batch of profiles by external_id, in one transaction."""
    if not batch:
        return
    keys = [external_id for external_id, _ in batch]
    with session_scope(for_writing(engine)) as session:
        existing = {
            row.external_id: row
            for row in session.scalars(
                select(Organisation)
                .where(col(Organisation.external_id).in_(keys))
                .with_for_update()
            )
        }
        # A record merged into another profile (a claim, an admin's merge) lives on in it; a
        # deleted one stays deleted (an erasure lasts until an admin forgets it).
        missing = [key for key in keys if key not in existing]
        merged = absorbed_external_ids(session, missing)
        deleted = deleted_external_ids(session, missing)
        created: list[dict[str, Any]] = []
        updated: list[tuple[Organisation, dict[str, Any]]] = []
        for external_id, data in batch:
            row = existing.get(external_id)
            if row is None:
                if external_id in merged:
                    summary.unchanged += 1
                    summary.notes.append(
                        f"{external_id} was merged into organisation {merged[external_id]}: "
                        "not created again"
                    )
                    continue
                if external_id in deleted:
                    summary.unchanged += 1
                    summary.notes.append(
                        f"{deleted_note(external_id, deleted[external_id])}: not created again"
                    )
                    continue
                values = {**data.model_dump(mode="json"), "external_id": external_id}
                created.append({**values, **identity(values)})
                continue
            # Each given field whole: a past project given without a summary is stored with an
            # empty one, and must compare equal to it on the next run.
            values = data.model_dump(mode="json")
            # Only the fields the source gives are its to change (CORDIS has no keywords), and
            # of those only the ones nobody wrote here since the import: an organisation's own
            # description, a merge's projects and a verified type stay (`kept_from_import`).
            given = _differences(row, {name: values[name] for name in data.model_fields_set})
            kept = kept_from_import(row)
            changes = {name: value for name, value in given.items() if name not in kept}
            if len(changes) < len(given):
                summary.kept_own += 1
            if changes:
                updated.append((row, {**changes, **identity(changes)}))
            else:
                summary.unchanged += 1
        _note_duplicates(session, created, summary)
        new_ids = create_many(session, Organisation, created, entity=Entity.organisation)
        versioned_update_many(session, updated, entity=Entity.organisation)
        # New profiles are announced as profiles registered over the API are (saved searches,
        # drafts missing their type); changed ones are not, as for calls.
        events.record_many(session, kind=JobKind.organisation, item_ids=new_ids)
    summary.created += len(created)
    summary.updated += len(updated)


# Past this many, the summary counts possible duplicates instead of naming each.
MAX_DUPLICATE_NOTES = 100


def _note_duplicates(
    session: Session, created: list[dict[str, Any]], summary: ImportSummary
) -> None:
    """Note each new profile that looks like a stored one or an earlier new one of the same
    batch (same website host, near-identical name in the same country): it is created all the
    same, never merged, for an admin to merge or its organisation to claim. Earlier batches of
    the import are stored by then, so their rows are found as stored profiles."""
    within = lookalikes_within(created)
    stored = duplicates_of_many(session, created)
    for values, duplicates, earlier in zip(created, stored, within, strict=True):
        if not duplicates and not earlier:
            continue
        summary.possible_duplicates += 1
        if summary.possible_duplicates == MAX_DUPLICATE_NOTES + 1:
            summary.notes.append("More new profiles may be duplicates; they are not listed.")
        if summary.possible_duplicates <= MAX_DUPLICATE_NOTES:
            likes = ", ".join(
                [
                    f"{duplicate.id} {duplicate.name!r} ({'/'.join(duplicate.reasons)})"
                    for duplicate in duplicates
                ]
                + [
                    f"{created[index]['external_id']} {created[index]['name']!r} of this import "
                    f"({'/'.join(reasons)})"
                    for index, reasons in earlier
                ]
            )
            summary.notes.append(
                f"{values['external_id']} {values['name']!r} may be a duplicate of: {likes}"
            )


def _write_calls(
    engine: Engine,
    batch: Sequence[tuple[CallCreate, Rejected]],
    summary: ImportSummary,
    *,
    today: date,
) -> None:
    """Create or update one batch of calls by identifier, in one transaction.

    Each call comes with where it was read (a Rejected with no reason yet), for the report.
    A call created, or reopened (closed on `today` before the write, not after), is announced
    as `create_call` announces one: a notification job per call, in the same transaction.
    """
    if not batch:
        return
    keys = [data.identifier for data, _ in batch]
    with session_scope(for_writing(engine)) as session:
        existing = {
            row.identifier: row
            for row in session.scalars(
                select(Call).where(col(Call.identifier).in_(keys)).with_for_update()
            )
        }
        created: list[dict[str, Any]] = []
        updated: list[tuple[Call, dict[str, Any]]] = []
        updated_identifiers: list[str] = []
        reopened: list[int] = []
        for data, where in batch:
            row = existing.get(data.identifier)
            if row is None:
                values = data.model_dump()
                values["required_stakeholders"] = data.model_dump(mode="json")[
                    "required_stakeholders"
                ]
                created.append(values)
                continue
            given = data.model_dump(exclude_unset=True)
            if "required_stakeholders" in given:
                given["required_stakeholders"] = data.model_dump(mode="json")[
                    "required_stakeholders"
                ]
            changes = _differences(row, given)
            if not changes:
                summary.unchanged += 1
                summary.unchanged_keys.append(data.identifier)
                continue
            try:
                check_call_rules({**row.model_dump(), **changes})
            except InvalidInput as error:
                summary.rejected.append(
                    replace(where, reason=f"{error.field}: {error.detail} (with the stored call)")
                )
                continue
            if _is_closed(row.opening_date, row.deadline, today) and not _is_closed(
                changes.get("opening_date", row.opening_date),
                changes.get("deadline", row.deadline),
                today,
            ):
                reopened.append(stored_id(row))
            updated.append((row, changes))
            updated_identifiers.append(data.identifier)
        new_ids = create_many(session, Call, created, entity=Entity.call)
        versioned_update_many(session, updated, entity=Entity.call)
        events.record_many(
            session,
            kind=JobKind.call,
            item_ids=sorted(_not_closed(session, new_ids, today) + reopened),
        )
    summary.created += len(created)
    summary.updated += len(updated)
    summary.created_keys.extend(values["identifier"] for values in created)
    summary.updated_keys.extend(updated_identifiers)


def _is_closed(opening_date: date | None, deadline: date | None, today: date) -> bool:
    return call_status(opening_date, deadline, today) is CallStatus.closed


def _not_closed(session: Session, ids: Sequence[int], today: date) -> list[int]:
    """The calls among `ids` not closed on `today`: a closed call is announced to nobody."""
    if not ids:
        return []
    deadline = col(Call.deadline)
    return list(
        session.scalars(
            select(col(Call.id)).where(
                col(Call.id).in_(ids), or_(deadline.is_(None), deadline >= today)
            )
        )
    )


def _differences(row: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(row, name) != value}


# --------------------------------------------------------------------------------------------
# CORDIS organisations


def import_cordis(
    engine: Engine,
    directory: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Create or update organisations (with their projects as activities) from a CORDIS
    source: a folder of the four files, or CORDIS's download (its zip, or the folder it
    unzips to; `CordisSource`).

    Reads the organisations' ids ahead, and the topics, projects and participations into
    compact lookups, then streams the organisations and writes `batch_size` profiles per
    transaction. Nothing is written when a file ends in the middle of a record (CutShort) or
    the files disagree beyond MAX_MISSING_SHARE (SourceError). `progress` follows the files as
    they are read; `on_batch` is called with the number of profiles handled so far after each
    committed batch (raising from it stops the import, as an interruption would).
    """
    source = CordisSource(Path(directory))
    layout = source.layout
    summary = ImportSummary("organisations")
    # The one file streamed while writing is read ahead, whole, so that a cut-off one writes
    # nothing (0.07 s for the slice's 2.2 MB; the other three are read whole before the first
    # write anyway). The download's organisations are read whole with their participations.
    listed = set() if layout.download else organisation_ids(source)
    topics = read_topics(source, summary.rejected, progress=progress)
    projects = read_projects(source, topics, summary.rejected, progress=progress)
    del topics  # the projects keep the one copy of each topic text they use
    if layout.download:
        participations, organisation_rows = read_download_organisations(
            source, projects, summary.rejected, progress=progress
        )
        listed = {row["organisationID"].strip() for _, row in organisation_rows}
    else:
        participations = read_participations(source, projects, summary.rejected, progress=progress)
    problems = inconsistencies(
        layout,
        organisations=listed,
        participations=participations,
        missing_projects=sum(1 for row in summary.rejected if row.kind == layout.missing_project),
    )
    if problems:
        raise SourceError(
            " ".join(problems)
            + " Download the files again and re-run the import; nothing was imported."
        )
    # The lookups are a few hundred thousand long-lived objects; without freezing them the
    # cyclic garbage collector rescans them all, over and over (a fifth of the run time).
    gc.freeze()
    try:
        records = (
            organisation_records(
                organisation_rows,
                participations,
                projects,
                summary.rejected,
                file=layout.organisations,
            )
            if layout.download
            else iter_organisations(
                source, participations, projects, summary.rejected, progress=progress
            )
        )
        batch: list[tuple[str, OrganisationCreate]] = []
        handled = 0
        for line, record in records:
            try:
                data = OrganisationCreate.model_validate(record.fields)
            except ValidationError as error:
                summary.rejected.append(
                    Rejected(
                        layout.organisations,
                        validation_reason(error),
                        line=line,
                        kind=validation_kind(error),
                    )
                )
                continue
            if record.website_dropped:
                summary.notes.append(
                    f"{layout.organisations} line {line}: website {record.website_dropped!r} "
                    "left out (not a usable URL)"
                )
            batch.append((record.external_id, data))
            if len(batch) >= batch_size:
                _write_organisations(engine, batch, summary)
                handled += len(batch)
                batch = []
                if on_batch is not None:
                    on_batch(handled)
        _write_organisations(engine, batch, summary)
        if batch and on_batch is not None:
            on_batch(handled + len(batch))
    finally:
        gc.unfreeze()
    for organisation_id, rows in participations.items():
        if organisation_id in listed:
            continue  # its organisation's row was rejected, and says why
        for _, _, line in rows:
            summary.rejected.append(
                Rejected(
                    layout.participations,
                    f"organisationID {organisation_id} is not in {layout.organisations}",
                    line=line,
                    kind=layout.missing_organisation,
                )
            )
    summary.rejected.sort(key=_rejected_order)
    return summary


# CORDIS's own files disagree on a handful of rows (a participation whose organisation or
# project is missing); more than this share, and more than MISSING_ALLOWED rows, means a file
# was cut short at a line end or comes from another download, and nothing is imported.
MAX_MISSING_SHARE = 0.01
MISSING_ALLOWED = 20


def _too_many(count: int, total: int) -> bool:
    return count > MISSING_ALLOWED and count > MAX_MISSING_SHARE * total


def inconsistencies(
    layout: Layout,
    *,
    organisations: set[str],
    participations: Participations,
    missing_projects: int,
) -> list[str]:
    """What the CORDIS files lack of each other beyond MAX_MISSING_SHARE, one sentence a file.

    `participations` holds the rows whose project the projects file has; `missing_projects`
    counts the others.
    """
    problems = []
    total = missing_projects + sum(len(rows) for rows in participations.values())
    if _too_many(missing_projects, total):
        problems.append(
            f"{missing_projects:,} of the {total:,} rows of {layout.participations} "
            f"({missing_projects / total:.1%}) name a project that {layout.projects} lacks: "
            f"{layout.projects} looks cut short, or the files come from different downloads."
        )
    if layout.download:
        # Its organisations are read from its participations: neither can lack the other.
        return problems
    absent = [key for key in participations if key not in organisations]
    orphans = sum(len(participations[key]) for key in absent)
    if _too_many(orphans, total):
        problems.append(
            f"{orphans:,} of the {total:,} rows of {layout.participations} "
            f"({orphans / total:.1%}) name one of {len(absent):,} organisations that "
            f"{layout.organisations} lacks: {layout.organisations} looks cut short, or the "
            "files come from different downloads."
        )
    idle = sum(1 for key in organisations if key not in participations)
    if not problems and _too_many(idle, len(organisations)):
        # Every organisation in CORDIS's files comes from a participation: many without one
        # means participations.csv lost rows (unless projects.csv did, said above).
        problems.append(
            f"{idle:,} of the {len(organisations):,} organisations in {layout.organisations} "
            f"({idle / len(organisations):.1%}) take part in no project of "
            f"{layout.participations}: {layout.participations} looks cut short, or the files "
            "come from different downloads."
        )
    return problems


# Rejected rows by file, in the order each layout's files are listed (DOWNLOAD has one file
# for organisations and participations).
_FILE_ORDER = {
    name: index for layout in (FOUR_FILES, DOWNLOAD) for index, name in enumerate(layout[:4])
}


def _rejected_order(rejected: Rejected) -> tuple[int, str, int]:
    return (_FILE_ORDER.get(rejected.file, 9), rejected.file, rejected.line or rejected.item or 0)


# --------------------------------------------------------------------------------------------
# Calls


def import_calls(
    engine: Engine,
    source: Path | str,
    *,
    client: httpx.Client | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportSummary:
    """Create or update calls by identifier from a CORDIS topics CSV, a JSON list of calls, or
    a page of the Funding & Tenders Portal's topic search results (`importers/portal.py`).

    `source` is a path or an http(s) URL (fetched with `client`, or a new httpx client).
    A JSON list holds CallCreate-shaped objects; the format is told by the file name, the
    Content-Type, or the first character. Only the fields a source gives are updated.
    Calls created or reopened that are not closed on `today` (default: the date) are announced
    to saved searches (`_write_calls`); a call merely changed is not announced again.
    """
    summary = ImportSummary("calls")
    day = today or utc_today()
    with open_source(source, client) as (name, stream, size, is_json):
        if is_json:
            _write_call_batches(
                engine,
                _calls_from_json(name, json_items(name, stream, portal=True), summary),
                summary,
                batch_size,
                today=day,
            )
        else:
            with read_csv(
                stream, name=name, required=("topic", "topicTitle"), progress=progress, size=size
            ) as rows:
                _write_call_batches(
                    engine, _calls_from_topics(name, rows, summary), summary, batch_size, today=day
                )
            summary.rejected.extend(rows.rejected)
    summary.rejected.sort(key=_rejected_order)
    return summary


def _write_call_batches(
    engine: Engine,
    candidates: Iterable[tuple[CallCreate, Rejected]],
    summary: ImportSummary,
    batch_size: int,
    *,
    today: date,
) -> None:
    batch: list[tuple[CallCreate, Rejected]] = []
    for candidate in candidates:
        batch.append(candidate)
        if len(batch) >= batch_size:
            _write_calls(engine, batch, summary, today=today)
            batch = []
    _write_calls(engine, batch, summary, today=today)


def _checked_call(
    fields: Mapping[str, Any],
    where: Rejected,
    *,
    summary: ImportSummary,
    first: dict[str, Rejected],
) -> tuple[CallCreate, Rejected] | None:
    identifier = fields.get("identifier")
    if isinstance(identifier, str) and identifier.strip():
        summary.listed.add(identifier.strip().upper())
    try:
        data = CallCreate.model_validate(fields)
        check_call_rules(data.model_dump())
    except ValidationError as error:
        summary.rejected.append(
            replace(where, reason=validation_reason(error), kind=validation_kind(error))
        )
        return None
    except InvalidInput as error:
        summary.rejected.append(replace(where, reason=f"{error.field}: {error.detail}"))
        return None
    earlier = first.get(data.identifier)
    if earlier is not None:
        place = f"line {earlier.line}" if earlier.line is not None else f"item {earlier.item}"
        summary.rejected.append(
            replace(
                where,
                reason=f"identifier {data.identifier} appears again (first on {place})",
                kind="identifier appears again",
            )
        )
        return None
    first[data.identifier] = where
    return data, where


def _calls_from_topics(
    name: str, rows: Iterable[tuple[int, dict[str, str]]], summary: ImportSummary
) -> Iterator[tuple[CallCreate, Rejected]]:
    first: dict[str, Rejected] = {}
    for line, row in rows:
        where = Rejected(name, "", line=line)
        if not row["topic"].strip():
            summary.rejected.append(replace(where, reason="topic is empty"))
            continue
        try:
            fields = call_from_topic(row)
        except ValueError as error:
            summary.rejected.append(replace(where, reason=str(error)))
            continue
        checked = _checked_call(fields, where, summary=summary, first=first)
        if checked is not None:
            yield checked


def _calls_from_json(
    name: str, items: list[Any], summary: ImportSummary
) -> Iterator[tuple[CallCreate, Rejected]]:
    first: dict[str, Rejected] = {}
    for index, item in enumerate(items, start=1):
        where = Rejected(name, "", item=index)
        if not isinstance(item, dict):
            summary.rejected.append(replace(where, reason="not a JSON object"))
            continue
        checked = _checked_call(item, where, summary=summary, first=first)
        if checked is not None:
            yield checked


# --------------------------------------------------------------------------------------------
# Profiles from JSON


def import_organisations_json(
    engine: Engine,
    source: Path | str,
    *,
    client: httpx.Client | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Create or update profiles from a JSON list of OrganisationCreate objects + external_id.

    external_id is required: it is the key that makes a second run update, not duplicate.
    """
    summary = ImportSummary("organisations")
    with open_source(source, client) as (name, stream, _, _):
        items = json_items(name, stream)
    first: dict[str, int] = {}
    batch: list[tuple[str, OrganisationCreate]] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            summary.rejected.append(Rejected(name, "not a JSON object", item=index))
            continue
        fields = dict(item)
        external_id = fields.pop("external_id", None)
        if not isinstance(external_id, str) or not 1 <= len(external_id.strip()) <= 64:
            summary.rejected.append(
                Rejected(
                    name, "external_id: a string of 1 to 64 characters is required", item=index
                )
            )
            continue
        external_id = external_id.strip()
        if external_id in first:
            summary.rejected.append(
                Rejected(
                    name,
                    f"external_id {external_id} appears again (first on item {first[external_id]})",
                    item=index,
                )
            )
            continue
        first[external_id] = index
        try:
            data = OrganisationCreate.model_validate(fields)
        except ValidationError as error:
            summary.rejected.append(
                Rejected(name, validation_reason(error), item=index, kind=validation_kind(error))
            )
            continue
        batch.append((external_id, data))
        if len(batch) >= batch_size:
            _write_organisations(engine, batch, summary)
            batch = []
    _write_organisations(engine, batch, summary)
    return summary
