"""HEAD wherever GET is answered, and no body headers on answers that have no body."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answers that never have a body (RFC 9110, 6.4.1): nothing to describe with Content-Type.
BODILESS = frozenset({204, 304})


class HeadAndBodiless:
    """Answer HEAD as GET would, without the body (RFC 9110, 9.3.2); drop Content-Type and
    Content-Length from 204 and 304 answers, which the framework adds to an empty JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, as GET for a HEAD request, trimming what the answer must not carry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            # Routed as GET, so a HEAD gets GET's status and headers (405 where GET is, too).
            scope = {**scope, "method": "GET"}

        async def trimming_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in BODILESS:
                headers = MutableHeaders(scope=message)
                for name in ("content-type", "content-length"):
                    if name in headers:
                        del headers[name]
            elif message["type"] == "http.response.body" and head:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, trimming_send)
