"""Settings refuse values the service cannot use, without echoing them."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from matchmaker.cli.main import app
from matchmaker.partnering.outbox import web_page
from matchmaker.settings import Settings, split_origins, unknown_variables


@pytest.mark.parametrize(
    "url",
    [
        "http://mailer:s3cret@mail.example",
        "smtp://",
        "mail.example:587",
        "smtp://mailer:s3cret@mail.example:submission",
    ],
)
def test_a_malformed_smtp_url_is_refused_without_showing_it(url: str) -> None:
    """Neither the URL nor its password appears in the error."""
    with pytest.raises(ValidationError) as raised:
        Settings(smtp_url=url)

    assert [error["msg"] for error in raised.value.errors()] == [
        "Value error, an SMTP URL must look like smtp://user:password@host:587 or smtps://host"
    ]
    assert "s3cret" not in str(raised.value)
    assert "mail.example" not in str(raised.value)


def test_an_empty_smtp_url_is_the_same_as_none() -> None:
    """MATCHMAKER_SMTP_URL= (set but empty) leaves e-mail in the outbox, like unset."""
    assert Settings(smtp_url="").smtp_url is None
    assert Settings(smtp_url="smtps://mail.example").smtp_url is not None


@pytest.mark.parametrize("command", [["serve"], ["notify", "run"]])
def test_serve_and_notify_refuse_a_malformed_smtp_url_at_start(command: list[str]) -> None:
    """`serve` no longer starts with e-mail silently off, and both name the variable."""
    env = {"MATCHMAKER_SMTP_URL": "http://mailer:s3cret@mail.example"}
    result = CliRunner().invoke(app, command, env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: MATCHMAKER_SMTP_URL: an SMTP URL must look like "
        "smtp://user:password@host:587 or smtps://host\n",
    )


@pytest.mark.parametrize("token", ["a", "letmein", "guessable-admin-token-012345678"])
def test_a_short_admin_token_is_refused_without_showing_it(token: str) -> None:
    """A bootstrap admin token that could be guessed (up to 31 characters) stops the start;
    the error says the length wanted, never the token."""
    assert len(token) < 32
    with pytest.raises(ValidationError) as raised:
        Settings(admin_token=token)

    assert [error["msg"] for error in raised.value.errors()] == [
        "Value error, an admin token must be at least 32 characters long; make one with "
        "`openssl rand -hex 32`"
    ]
    assert "input_value" not in str(raised.value)
    if len(token) > 1:
        assert token not in str(raised.value)


def test_serve_refuses_a_short_admin_token_at_start(tmp_path: Path) -> None:
    """`serve` ends in one line naming the variable, before touching the database."""
    env = {
        "MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        "MATCHMAKER_ADMIN_TOKEN": "letmein",
    }
    result = CliRunner().invoke(app, ["serve"], env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: MATCHMAKER_ADMIN_TOKEN: an admin token must be at least 32 characters long; "
        "make one with `openssl rand -hex 32`\n",
    )
    assert not (tmp_path / "m.db").exists()


def test_an_admin_token_of_32_characters_is_taken_and_an_empty_one_is_none() -> None:
    """32 characters is enough; MATCHMAKER_ADMIN_TOKEN= (set but empty) means no admin token."""
    token = "x" * 32
    admin_token = Settings(admin_token=token).admin_token
    assert admin_token is not None
    assert admin_token.get_secret_value() == token
    assert Settings(admin_token="").admin_token is None


@pytest.mark.parametrize("address", ["matchmaker.example", "ftp://matchmaker.example", "https://"])
def test_a_public_base_url_links_could_not_use_is_refused(address: str) -> None:
    """The links e-mailed (key recovery, unsubscribe) need a scheme and a host."""
    with pytest.raises(ValidationError) as raised:
        Settings(public_base_url=address)

    assert [error["msg"] for error in raised.value.errors()] == [
        f"Value error, {address!r} is not an http(s) address; give one such as "
        "https://matchmaker.example"
    ]


@pytest.mark.parametrize("address", ["https://research.example/mm", "https://research.example/mm/"])
def test_a_public_base_url_with_a_path_prefix_is_refused(address: str) -> None:
    """The pages link to /ui/..., /docs and /openapi.json from the root of the host, so the
    service cannot be served under a path: e-mailed links there would lead to broken pages."""
    with pytest.raises(ValidationError) as raised:
        Settings(public_base_url=address)

    assert [error["msg"] for error in raised.value.errors()] == [
        f"Value error, {address!r} has a path, but the service must be served at the root of "
        "its host (its pages link to /ui/...); give one such as https://matchmaker.example"
    ]


@pytest.mark.parametrize("address", ["https://research.example", "https://research.example/"])
def test_a_public_base_url_at_the_root_is_taken_with_or_without_a_slash(address: str) -> None:
    """A trailing slash alone is the root, and links built on it carry no double slash."""
    settings = Settings(public_base_url=address)

    assert settings.public_base_url == address
    assert web_page(settings.public_base_url, "/inbox") == "https://research.example/ui/inbox"


@pytest.mark.parametrize(
    "value",
    ["", "matchmaker", "@matchmaker.example", "a@b.example, c@d.example", "a@b.example\nBcc: c@d"],
)
def test_a_mail_from_that_is_not_one_address_is_refused(value: str) -> None:
    """A From every e-mail would fail on (none, two, a header smuggled in) stops the start."""
    with pytest.raises(ValidationError) as raised:
        Settings(mail_from=value)

    assert [error["msg"] for error in raised.value.errors()] == [
        "Value error, give one e-mail address, such as noreply@matchmaker.example or "
        "Matchmaker <noreply@matchmaker.example>"
    ]


@pytest.mark.parametrize(
    "value", ["matchmaker@localhost", "Matchmaker <noreply@matchmaker.example>"]
)
def test_a_mail_from_with_or_without_a_display_name_is_taken(value: str) -> None:
    """The default and a named sender both pass as given."""
    assert Settings(mail_from=value).mail_from == value


@pytest.mark.parametrize(
    "value",
    ["portal.example", "https://portal.example/app", "ftp://portal.example", "https://a.example?x"],
)
def test_a_cors_origin_a_browser_never_sends_is_refused(value: str) -> None:
    """An origin is a scheme, a host and perhaps a port: a path or a bare host never matches."""
    with pytest.raises(ValidationError) as raised:
        Settings(cors_origins=f"https://ok.example, {value}")

    assert [error["msg"] for error in raised.value.errors()] == [
        f"Value error, {value!r} is not a web origin; give a scheme and host (and port), such "
        "as https://portal.example, or *"
    ]


def test_cors_origins_are_a_comma_separated_list_or_a_star() -> None:
    """Spaces and a trailing slash are forgiven; an empty or unset setting names no origin."""
    assert split_origins("https://a.example/ , http://b.example:8080,") == [
        "https://a.example",
        "http://b.example:8080",
    ]
    assert split_origins("*") == ["*"]
    assert split_origins("") == split_origins(None) == []


def test_a_variable_that_names_no_setting_is_named_with_the_closest_setting() -> None:
    """Each `MATCHMAKER_*` variable that no setting reads gets one warning, with the setting it
    most likely meant when one is close; settings (in any case), other programs' variables and
    the test suite's are not warned of."""
    environ = {
        "MATCHMAKER_SMTP_URI": "smtp://mail.example",
        "MATCHMAKER_DATABSE_URL": "sqlite:///m.db",
        "MATCHMAKER_FLAVOUR": "vanilla",
        "MATCHMAKER_DATABASE_URL": "sqlite:///m.db",
        "matchmaker_admin_contact": "ops@example.org",
        "MATCHMAKER_TEST_DATABASES": "sqlite",
        "FORWARDED_ALLOW_IPS": "10.0.0.2",
    }

    assert unknown_variables(environ) == [
        "MATCHMAKER_DATABSE_URL is not a setting of matchmaker and is ignored; did you mean "
        "MATCHMAKER_DATABASE_URL?",
        "MATCHMAKER_FLAVOUR is not a setting of matchmaker and is ignored.",
        "MATCHMAKER_SMTP_URI is not a setting of matchmaker and is ignored; did you mean "
        "MATCHMAKER_SMTP_URL?",
    ]


def test_a_command_warns_of_a_misspelt_setting_and_runs(tmp_path: Path) -> None:
    """A misspelt variable no longer leaves its setting on the default without a word: the
    command says, on stderr, which setting it likely meant, and runs (a deployment may carry
    the variables of another version)."""
    env = {
        "MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        "MATCHMAKER_DATABSE_URL": f"sqlite:///{tmp_path / 'other.db'}",
    }
    result = CliRunner().invoke(app, ["db", "upgrade"], env=env)

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: MATCHMAKER_DATABSE_URL is not a setting of matchmaker and is ignored; did you "
        "mean MATCHMAKER_DATABASE_URL?\n"
    )
    assert "Database at revision" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.db"]
