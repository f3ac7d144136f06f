"""Service settings, read from `MATCHMAKER_*` environment variables."""

import difflib
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The databases the engine factory builds (`postgres` is an old spelling of `postgresql`).
DATABASE_BACKENDS = ("sqlite", "postgresql", "postgres")
# The shortest bootstrap admin token taken: one that can be guessed would open every write.
# `openssl rand -hex 32` gives 64 characters; an issued key holds 256 random bits.
ADMIN_TOKEN_MIN_LENGTH = 32
# Variables of the test suite (`MATCHMAKER_TEST_DATABASES`, `MATCHMAKER_TEST_WORKERS`), which
# the commands it runs inherit: not settings, and not mistaken ones.
TEST_VARIABLES = "MATCHMAKER_TEST_"


def check_smtp_url(url: str) -> None:
    """Raise ValueError unless `url` is smtp://[user:password@]host[:port] or smtps://..."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when it is read)
    except ValueError:
        valid = False
    else:
        valid = parts.scheme in ("smtp", "smtps") and bool(parts.hostname)
    if not valid:
        raise ValueError("an SMTP URL must look like smtp://user:password@host:587 or smtps://host")


def split_origins(value: str | None) -> list[str]:
    """The origins of a comma-separated MATCHMAKER_CORS_ORIGINS, without a trailing slash."""
    return [origin.strip().rstrip("/") for origin in (value or "").split(",") if origin.strip()]


class Settings(BaseSettings):
    """Every setting the service reads; each is documented in README.md."""

    # Errors never echo a value: the SMTP URL and the admin token are secrets.
    model_config = SettingsConfigDict(
        env_prefix="MATCHMAKER_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        default="sqlite:///matchmaker.db",
        description="SQLAlchemy URL of the database; a SQLite file in the working directory "
        "by default, or postgresql+psycopg://user:password@host/dbname.",
    )
    max_body_bytes: int = Field(
        default=2_000_000,
        ge=1024,
        description="Largest request body accepted, in bytes; larger ones get 413.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=15_000,
        ge=0,
        description="How long a SQLite connection waits for a lock before giving up.",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="A bearer token that acts as an admin key (for bootstrapping; "
        "`matchmaker keys create --role admin` issues revocable ones), at least "
        f"{ADMIN_TOKEN_MIN_LENGTH} characters long, such as `openssl rand -hex 32` prints; "
        "a shorter one stops the service at start.",
    )
    write_rate_limit: int = Field(
        default=120,
        ge=0,
        description="Writes a minute allowed per client address and, for a key, per "
        "organisation (per key for a publisher key), counted in the database that every "
        "worker process shares; 0 turns the limit off. Admin keys are never limited.",
    )
    index_dir: str | None = Field(
        default=None,
        description="Folder where the fitted organisation index is saved, so that a worker "
        "starts without refitting and the workers on one machine share one memory-mapped "
        "copy. Unset: `<database file>.index` beside a SQLite database file, and not saved "
        "for other databases; empty: not saved.",
    )
    refit_drift: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Share of profiles added, changed or removed since the last fit after "
        "which the matcher's vocabulary is refitted in the background.",
    )
    shutdown_timeout: int = Field(
        default=30,
        ge=1,
        description="Seconds `matchmaker serve` lets requests in flight finish after SIGTERM "
        "before closing their connections; a background refit still running after as long "
        "is abandoned.",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Where `matchmaker notify run` sends e-mail: smtp://user:password@host:587 "
        "(STARTTLS when the server offers it) or smtps://... (TLS from the start); unset: "
        "notifications wait in the outbox.",
    )
    mail_from: str = Field(
        default="matchmaker@localhost",
        description="The From address of notification e-mails.",
    )
    admin_contact: str | None = Field(
        default=None,
        max_length=320,
        description="How organisations reach the people who run the service (an e-mail "
        "address or a web address), named where the web pages send them to an administrator: "
        "to have a type verified, or a key replaced without a contact e-mail. Unset, the "
        "pages say to ask whoever runs the service.",
    )
    public_base_url: str = Field(
        default="http://localhost:8000",
        description="The address clients reach the service at (scheme, host and port), used "
        "for the links in e-mails such as key recovery; no path: the service must be served at "
        "the root of its host, since its pages link to /ui/... Unset, `matchmaker serve` uses "
        "the address it serves on (host and port, a loopback or wildcard host written "
        "localhost), in every worker.",
    )
    key_recovery_rate_limit: int = Field(
        default=3,
        ge=0,
        description="Key-recovery requests a minute allowed per client address and per "
        "organisation (whether or not it exists), counted in the database; 0 turns the limit "
        "off.",
    )
    claim_link_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 30,
        description="Hours the link that confirms a claim of a CORDIS record works, once "
        "e-mailed to an address on the record's web domain.",
    )
    stale_after_months: int = Field(
        default=13,
        ge=1,
        le=120,
        description="Months after its last confirmation (on creation, or its owner's POST "
        "/organisations/{id}/confirm) that a profile is shown as stale.",
    )
    confirm_reminder_months: int = Field(
        default=12,
        ge=1,
        le=120,
        description="Months after its last confirmation that a profile's owner is e-mailed, "
        "once per confirmation, a link to confirm it is current (by the delivery pass).",
    )
    contact_request_days: int = Field(
        default=14,
        ge=1,
        description="Days a contact request or expression of interest waits for an answer "
        "before it expires.",
    )
    contact_request_reminder_days: int = Field(
        default=3,
        ge=0,
        description="Days before an unanswered contact request or expression of interest "
        "expires that its recipient is reminded of it, once, by the delivery pass; none for a "
        "request that waits no longer than that in all; 0: no reminders.",
    )
    max_open_contact_requests: int = Field(
        default=20,
        ge=1,
        description="Contact requests and expressions of interest an organisation may have "
        "waiting for an answer at once.",
    )
    max_open_partner_requests: int = Field(
        default=10,
        ge=1,
        description="Partner requests an organisation may have open at once.",
    )
    max_saved_searches: int = Field(
        default=20,
        ge=1,
        description="Saved searches an organisation may keep at once.",
    )

    delivery_interval: float = Field(
        default=60,
        ge=0,
        description="Seconds between the notification delivery passes (e-mail, digests, "
        "webhooks) that `matchmaker serve` runs in the background of each worker process; "
        "0 turns them off (then run `matchmaker notify run` from a timer).",
    )
    cors_origins: str | None = Field(
        default=None,
        description="Web origins whose pages' scripts may call the API from a browser "
        "(CORS), comma-separated, such as https://portal.example, or * for any; unset (the "
        "default): none, and servers calling the API are not concerned.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Whether webhook URLs may lead to loopback, private, link-local or other "
        "non-public addresses; off, such URLs are refused (a safeguard against requests to the "
        "service's own network). For tests and closed networks only.",
    )

    @field_validator("database_url")
    @classmethod
    def _is_sqlite_or_postgresql(cls, value: str) -> str:
        """Refuse a URL that does not parse or names a database the service does not use."""
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "this is not a database URL; give sqlite:///FILE or "
                "postgresql+psycopg://user:password@host/dbname"
            ) from None
        backend = url.get_backend_name()
        if backend not in DATABASE_BACKENDS:
            raise ValueError(
                f"{backend} is not supported; give sqlite:///FILE or "
                "postgresql+psycopg://user:password@host/dbname"
            )
        if backend == "sqlite" and url.database in (None, "", ":memory:"):
            # Each connection, and each command, would get a database of its own.
            raise ValueError("an in-memory SQLite database cannot be shared; give sqlite:///FILE")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _are_origins(cls, value: str | None) -> str | None:
        """Refuse what a browser never sends as an Origin: a path, no scheme or no host."""
        for origin in split_origins(value):
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path
                or parts.query
                or parts.fragment
            ):
                raise ValueError(
                    f"{origin!r} is not a web origin; give a scheme and host (and port), such "
                    "as https://portal.example, or *"
                )
        return value

    @field_validator("public_base_url")
    @classmethod
    def _is_an_http_address(cls, value: str) -> str:
        """Refuse an address e-mailed links could not use (no scheme, no host), or one with a
        path: the pages link to /ui/..., /docs and /openapi.json from the root of the host, so
        a proxy serving the service under a path would break them."""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not an http(s) address; give one such as https://matchmaker.example"
            )
        if parts.path not in ("", "/"):
            raise ValueError(
                f"{value!r} has a path, but the service must be served at the root of its host "
                "(its pages link to /ui/...); give one such as https://matchmaker.example"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _is_one_address(cls, value: str) -> str:
        """Refuse a From that every e-mail would fail on: one address, with a display name or
        without (`Matchmaker <noreply@matchmaker.example>`)."""
        header = EmailMessage()
        try:
            header["From"] = value
            addresses = header["From"].addresses
        except (ValueError, IndexError, HeaderParseError):
            addresses = ()
        if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
            raise ValueError(
                "give one e-mail address, such as noreply@matchmaker.example or "
                "Matchmaker <noreply@matchmaker.example>"
            )
        return value

    @field_validator("admin_token")
    @classmethod
    def _is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a short admin token at start, without showing it; an empty one is none."""
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(
                f"an admin token must be at least {ADMIN_TOKEN_MIN_LENGTH} characters long; "
                "make one with `openssl rand -hex 32`"
            )
        return value

    @field_validator("smtp_url")
    @classmethod
    def _is_an_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a malformed SMTP URL at start; an empty one is the same as none."""
        if value is None or not value.get_secret_value():
            return None
        check_smtp_url(value.get_secret_value())
        return value

    def matching_index_dir(self) -> Path | None:
        """Where the matching index is saved: `index_dir`, else beside a SQLite file."""
        if self.index_dir is not None:
            return Path(self.index_dir) if self.index_dir else None
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(f"{url.database}.index")
        return None


@lru_cache
def get_settings() -> Settings:
    """Return the settings read from the environment, once per process."""
    return Settings()


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each `MATCHMAKER_*` variable of `environ` that names no setting, which
    the settings ignore: the closest setting's name when one is close (a misspelling, such as
    MATCHMAKER_DATABSE_URL, would otherwise leave the service on its default without a word).

    Only warnings: a deployment's environment may carry the settings of another version.
    """
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names = sorted(name.upper() for name in Settings.model_fields)
    warnings = []
    for variable in sorted(environ):
        # As the settings read them: case aside.
        upper = variable.upper()
        name = upper.removeprefix(prefix)
        if not upper.startswith(prefix) or upper.startswith(TEST_VARIABLES) or name in names:
            continue
        closest = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {prefix}{closest[0]}?" if closest else "."
        warnings.append(f"{variable} is not a setting of matchmaker and is ignored{hint}")
    return warnings
