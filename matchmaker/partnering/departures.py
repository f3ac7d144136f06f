"""Telling draft owners that a member organisation deleted its profile and left their drafts.

Deleting a profile deletes its memberships (`matchmaker.organisations.delete_organisation`):
each other organisation's draft it was in loses a member. The owner of those drafts gets one
notification (event `draft_member_left`) naming them (the first ten; more are counted),
written in the transaction of the delete, so a delete refused or rolled back tells nobody.
The drafts themselves keep that it left, beside this notice
(`matchmaker.consortium.drafts.record_departures`), so an owner who missed it reads it there.
For each draft it says what the call requires that the draft now lacks, if the departure
opened such a gap (`consortium.gaps.gaps_opened`), and links the draft's page, which lists
who could fill it.

The message holds the deleted organisation's name (public while it had a profile) and nothing
else of it: no contact address, no description, no id in `about`. It is not "about" the
deleted organisation (`OutboxMessage.about_organisation_id`), which would delete it with the
profile. Its own drafts go with it, and it is told nothing.
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.consortium.drafts import members_by_draft
from matchmaker.consortium.gaps import gaps_opened
from matchmaker.partnering.outbox import Event, add_messages, outbox_message, web_page
from matchmaker.repository import stored_id
from matchmaker.wording import and_list, plural, quoted
from models.call import Call
from models.consortium import Consortium
from models.organisation import Organisation
from models.partnering import AboutIds, OutboxMessage

# Drafts a notice names and lists one by one (the others are counted), so that an owner of
# many drafts the organisation was in gets a message the outbox takes (its text is at most
# 20,000 characters), and the delete never fails for its length.
DRAFTS_SHOWN = 10
# Drafts the subject names; past that it counts them.
SUBJECT_NAMES = 3


def _draft_line(draft: Consortium, call: Call, lacks: list[str], *, base_url: str) -> str:
    """One draft of the message: its call, what it now lacks of the call's requirements, and
    its page."""
    page = web_page(base_url, f"/consortia/{draft.id}")
    named = f"Your draft {quoted(draft.name)}, for the call {call.identifier}, {call.title}"
    if not lacks:
        return f"{named}: {page}"
    return f"{named}, now lacks {and_list(lacks)}, which the call requires: {page}"


def departure_message(
    organisation: Organisation,
    drafts: Sequence[tuple[Consortium, Call, list[str]]],
    *,
    base_url: str,
) -> OutboxMessage:
    """The notification telling the owner of `drafts` (its drafts the organisation was in,
    each with its call and what it now lacks) that the organisation left them: the first
    DRAFTS_SHOWN named and listed, the others counted, with a link to all the owner's drafts."""
    first, first_call, _ = drafts[0]
    shown, others = drafts[:DRAFTS_SHOWN], len(drafts) - DRAFTS_SHOWN
    names = [quoted(draft.name) for draft, _, _ in shown]
    if others > 0:
        names.append(plural(others, "other draft"))
    word = "draft" if len(drafts) == 1 else "drafts"
    lines = [_draft_line(draft, call, lacks, base_url=base_url) for draft, call, lacks in shown]
    if others > 0:
        lines.append(f"All your drafts: {web_page(base_url, '/drafts')}")
    subject = (
        f"{organisation.name} left your {word} {and_list(names)}"
        if len(drafts) <= SUBJECT_NAMES
        else f"{organisation.name} left {len(drafts)} of your drafts"
    )
    return outbox_message(
        organisation_id=first.owner_organisation_id,
        event=Event.draft_member_left,
        subject=subject,
        body=(
            f"{organisation.name} deleted its profile and left your {word} "
            f"{and_list(names)}.\n\n"
            + "\n".join(lines)
            + "\n\nEach draft's page lists the organisations that could take its place.\n"
        ),
        ids=AboutIds(consortium_id=stored_id(first), call_id=stored_id(first_call)),
    )


def announce_departure(
    session: Session,
    *,
    organisation: Organisation,
    drafts: Sequence[Consortium],
    base_url: str,
) -> list[OutboxMessage]:
    """Before the organisation's profile is deleted, in that transaction: tell the owner of
    each of `drafts` (other organisations' drafts it is a member of) that it left them, one
    message per owner naming that owner's drafts in id order (`departure_message`)."""
    others = [draft for draft in drafts if draft.owner_organisation_id != organisation.id]
    if not others:
        return []
    members = members_by_draft(session, [stored_id(draft) for draft in others])
    calls = {
        stored_id(call): call
        for call in session.scalars(
            select(Call).where(col(Call.id).in_({draft.call_id for draft in others}))
        )
    }
    by_owner: dict[int, list[tuple[Consortium, Call, list[str]]]] = {}
    for draft in sorted(others, key=lambda draft: stored_id(draft)):
        call = calls[draft.call_id]
        lacks = gaps_opened(
            call, members.get(stored_id(draft), []), leaving=stored_id(organisation)
        )
        by_owner.setdefault(draft.owner_organisation_id, []).append((draft, call, lacks))
    messages = [
        departure_message(organisation, owned, base_url=base_url)
        for _, owned in sorted(by_owner.items())
    ]
    return add_messages(session, messages)
