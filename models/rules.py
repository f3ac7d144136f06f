"""Country statuses admins add after a release (the shipped ones are in the package)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from models import examples as ex
from models.common import IDS_NEVER_REUSED, CountryCode, IsoDate, UtcDatetime, line, utc_now

Part = Literal["all", "pillar-1", "pillar-2", "pillar-3", "widening", "eic-fund"]
# The values of matchmaker.country_statuses.CountryStatus, which models cannot import.
Status = Literal["member_state", "associated", "funding_eligible", "non_associated", "excluded"]


class CountryStatusRow(SQLModel, table=True):
    """A status row added by an admin; rows are never changed or deleted, only superseded."""

    __tablename__ = "country_status_rows"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2, index=True)
    programme: str = Field(max_length=40)
    status: str = Field(max_length=20)
    parts: str = Field(default="all", max_length=200)  # ";"-separated
    except_parts: str = Field(default="", max_length=200)
    valid_from: date
    valid_to: date | None = Field(default=None)
    source: str = Field(max_length=500)
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


# What each field of a country-status row means, shared by the schemas that show it.
COUNTRY_STATUS_FIELDS: dict[str, str] = {
    "country": "The country, as an ISO 3166-1 alpha-2 code such as MA (XK: Kosovo); given in "
    "any case, stored upper-case.",
    "programme": "The programme the status is in: `horizon-europe` (IHI calls use it too).",
    "status": "`member_state` (an EU Member State), `associated` (an Associated Country: counts "
    "like a Member State towards the consortium rule and is eligible for funding), "
    "`funding_eligible` (not associated, so it does not count towards the consortium rule, but "
    "its entities are automatically eligible for funding: the low- and middle-income countries "
    "the General Annexes list), `non_associated` (may take part but is not automatically "
    "eligible for funding; the same as having no row) or `excluded` (its entities may not take "
    "part in any capacity: Russia and Belarus for calls with a deadline after 10 May 2022).",
    "parts": "The programme parts the row covers: `all`, or some of `pillar-1`, `pillar-2`, "
    "`pillar-3`, `widening` and `eic-fund`. A call with no part counts only rows for `all` "
    "with no exceptions.",
    "except_parts": "Parts left out of `all` (the UK's association excludes `eic-fund`); "
    "empty when none are.",
    "valid_from": "The first day the status applies to a call's deadline; from then on the row "
    "takes over from earlier rows for the country.",
    "valid_to": "The last day the status applies (included); null while it has no end.",
    "note": "A remark on the row, such as what the association covers or how it came about.",
}


class CountryStatusCreate(BaseModel):
    """A new row: it takes over from its valid_from date; earlier rows stay for earlier dates."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country": "MA",
                    "programme": "horizon-europe",
                    "status": "associated",
                    "parts": ["all"],
                    "valid_from": "2026-01-01",
                    "source": "https://ec.europa.eu/... (the Commission's list, version and date)",
                }
            ]
        },
    )

    country: CountryCode = PydanticField(description=COUNTRY_STATUS_FIELDS["country"])
    programme: Literal["horizon-europe"] = PydanticField(
        default="horizon-europe", description=COUNTRY_STATUS_FIELDS["programme"]
    )
    status: Status = PydanticField(description=COUNTRY_STATUS_FIELDS["status"])
    parts: Annotated[list[Part], PydanticField(min_length=1, max_length=6)] = PydanticField(
        default=["all"], description=COUNTRY_STATUS_FIELDS["parts"]
    )
    except_parts: Annotated[list[Part], PydanticField(max_length=6)] = PydanticField(
        default=[], description=COUNTRY_STATUS_FIELDS["except_parts"]
    )
    valid_from: IsoDate = PydanticField(description=COUNTRY_STATUS_FIELDS["valid_from"])
    valid_to: IsoDate | None = PydanticField(
        default=None,
        description=COUNTRY_STATUS_FIELDS["valid_to"] + " Not before valid_from.",
    )
    source: Annotated[str, line(500, min_length=1)] = PydanticField(
        description="The document the row comes from (title, section, URL)."
    )
    note: Annotated[str, line(1000)] = PydanticField(
        default="", description=COUNTRY_STATUS_FIELDS["note"]
    )


class CountryStatusPublic(BaseModel):
    """A row of the country-status table, shipped or added."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.COUNTRY_STATUS_ADDED))

    country: str = PydanticField(description=COUNTRY_STATUS_FIELDS["country"])
    programme: Literal["horizon-europe"] = PydanticField(
        description=COUNTRY_STATUS_FIELDS["programme"]
    )
    status: Status = PydanticField(description=COUNTRY_STATUS_FIELDS["status"])
    parts: list[Part] = PydanticField(description=COUNTRY_STATUS_FIELDS["parts"])
    except_parts: list[Part] = PydanticField(description=COUNTRY_STATUS_FIELDS["except_parts"])
    valid_from: date = PydanticField(description=COUNTRY_STATUS_FIELDS["valid_from"])
    valid_to: date | None = PydanticField(description=COUNTRY_STATUS_FIELDS["valid_to"])
    source: str = PydanticField(
        description="The document the row comes from: for a shipped row its title, section and "
        "URL; for an added row what the admin gave."
    )
    note: str = PydanticField(description=COUNTRY_STATUS_FIELDS["note"])
    shipped: bool = PydanticField(
        description="Whether the row ships with the package (true) or an admin added it (false)."
    )
    added_at: UtcDatetime | None = PydanticField(
        default=None, description="When an admin added the row (UTC); null for a shipped row."
    )
