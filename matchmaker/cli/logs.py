"""What `matchmaker serve` logs, and how: one logging configuration for uvicorn's error and
access logs and the service's own loggers (`matchmaker.*`, the delivery worker's among them).

Every line starts with the time in UTC (ISO 8601, to the millisecond) and the id of the
process that wrote it, so that an operator can place a line in time and tell which worker
process of `serve --workers N` wrote it (uvicorn names each worker's id when it starts it):
`2026-03-02T09:14:05.123Z [4242] INFO:     Matching index ready in 3.7 s: ...`.

A key-recovery link (`/ui/key-recovery/{id}/{token}`) is a key to the organisation until it is
used, a claim's link confirms a claim, and an unsubscribe link stops e-mail: each token is in
the link's path, and uvicorn logs every path. Whoever read the log could have used them. The
access log's filter replaces each token in a logged path with `<token>`, so the log still says
which link was opened, and for whom.
"""

import copy
import logging
import re
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

# What starts every line, before uvicorn's own format (`INFO:     ...`).
LINE_START = "%(asctime)s [%(process)d]"

# The addresses whose last part is a secret: the web pages the e-mails link to, and the API
# operations those pages (or a client) call with the same token.
LINK_TOKEN = re.compile(
    r"^(/ui/key-recovery/[^/?]+/|/organisations/[^/?]+/key-recovery/|/ui/claims/[^/?]+/"
    r"|/claims/[^/?]+/confirmation/|/unsubscribe/)[^/?]+"
)
HIDDEN = "<token>"


def hide_link_tokens(path: str) -> str:
    """The path as logged: a link's token replaced by `<token>`, anything else unchanged."""
    return LINK_TOKEN.sub(lambda found: found.group(1) + HIDDEN, path)


class HideLinkTokens(logging.Filter):
    """For uvicorn's access logger, whose records carry (client, method, path, HTTP version,
    status) as their arguments: the path with its token hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            if isinstance(path, str):
                record.args = (client, method, hide_link_tokens(path), version, status)
        return True


class UtcTimes(logging.Formatter):
    """`%(asctime)s` as an ISO 8601 time in UTC to the millisecond: 2026-03-02T09:14:05.123Z
    (logging's own is local time without a zone)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ServiceFormatter(UtcTimes, DefaultFormatter):
    """uvicorn's format of the error log and the service's loggers, after the time and pid."""


class RequestFormatter(UtcTimes, AccessFormatter):
    """uvicorn's format of an access line, after the time and pid."""


def log_config() -> dict[str, Any]:
    """The logging of `matchmaker serve`, handed to uvicorn, which applies it in every process.

    uvicorn's configuration with each line started by the time and the process id; the service's
    own loggers (`matchmaker.*`) in it at INFO (without them, Python's last-resort handler
    printed the service's warnings bare and dropped its INFO lines, such as the index ready at
    start); other libraries' warnings in it too; and the access log without the secrets of
    e-mailed links.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    for name, formatter in {"default": ServiceFormatter, "access": RequestFormatter}.items():
        config["formatters"][name]["()"] = f"{formatter.__module__}.{formatter.__qualname__}"
        config["formatters"][name]["fmt"] = f"{LINE_START} {config['formatters'][name]['fmt']}"
    config["loggers"]["matchmaker"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    config.setdefault("filters", {})["link_tokens"] = {
        "()": f"{HideLinkTokens.__module__}.{HideLinkTokens.__qualname__}"
    }
    config["handlers"]["access"]["filters"] = ["link_tokens"]
    return config
