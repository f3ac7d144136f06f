"""Saved searches: stored per organisation, and matched all at once against a new item.

An organisation saves what it watches (calls, organisations or partner requests), a text or,
for calls, its own profile as the query, filters and a relevance threshold; at most
`MATCHMAKER_MAX_SAVED_SEARCHES` each.

An item's relevance to a saved search is the cosine of their two texts (the search's text, or
the profile text of its organisation as matching reads it), each weighed over all its own terms
(`weigh`): 1 + log of a term's count, times the weight call-frequency gives it (the table
shipped with the package, `matchmaker.matching.call_terms`: the wording every call shares weighs
least). Those weights are fixed, so a search's relevance for an item depends on the two texts
alone, never on what other organisations saved, and a long item that names a search's words
once among many others scores less than one about them.

`SearchIndex` answers "which saved searches does this new item fit?" with one query, however
many searches there are: the searches of one target are the rows of a sparse matrix over their
terms, and one product with the item's vector gives every search's relevance. The filters are
boolean masks built once per index (one per stakeholder type, country and programme named by
some search), so a new item costs a few numpy operations over the arrays, never a Python loop
over the searches.

What an item is, to a saved search (its text and what the filters read of it), is said once per
kind (`call_item`, `organisation_item`, `partner_request_item`): the notification pass matches
a new item so, and the saved-searches page (`matchmaker.partnering.finds`) the items there now.
"""

import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_organisation
from matchmaker.consortium.proposals import effective_requirements
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.matching.analyzer import DOMAIN_STOP_WORDS, counter
from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.text import call_text, organisation_text
from matchmaker.organisations import get_organisation
from matchmaker.partnering.ranking import partner_request_text
from matchmaker.repository import ExpectedVersion, check_unversioned, paginate, stored_id
from models.call import Call
from models.change import Change
from models.organisation import Organisation
from models.partnering import PartnerRequest
from models.saved_search import SavedSearch, SavedSearchCreate, SearchTarget

# What makes two saved searches the same: they would notify the same items.
_SEARCH_FIELDS = (
    "target",
    "text",
    "fits_profile",
    "stakeholder_types",
    "countries",
    "programme",
    "threshold",
)


def _same_search(session: Session, search: SavedSearch) -> int | None:
    """The id of the organisation's saved search that is this one (text alike but for case)."""
    for other in session.scalars(
        select(SavedSearch).where(col(SavedSearch.organisation_id) == search.organisation_id)
    ):
        if other.text.casefold() == search.text.casefold() and all(
            getattr(other, name) == getattr(search, name)
            for name in _SEARCH_FIELDS
            if name != "text"
        ):
            return other.id
    return None


def create_saved_search(
    session: Session,
    *,
    organisation_id: int,
    data: SavedSearchCreate,
    actor: Principal | None,
    max_searches: int,
) -> SavedSearch:
    """Save a search for an organisation (its key or an admin), at most `max_searches` each."""
    require_organisation(actor, organisation_id)
    if data.fits_profile and data.target != SearchTarget.calls:
        raise InvalidInput(
            "fits_profile only applies to calls: your profile is matched against new calls.",
            field="fits_profile",
        )
    if data.fits_profile and data.text.strip():
        raise InvalidInput(
            "With fits_profile your profile is the query: leave text empty.", field="text"
        )
    if not data.fits_profile and not data.text.strip():
        raise InvalidInput("Say what you look for in text (or set fits_profile).", field="text")
    if data.target == SearchTarget.calls and data.countries:
        raise InvalidInput("Calls have no country: leave countries empty.", field="countries")
    if data.target == SearchTarget.organisations and data.programme is not None:
        raise InvalidInput(
            "Organisations have no programme: leave programme unset.", field="programme"
        )
    # Locked, so that two concurrent saves cannot both pass the count below.
    get_organisation(session, organisation_id=organisation_id, for_update=True)
    count = session.scalar(
        select(func.count())
        .select_from(SavedSearch)
        .where(col(SavedSearch.organisation_id) == organisation_id)
    )
    if (count or 0) >= max_searches:
        raise Conflict(
            f"An organisation has at most {max_searches} saved searches; delete one to add another."
        )
    search = SavedSearch(
        organisation_id=organisation_id,
        target=data.target.value,
        text=data.text.strip(),
        fits_profile=data.fits_profile,
        stakeholder_types=sorted({str(kind) for kind in data.stakeholder_types}),
        countries=sorted(set(data.countries)),
        programme=data.programme,
        threshold=data.threshold,
    )
    if same := _same_search(session, search):
        raise Conflict(
            f"Your organisation already saves this search (saved search {same}): each item "
            "would be notified twice."
        )
    session.add(search)
    session.flush()
    return search


