"""The `matchmaker` command: serve with demo data, migrations and keys."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer.rich_utils
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from matchmaker.cli.main import app, loads_demo
from matchmaker.db import head_revision
from matchmaker.keys import MAX_ACTIVE_KEYS
from matchmaker.settings import get_settings
from tests.factories import create_organisation
from tests.helpers import settings_for
from tests.postgres import free_port
from tests.servers import LOG_LINE, wait_until_healthy

DEMO = Path(__file__).parent.parent / "matchmaker" / "importers" / "demo"


def _env(database: Path) -> dict[str, str]:
    return {"MATCHMAKER_DATABASE_URL": f"sqlite:///{database}"}


def _unboxed(output: str) -> str:
    """A usage error's words without the box rich draws around them, in one line."""
    return " ".join(output.replace("│", " ").split())


@pytest.mark.parametrize(
    ("demo", "url", "loads"),
    [
        (None, "sqlite:///matchmaker.db", True),
        (None, "postgresql+psycopg://matchmaker:secret@db/matchmaker", False),
        (True, "postgresql+psycopg://matchmaker:secret@db/matchmaker", True),
        (False, "sqlite:///matchmaker.db", False),
    ],
)
def test_serve_loads_the_demo_only_into_sqlite_unless_told(
    demo: bool | None, url: str, loads: bool
) -> None:
    """The demo data goes into an empty SQLite database by default (a first try), never into
    an empty PostgreSQL one (a deployment's first start) unless --demo says so."""
    assert loads_demo(demo, url) is loads


@pytest.mark.slow
def test_serve_migrates_loads_demo_and_answers(tmp_path: Path) -> None:
    """`matchmaker serve` on a new database migrates it, loads the demo data and serves it,
    and says at start where it serves and that e-mail waits without MATCHMAKER_SMTP_URL (and
    which setting a misspelt variable likely meant); its log lines carry the time and its id."""
    port = free_port()
    environment = {
        name: value for name, value in os.environ.items() if name != "MATCHMAKER_SMTP_URL"
    }
    misspelt = {"MATCHMAKER_SMTP_URI": "smtp://mail.example"}
    process = subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli.main", "serve", "--port", str(port)],
        env={**environment, **_env(tmp_path / "new.db"), **misspelt},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, seconds=90)
        organisations = json.loads((DEMO / "organisations.json").read_text(encoding="utf-8"))
        calls = json.loads((DEMO / "calls.json").read_text(encoding="utf-8"))
        assert httpx.get(f"{base}/organisations").json()["total"] == len(organisations)
        assert httpx.get(f"{base}/calls").json()["total"] == len(calls)
        suggestions = httpx.get(f"{base}/calls/1/suggestions").json()["items"]
        assert len(suggestions) == 20
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"Loaded the demo data: {len(organisations)} organisations" in output
    assert f"Database: sqlite:///{tmp_path / 'new.db'} at revision {head_revision()}\n" in output
    assert re.search(
        rf"INFO:     Matching index ready in \d+\.\d s: {len(organisations)} organisations, "
        rf"{len(calls)} calls; memory-mapped from {re.escape(str(tmp_path))}/new\.db\.index\n",
        output,
    )
    ready = [LOG_LINE.fullmatch(line) for line in output.splitlines() if "index ready" in line]
    assert [line["pid"] if line else None for line in ready] == [str(process.pid)], output
    assert f"Web interface: {base}/ui/calls\n" in output
    assert f"API docs: {base}/docs (ReDoc: {base}/redoc)\n" in output
    # As `notify run` says it: the background delivery passes send no e-mail either.
    assert "MATCHMAKER_SMTP_URL is unset: e-mail waits in the outbox.\n" in output
    assert (
        "Warning: MATCHMAKER_SMTP_URI is not a setting of matchmaker and is ignored; did you "
        "mean MATCHMAKER_SMTP_URL?\n" in output
    )


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    """`db upgrade` reaches the latest revision; `db downgrade base` removes it, and says the
    database is at base with no tables (it said "at revision None")."""
    runner = CliRunner()
    env = _env(tmp_path / "m.db")
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"Database at revision {head_revision()}.\n"
    downgraded = runner.invoke(app, ["db", "downgrade", "base"], env=env)
    assert (downgraded.exit_code, downgraded.output) == (
        0,
        "Database at base: every migration undone, it holds no tables.\n",
    )


