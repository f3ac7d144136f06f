"""The administrator's page of country statuses: which countries are EU Member States,
Associated Countries and the rest under the programme rules, by name, with what each status
means and from and until when; and the form that gives a country a new status.

The page is public HTML; the table (a fragment) and the form need an administrator's key,
which only the page's script holds, so the form posts to the JSON API (`POST
/admin/country-statuses`) with it and shows the API's own problems beside its fields. A new row
never changes an old one: it takes over from its start date (`matchmaker/country_statuses.py`).
"""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ActorDep, SessionDep
from api.web.pages import Text, valid_country
from api.web.templating import render
from matchmaker import rules
from matchmaker.auth import require_role
from matchmaker.countries import country_name, name_order
from matchmaker.country_statuses import PART_WORDS, STATUS_WORDS
from models.common import utc_today
from models.rules import CountryStatusPublic

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class StatusLine:
    """A row of the table as the page lists it: its country's name, the parts it covers in
    words, and where it stands today (`in-force`, `future`, `ended` or `replaced`: its dates
    hold today but a later-starting row took over)."""

    row: CountryStatusPublic
    name: str
    covers: str
    now: str


def covers(row: CountryStatusPublic) -> str:
    """The parts a row covers, in words: "The whole programme except the EIC Fund ..."."""
    parts = [PART_WORDS[part] for part in row.parts]
    said = "; ".join(parts)
    if row.except_parts:
        left_out = "; ".join(PART_WORDS[part] for part in row.except_parts)
        said += f", except {left_out[0].lower()}{left_out[1:]}"
    return said


@router.get("/ui/admin/country-statuses")
def list_country_statuses_page(
    request: Request, country: Text = "", show: Text = ""
) -> HTMLResponse:
    """Where an administrator reads each country's status under the programme rules and gives
    one a new status (the table and the form need an admin's key); `country` (a code) chooses
    the form's country, `show` (a code) the one country whose rows the table lists."""
    return render(
        request,
        "admin_country_statuses.html",
        {
            "country": valid_country(country.strip()),
            "show": valid_country(show.strip()),
            "status_words": STATUS_WORDS,
            "part_words": PART_WORDS,
        },
    )


@router.get("/ui/admin/country-statuses/panel")
def read_country_statuses_panel(
    request: Request, session: SessionDep, actor: ActorDep, country: Text = ""
) -> HTMLResponse:
    """A fragment: every row of the country-status table, shipped and added, by country name,
    then start date (an admin's key); only one country's with `country` (a code)."""
    require_role(actor, ())
    today = utc_today()
    only = valid_country(country.strip())
    lines = []
    for row, decides in rules.table_rows_on(session, on=today):
        if only and row.country != only:
            continue
        if decides:
            now = "in-force"
        elif row.valid_from > today:
            now = "future"
        elif row.valid_to is not None and row.valid_to < today:
            now = "ended"
        else:
            now = "replaced"
        lines.append(
            StatusLine(row=row, name=country_name(row.country), covers=covers(row), now=now)
        )
    lines.sort(key=lambda line: (name_order(line.name), line.row.valid_from))
    return render(
        request,
        "_country_statuses_panel.html",
        {
            "lines": lines,
            "countries": len({line.row.country for line in lines}),
            "only": country_name(only) if only else "",
            "status_words": STATUS_WORDS,
            "today": today,
        },
        private=True,
    )
