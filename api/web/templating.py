"""Jinja2 templates for the web pages: shared filters and the headers every page carries."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matchmaker.consortium.proposals import verified_only_types
from matchmaker.countries import COUNTRY_GROUPS, country_name
from matchmaker.importers.cordis import CORDIS_FIELDS
from matchmaker.trust.merging import FILLED_FROM_ABSORBED
from matchmaker.wording import (
    CLOSE_FIT,
    PROFILE_FIELD_NOUNS,
    PROJECT_ROLE_LABELS,
    STAKEHOLDER_LABELS,
    and_list,
    close_fit,
    member_role_label,
    percent,
    plural,
    possessive,
    say_age,
    say_date,
    say_moment,
    stakeholder_label,
    stakeholder_noun,
)
from models.common import StakeholderType, as_utc

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
STATIC_URL = "/ui/static"

# Scripts and styles come only from this origin and never inline, so markup that slipped
# through escaping still cannot run; the organisation key in sessionStorage stays out of reach.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# Fragments and downloads that show a private draft must not linger in any cache.
PRIVATE_HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}


def fills_label(fills: str) -> str:
    """What a proposed member is there for, in words."""
    if fills in {item.value for item in StakeholderType}:
        return stakeholder_label(fills)
    return fills.capitalize()


def fitting_none(suggestions: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ranked suggestions (as `pages.shown_suggestions` gives them) list only
    organisations that share no term with what they were ranked for: filtered by a type, the
    ranking lists every organisation of it, those sharing no term last, so its first then
    shares none."""
    return bool(suggestions) and not suggestions[0]["terms"]


def moment(value: datetime) -> str:
    """A stored moment as the page's script compares it: in UTC, to the microsecond, and of
    one width ("2026-12-05T09:30:00.000000Z"), so that two compare as text."""
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def possessive_markup(name: str) -> markupsafe.Markup:
    """A name's possessive for a page: the name escaped, its apostrophe written as it reads
    (autoescaping would write "&#39;")."""
    owner = possessive(name)
    if owner.endswith("'s"):
        return markupsafe.escape(owner[:-2]) + markupsafe.Markup("'s")
    return markupsafe.escape(owner[:-1]) + markupsafe.Markup("'")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["stakeholder"] = stakeholder_label
    environment.filters["country"] = country_name
    environment.filters["fills"] = fills_label
    environment.filters["member_role"] = member_role_label
    environment.filters["stakeholder_noun"] = stakeholder_noun
    environment.filters["percent"] = percent
    environment.filters["day"] = say_date
    environment.filters["moment"] = moment
    environment.filters["and_list"] = and_list
    environment.filters["possessive"] = possessive_markup
    environment.tests["close_fit"] = close_fit
    environment.tests["fitting_none"] = fitting_none
    environment.globals["close_fit_line"] = percent(CLOSE_FIT)
    environment.globals["plural"] = plural
    environment.globals["say_moment"] = say_moment
    environment.globals["say_age"] = say_age
    environment.globals["verified_only_types"] = verified_only_types
    environment.globals["static_url"] = STATIC_URL
    environment.globals["stakeholder_types"] = [
        (item.value, STAKEHOLDER_LABELS[item]) for item in StakeholderType
    ]
    environment.globals["country_groups"] = COUNTRY_GROUPS
    # The fields a merge fills where the profile kept leaves them empty, as its question lists them.
    environment.globals["merge_fills"] = and_list(list(FILLED_FROM_ABSORBED.values()))
    # A profile's fields as named, and those a CORDIS import updates unless they are kept.
    environment.globals["profile_fields"] = PROFILE_FIELD_NOUNS
    environment.globals["cordis_fields"] = CORDIS_FIELDS
    # Why a profile looks like another (a PossibleDuplicate's reasons), in words.
    environment.globals["duplicate_reasons"] = {
        "website": "the same website",
        "name": "a near-identical name in the same country",
        "external_id": "the same external id",
    }
    environment.globals["project_roles"] = [
        (role.value, label) for role, label in PROJECT_ROLE_LABELS.items()
    ]
    return environment


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    private: bool = False,
) -> HTMLResponse:
    """Render a template with the security headers every page sends."""
    return templates.TemplateResponse(
        request,
        name,
        dict(context or {}),
        status_code=status_code,
        headers=PRIVATE_HEADERS if private else PAGE_HEADERS,
    )