def test_keys_create_and_revoke(tmp_path: Path) -> None:
    """`keys create` prints a working token once; `keys revoke` ends it; errors are clear."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    created = runner.invoke(app, ["keys", "create", "--role", "publisher"], env=env)
    assert created.exit_code == 0, created.output
    assert created.output.startswith("Key 1 (publisher): mm_")
    assert runner.invoke(app, ["keys", "revoke", "1"], env=env).output == "Key 1 revoked.\n"
    missing = runner.invoke(app, ["keys", "revoke", "9"], env=env)
    assert missing.exit_code == 1
    assert "No API key with id 9." in missing.output
    # The role's old name is still accepted, and issues a publisher key.
    old_name = runner.invoke(app, ["keys", "create", "--role", "coordinator"], env=env)
    assert old_name.exit_code == 0, old_name.output
    assert old_name.output.startswith("Key 2 (publisher): mm_")
    orphan = runner.invoke(app, ["keys", "create", "--role", "organisation"], env=env)
    assert orphan.exit_code == 1
    assert orphan.output == (
        "Error: an organisation key acts for one organisation: name it with --organisation ID.\n"
    )


def test_keys_create_names_the_option_an_error_is_about(tmp_path: Path) -> None:
    """A key refused for its organisation names the command's option, not the API's field."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    orphan = runner.invoke(app, ["keys", "create", "--role", "organisation"], env=env)
    assert (orphan.exit_code, orphan.output) == (
        1,
        "Error: an organisation key acts for one organisation: name it with --organisation ID.\n",
    )
    publisher = runner.invoke(
        app, ["keys", "create", "--role", "publisher", "--organisation", "1"], env=env
    )
    assert (publisher.exit_code, publisher.output) == (
        1,
        "Error: publisher keys act for no organisation: leave --organisation out.\n",
    )


def test_keys_create_names_the_option_a_refused_value_is_given_with(tmp_path: Path) -> None:
    """A label too long or over two lines is one `Error:` line naming --label in the words
    the API uses (matchmaker.messages), and an organisation id out of range a usage error
    (exit code 2), as any option's number out of range: each was a ValidationError traceback."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)

    long = runner.invoke(app, ["keys", "create", "--role", "admin", "--label", "x" * 201], env=env)
    two_lines = runner.invoke(
        app, ["keys", "create", "--role", "admin", "--label", "a\nb"], env=env
    )

    assert (long.exit_code, long.output) == (
        1,
        "Error: --label: Must be at most 200 characters long.\n",
    )
    assert (two_lines.exit_code, two_lines.output) == (
        1,
        "Error: --label: Must be a single line.\n",
    )
    for organisation, said in [
        ("0", "Input should be greater than or equal to 1"),
        ("-1", "Input should be greater than or equal to 1"),
        ("99999999999999999999", "Input should be less than or equal to 2147483647"),
    ]:
        refused = runner.invoke(
            app,
            ["keys", "create", "--role", "organisation", "--organisation", organisation],
            env=env,
        )
        assert refused.exit_code == 2, refused.output
        assert f"Invalid value for '--organisation': {said}" in _unboxed(refused.output)
        assert "Traceback" not in refused.output
    assert runner.invoke(app, ["keys", "list"], env=env).output == "No keys.\n"


def test_keys_list_and_revoke_refuse_an_id_out_of_range(tmp_path: Path) -> None:
    """An id past SQLite's integers is a usage error (exit code 2), not an OverflowError."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    huge = "99999999999999999999"

    listed = runner.invoke(app, ["keys", "list", "--organisation", huge], env=env)
    revoked = runner.invoke(app, ["keys", "revoke", huge], env=env)
    zero = runner.invoke(app, ["keys", "revoke", "0"], env=env)

    assert listed.exit_code == 2, listed.output
    assert (
        "Invalid value for '--organisation': Input should be less than or equal to 2147483647"
        in _unboxed(listed.output)
    )
    assert revoked.exit_code == 2, revoked.output
    assert "Invalid value for 'ID': Input should be less than or equal to 2147483647" in (
        _unboxed(revoked.output)
    )
    assert zero.exit_code == 2, zero.output
    assert "Invalid value for 'ID': Input should be greater than or equal to 1" in _unboxed(
        zero.output
    )


