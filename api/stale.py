"""Answers made while the database could not be reached say so: `X-Matchmaker-Stale: true`."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchmaker import db

STALE_HEADER = "X-Matchmaker-Stale"


class StaleMarker:
    """Mark an answer (below 500) made while the database could not be reached: it came from
    the matching service's memory, which may miss the latest writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, noting whether the database failed to answer during the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with db.noting_unreachable() as unreached:

            async def marking_send(message: Message) -> None:
                start = message["type"] == "http.response.start"
                if start and unreached and message["status"] < 500:
                    MutableHeaders(scope=message).append(STALE_HEADER, "true")
                await send(message)

            await self.app(scope, receive, marking_send)