def list_saved_searches(
    session: Session, *, organisation_id: int, actor: Principal | None, limit: int, offset: int
) -> tuple[list[SavedSearch], int]:
    """One page of an organisation's saved searches, oldest first (its key or an admin)."""
    require_organisation(actor, organisation_id)
    get_organisation(session, organisation_id=organisation_id)
    statement = (
        select(SavedSearch)
        .where(col(SavedSearch.organisation_id) == organisation_id)
        .order_by(col(SavedSearch.id))
    )
    return paginate(session, statement, limit=limit, offset=offset)


def get_saved_search(
    session: Session, *, organisation_id: int, search_id: int, actor: Principal | None
) -> SavedSearch:
    """One of an organisation's saved searches (its key or an admin); NotFound for another
    organisation's, as for a missing one."""
    require_organisation(actor, organisation_id)
    get_organisation(session, organisation_id=organisation_id)
    search = session.get(SavedSearch, search_id)
    if search is None or search.organisation_id != organisation_id:
        raise NotFound(f"The organisation has no saved search {search_id}.")
    return search


def delete_saved_search(
    session: Session,
    *,
    organisation_id: int,
    search_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete one of an organisation's saved searches; nothing more is notified for it."""
    search = get_saved_search(
        session, organisation_id=organisation_id, search_id=search_id, actor=actor
    )
    check_unversioned(expected_version)
    session.delete(search)
    session.flush()


@dataclass(frozen=True, slots=True)
class Item:
    """A call, organisation or partner request as saved searches match it: its text, and the
    values their filters read (None: any filter passes)."""

    text: str
    stakeholder_types: Collection[str] | None = None
    country: str | None = None
    programme: str | None = None
    exclude_organisation: int | None = None


def call_item(call: Call) -> Item:
    """A call: its text, the stakeholder types it requires and its programme."""
    required = list(effective_requirements(call).required_stakeholders)
    return Item(call_text(call), stakeholder_types=required, programme=call.programme)


def organisation_item(organisation: Organisation) -> Item:
    """A profile: its text, type and country; never its own organisation's searches."""
    return Item(
        organisation_text(organisation),
        stakeholder_types=[organisation.stakeholder_type],
        country=organisation.country,
        exclude_organisation=organisation.id,
    )


def partner_request_item(request: PartnerRequest, call: Call, publisher: Organisation) -> Item:
    """A partner request: its text, the types it seeks, its publisher's country and its call's
    programme; never its publisher's searches."""
    return Item(
        partner_request_text(request, call),
        stakeholder_types=request.stakeholder_types,
        country=publisher.country,
        programme=call.programme,
        exclude_organisation=publisher.id,
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """A saved search a new item fits, with the item's relevance to it."""

    search_id: int
    organisation_id: int
    score: float


def _masks(values: list[list[str]], n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which searches set no value, and for each value named, which searches name it."""
    unconstrained = np.fromiter((not row for row in values), dtype=bool, count=n)
    masks: dict[str, np.ndarray] = {}
    for index, row in enumerate(values):
        for value in row:
            masks.setdefault(value, np.zeros(n, dtype=bool))[index] = True
    return unconstrained, masks


@dataclass(frozen=True, slots=True)
class _Filter:
    unconstrained: np.ndarray
    masks: dict[str, np.ndarray]

    def allows(self, values: Iterable[str] | None) -> np.ndarray:
        """The searches an item with these values passes (all of them for None)."""
        if values is None:
            return np.ones(self.unconstrained.size, dtype=bool)
        allowed = self.unconstrained.copy()
        for value in values:
            mask = self.masks.get(value)
            if mask is not None:
                allowed |= mask
        return allowed


@cache
def _analyzer() -> Callable[[str], list[str]]:
    """The terms of a text as the text indexes make them: words and two-word phrases, stemmed."""
    return counter((1, 2), DOMAIN_STOP_WORDS).build_analyzer()


def weigh(text: str, calls: CallTerms | None = None) -> dict[str, float]:
    """A text's terms and their weights, of length 1 over all of them: 1 + log of each term's
    count times its call-frequency weight from `calls` (by default the shipped table; a term no
    counted call uses weighs most). Empty when the text has no term (stop words only)."""
    counts = Counter(_analyzer()(text))
    if not counts:
        return {}
    terms = list(counts)
    frequency = np.fromiter(counts.values(), dtype=np.float64, count=len(terms))
    rarity = (calls or CallTerms.shipped()).weights(terms, len(terms))
    weights = (1 + np.log(frequency)) * (1.0 if rarity is None else rarity)
    weights /= np.linalg.norm(weights)
    return dict(zip(terms, weights.tolist(), strict=True))


def relevance(
    search_text: str, item: str | dict[str, float], calls: CallTerms | None = None
) -> float:
    """An item's relevance to a search: the cosine of their `weigh`ed texts, 0 to 1 (the item's
    text, or its weights already made)."""
    if isinstance(item, str):
        item = weigh(item, calls)
    weights = weigh(search_text, calls)
    shared = sum(weight * item.get(term, 0.0) for term, weight in weights.items())
    return min(1.0, shared)


class SearchIndex:
    """The saved searches of one target, indexed to be matched against one new item at once."""

    def __init__(
        self, searches: list[SavedSearch], texts: list[str], calls: CallTerms | None = None
    ) -> None:
        n = len(searches)
        self._calls = calls
        self.ids = np.fromiter((search.id or 0 for search in searches), dtype=np.int64, count=n)
        self.owners = np.fromiter(
            (search.organisation_id for search in searches), dtype=np.int64, count=n
        )
        self.thresholds = np.fromiter(
            (search.threshold for search in searches), dtype=np.float64, count=n
        )
        self._types = _Filter(*_masks([search.stakeholder_types for search in searches], n))
        self._countries = _Filter(*_masks([search.countries for search in searches], n))
        programmes = [
            [search.programme.casefold()] if search.programme else [] for search in searches
        ]
        self._programmes = _Filter(*_masks(programmes, n))
        # Each search's weighed terms, a row each, over the terms any search uses.
        self._columns: dict[str, int] = {}
        rows, columns, values = [], [], []
        for row, text in enumerate(texts):
            for term, weight in weigh(text, calls).items():
                rows.append(row)
                columns.append(self._columns.setdefault(term, len(self._columns)))
                values.append(weight)
        self._searches = sp.csr_matrix(
            (values, (rows, columns)), shape=(n, len(self._columns)), dtype=np.float64
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def match_item(self, item: Item) -> list[Hit]:
        """The searches the item fits, best first (`match`)."""
        return self.match(
            item.text,
            stakeholder_types=item.stakeholder_types,
            country=item.country,
            programme=item.programme,
            exclude_organisation=item.exclude_organisation,
        )

    def match(
        self,
        text: str,
        *,
        stakeholder_types: Collection[str] | None = None,
        country: str | None = None,
        programme: str | None = None,
        exclude_organisation: int | None = None,
    ) -> list[Hit]:
        """The searches the item fits, best first: its filters pass, it shares a term with the
        search, and its cosine reaches the search's threshold. None for a filter: any passes;
        an empty `stakeholder_types` also passes any (the item asks for no type)."""
        shared = [
            (column, weight)
            for term, weight in weigh(text, self._calls).items()
            if (column := self._columns.get(term)) is not None
        ]
        if not shared:
            return []
        columns, weights = zip(*shared, strict=True)
        item = np.zeros(len(self._columns), dtype=np.float64)
        item[list(columns)] = weights
        scores = np.minimum(self._searches @ item, 1.0)
        fits = (scores > 0) & (scores >= self.thresholds)
        fits &= self._types.allows(stakeholder_types or None)
        fits &= self._countries.allows(None if country is None else [country])
        fits &= self._programmes.allows([programme.casefold()] if programme else [])
        if exclude_organisation is not None:
            fits &= self.owners != exclude_organisation
        (rows,) = np.nonzero(fits)
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return [Hit(int(self.ids[row]), int(self.owners[row]), float(scores[row])) for row in rows]


# The stored calls' counts `stored_calls` keeps, by database (`_StoredCalls`).
_counted: dict[str, "_StoredCalls"] = {}
_counting_lock = threading.Lock()
# The indexes `current_index` keeps, by database and target, with the state they were built at.
_kept: dict[tuple[str, str], tuple[tuple[int, int, int], SearchIndex]] = {}
_kept_lock = threading.Lock()
# Calls read at once when their terms are counted.
_CALLS_READ = 500


def call_counts(texts: Iterable[str]) -> CallTerms:
    """The shipped table's counts and those of these call texts, together."""
    return CallTerms.shipped() + CallTerms.count(texts, _analyzer())


@dataclass(slots=True)
class _StoredCalls:
    """One database's stored calls, each call's terms kept (as columns of `columns`) with the
    version it had, so that a change analyses only the calls it wrote, not all of them."""

    state: tuple[int, int] = (-1, -1)
    terms: CallTerms = field(default_factory=CallTerms.shipped)
    columns: dict[str, int] = field(default_factory=dict)
    calls: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)

    def update(self, session: Session, state: tuple[int, int]) -> None:
        """Bring the counts to the stored calls: the new and changed ones analysed, the
        deleted ones dropped."""
        versions = {
            call_id: version
            for call_id, version in session.execute(select(col(Call.id), col(Call.version)))
        }
        for gone in self.calls.keys() - versions.keys():
            del self.calls[gone]
        changed = [
            call_id
            for call_id, version in versions.items()
            if call_id not in self.calls or self.calls[call_id][0] != version
        ]
        columns = self.columns
        for start in range(0, len(changed), _CALLS_READ):
            chunk = changed[start : start + _CALLS_READ]
            for call in session.scalars(select(Call).where(col(Call.id).in_(chunk))):
                terms = set(_analyzer()(call_text(call)))
                used = np.fromiter(
                    (columns.setdefault(term, len(columns)) for term in terms),
                    dtype=np.int32,
                    count=len(terms),
                )
                self.calls[stored_id(call)] = (call.version, used)
        used_by = np.bincount(
            np.concatenate([used for _, used in self.calls.values()] or [np.zeros(0, np.int32)]),
            minlength=len(columns),
        )
        names = list(columns)
        frequencies = {names[column]: int(used_by[column]) for column in np.flatnonzero(used_by)}
        self.terms = CallTerms.shipped() + CallTerms(len(self.calls), frequencies)
        self.state = state


def stored_calls(session: Session) -> CallTerms:
    """The call-frequency counts relevance weighs terms by: the table shipped with the package
    and the calls the service stores, as the matching index counts them (a deployment whose
    calls all speak of patients weighs "patient" as the wording it shares). Brought up to date
    only once a call is stored, changed or deleted (the state is the calls' count and the
    change log's latest row about a call), and then only the calls written are analysed again
    (each call's terms are kept with its version)."""
    calls, latest = session.execute(
        select(
            select(func.count()).select_from(Call).scalar_subquery(),
            select(func.max(col(Change.id))).where(col(Change.entity) == "call").scalar_subquery(),
        )
    ).one()
    state = (int(calls), int(latest or 0))
    key = str(session.get_bind().engine.url)
    with _counting_lock:
        counted = _counted.setdefault(key, _StoredCalls())
        if counted.state != state:
            counted.update(session, state)
        return counted.terms


def current_index(session: Session, *, target: SearchTarget) -> SearchIndex:
    """`build_index`, kept until one of the target's saved searches is saved or deleted or a
    profile changes (a search of "calls that fit our profile" reads its organisation's text):
    a page that shows what searches find does not index every search again per request.

    The state is the searches' count and the sum of their ids (ids are never handed out twice,
    so any other set changes it) and the change log's latest row (a profile or a call, whose
    text the weights count)."""
    count, id_sum = session.execute(
        select(func.count(), func.coalesce(func.sum(col(SavedSearch.id)), 0)).where(
            col(SavedSearch.target) == target.value
        )
    ).one()
    latest_change = session.scalar(select(func.max(col(Change.id)))) or 0
    state = (int(count), int(id_sum), int(latest_change))
    key = (str(session.get_bind().engine.url), target.value)
    kept = _kept.get(key)
    if kept is not None and kept[0] == state:
        return kept[1]
    index = build_index(session, target=target)
    with _kept_lock:
        _kept[key] = (state, index)
    return index


def build_index(session: Session, *, target: SearchTarget) -> SearchIndex:
    """Index every saved search of a target (profile searches by their organisation's text),
    its terms weighed by the shipped and the stored calls (`stored_calls`)."""
    rows = session.execute(
        select(SavedSearch, Organisation)
        .join(Organisation, col(Organisation.id) == col(SavedSearch.organisation_id))
        .where(col(SavedSearch.target) == target.value)
        .order_by(col(SavedSearch.id))
    ).all()
    searches = [search for search, _ in rows]
    texts = [
        organisation_text(organisation) if search.fits_profile else search.text
        for search, organisation in rows
    ]
    return SearchIndex(searches, texts, stored_calls(session))