def test_keys_create_past_the_limit_names_the_command_that_revokes(tmp_path: Path) -> None:
    """At an organisation's limit of keys not revoked, `keys create` names `matchmaker keys
    revoke`, not the API's route (DELETE /admin/keys/{key_id}) a command line user cannot use."""
    runner = CliRunner()
    database = tmp_path / "k.db"
    env = _env(database)
    runner.invoke(app, ["db", "upgrade"], env=env)
    with TestClient(create_app(settings_for(f"sqlite:///{database}"))) as client:
        organisation = create_organisation(client)["id"]
    arguments = ["keys", "create", "--role", "organisation", "--organisation", str(organisation)]
    for _ in range(MAX_ACTIVE_KEYS - 1):  # the organisation's creation issued its first key
        assert runner.invoke(app, arguments, env=env).exit_code == 0

    refused = runner.invoke(app, arguments, env=env)

    assert (refused.exit_code, refused.output) == (
        1,
        f"Error: organisation {organisation} already has {MAX_ACTIVE_KEYS} keys that are not "
        "revoked; revoke one with `matchmaker keys revoke ID` (`matchmaker keys list "
        f"--organisation {organisation}` lists them) before issuing another.\n",
    )


def test_db_backup_says_what_to_do_instead_of_a_traceback(tmp_path: Path) -> None:
    """`db backup` to a missing folder, to a folder, from a missing database or over the
    database itself ends with one `Error:` line and exit code 1, and writes nothing."""
    runner = CliRunner()
    database = tmp_path / "m.db"
    env = _env(database)
    runner.invoke(app, ["db", "upgrade"], env=env)
    before = database.read_bytes()
    cases = {
        str(tmp_path / "nowhere" / "copy.db"): (
            f"Error: the folder {tmp_path / 'nowhere'} does not exist; create it or name another.\n"
        ),
        str(tmp_path): (
            f"Error: {tmp_path} is a folder; name the file to write, such as "
            f"{tmp_path / 'matchmaker.db'}.\n"
        ),
        str(database): f"Error: {database} is the database itself; name another file for the "
        "copy.\n",
        f"{database}-wal": f"Error: {database}-wal is the database itself; name another file "
        "for the copy.\n",
    }
    for target, message in cases.items():
        refused = runner.invoke(app, ["db", "backup", target], env=env)
        assert (refused.exit_code, refused.output) == (1, message), target
    assert database.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.db"]
    get_settings.cache_clear()  # the next command reads another database's URL
    missing = runner.invoke(
        app, ["db", "backup", str(tmp_path / "copy.db")], env=_env(tmp_path / "gone.db")
    )
    assert (missing.exit_code, missing.output) == (
        1,
        f"Error: there is no SQLite database file at '{tmp_path / 'gone.db'}'; check "
        "MATCHMAKER_DATABASE_URL.\n",
    )
    assert not (tmp_path / "copy.db").exists()


