"""What `matchmaker serve` logs of each request: uvicorn's access line, without the one-time
secrets some addresses carry.

A key-recovery link (`/ui/key-recovery/{id}/{token}`) is a key to the organisation until it is
used, a claim's link confirms a claim, and an unsubscribe link stops e-mail: each token is in
the link's path, and uvicorn logs every path. Whoever read the log could have used them. The
filter replaces each token in a logged path with `<token>`, so the log still says which link
was opened, and for whom.
"""

import logging
import re

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
