"""ASGI middleware that refuses request bodies over the configured size with 413."""

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON


class BodySizeLimit:
    """Answer 413 as soon as a body is known to exceed the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; read a streamed (chunked) body first, up to the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            # The server holds the body to its declared length, so the header is enough.
            if not declared.isdigit() or len(declared) > 18 or int(declared) > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        if b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        # A chunked body is read here, not counted while the app reads it: raised inside the
        # app's read, the refusal would become the framework's 400 "error parsing the body".
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, more=await self._drain(receive, message))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, message: Message) -> bool:
        """Read and drop the rest of a refused body, up to the limit again; whether more is left.

        A client still sending when the server closes gets a broken pipe instead of the 413, so
        a body that ends soon is read to its end (and the connection can then be kept).
        """
        drained = 0
        while message.get("more_body", False):
            if drained > self.max_bytes:
                return True
            message = await receive()
            if message["type"] != "http.request":
                return False
            drained += len(message.get("body", b""))
        return False

    async def _refuse(self, scope: Scope, send: Send, *, more: bool = True) -> None:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body is larger than the {self.max_bytes} bytes accepted.",
            "instance": scope.get("path"),
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    # The rest of the body is unread: the connection cannot serve another.
                    *([(b"connection", b"close")] if more else []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