def test_notify_run_says_where_e_mail_goes_and_where_its_links_lead(tmp_path: Path) -> None:
    """Without MATCHMAKER_SMTP_URL and MATCHMAKER_PUBLIC_BASE_URL, `notify run` says that e-mail
    waits and which address its links use (it cannot know the port `serve` uses); with the
    address set, it says nothing of it."""
    runner = CliRunner()
    env = {**_env(tmp_path / "m.db"), "MATCHMAKER_SMTP_URL": None}
    runner.invoke(app, ["db", "upgrade"], env=env)
    unset = runner.invoke(app, ["notify", "run"], env={**env, "MATCHMAKER_PUBLIC_BASE_URL": None})
    assert unset.exit_code == 0, unset.output
    assert unset.stderr == (
        "MATCHMAKER_SMTP_URL is unset: e-mail waits in the outbox.\n"
        "Links in e-mails lead to http://localhost:8000 (MATCHMAKER_PUBLIC_BASE_URL is unset).\n"
    )
    get_settings.cache_clear()  # the next command reads another environment
    public = {**env, "MATCHMAKER_PUBLIC_BASE_URL": "https://matchmaker.example"}
    addressed = runner.invoke(app, ["notify", "run"], env=public)
    assert addressed.exit_code == 0, addressed.output
    assert addressed.stderr == "MATCHMAKER_SMTP_URL is unset: e-mail waits in the outbox.\n"
    assert addressed.stdout.endswith("Waiting in the outbox: 0 e-mails.\n")
    # A key-recovery e-mail asked for waits, and the run says so, where it said nothing of it.
    with TestClient(create_app(settings_for(f"sqlite:///{tmp_path / 'm.db'}"))) as client:
        organisation = create_organisation(client, contact_email="team@lumc.example")
        asked = client.post(
            f"/organisations/{organisation['id']}/key-recovery",
            json={"contact_email": "team@lumc.example"},
        )
        assert asked.status_code == 202, asked.text
    get_settings.cache_clear()
    waiting = runner.invoke(app, ["notify", "run"], env=public)
    assert waiting.stdout.endswith("Waiting in the outbox: 1 e-mail.\n"), waiting.output


def test_keys_revoke_says_when_a_key_was_revoked_already(tmp_path: Path) -> None:
    """Revoking a key twice changes nothing, and the second time says it was revoked before."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    runner.invoke(app, ["keys", "create", "--role", "publisher"], env=env)
    assert runner.invoke(app, ["keys", "revoke", "1"], env=env).output == "Key 1 revoked.\n"
    again = runner.invoke(app, ["keys", "revoke", "1"], env=env)
    assert again.exit_code == 0
    assert re.fullmatch(
        r"Key 1 was already revoked, on \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n", again.output
    ), again.output


def test_keys_list_shows_every_key_never_a_token(tmp_path: Path) -> None:
    """`keys list` names each key's id, role, organisation, label and whether it is revoked,
    oldest first; `--organisation` keeps one organisation's; no token is ever printed."""
    runner = CliRunner()
    env = _env(tmp_path / "k.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    assert runner.invoke(app, ["keys", "list"], env=env).output == "No keys.\n"
    issued = runner.invoke(
        app, ["keys", "create", "--role", "publisher", "--label", "IHI"], env=env
    )
    token = issued.output.split(": ")[-1].strip()
    runner.invoke(app, ["keys", "create", "--role", "admin"], env=env)
    runner.invoke(app, ["keys", "revoke", "2"], env=env)
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Key 1 (publisher) 'IHI': issued ")
    assert lines[0].endswith(" UTC, active")
    assert lines[1].startswith("Key 2 (admin): issued ")
    assert " UTC, revoked " in lines[1]
    assert token not in listed.output
    assert token[:12] not in listed.output
    # An organisation that does not exist is said to be missing, not to have no keys.
    mine = runner.invoke(app, ["keys", "list", "--organisation", "5"], env=env)
    assert (mine.exit_code, mine.output) == (1, "Error: No organisation with id 5.\n")


def test_serve_help_shows_every_option_whole_at_a_hundred_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`matchmaker serve --help` on a 100-column terminal names each option whole, with what
    its value is: `--worker-healthcheck-timeout` was cut to "--worker-healthcheck-time…" by
    the values' type descriptions beside it."""
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 100)
    shown = CliRunner().invoke(app, ["serve", "--help"]).output
    for option in ("--host", "--port", "--workers", "--worker-healthcheck-timeout", "--no-demo"):
        assert re.search(rf"{option}\s", shown), shown
    for value in ("ADDRESS", "PORT", "SECONDS"):
        assert value in shown, shown
