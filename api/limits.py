"""ASGI middleware that refuses request bodies over the configured size with 413, and JSON
bodies nested deeper than MAX_JSON_DEPTH or holding a lone UTF-16 surrogate with 400."""

import email.message
import json
import re
from typing import Any

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON, title_of

# No body the API takes nests half as deep; Python's parser gives up near 1,000 levels (with a
# RecursionError that said nothing of depth), so the limit is ours and stated.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_depth(body: bytes) -> int:
    """How deep a JSON document nests arrays and objects (brackets inside strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: the exact figure is only needed past the limit
    brackets = np.frombuffer(_JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS), np.uint8)
    if not brackets.size:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


# JSON can escape half of a UTF-16 surrogate pair on its own ("\ud800"), and Python's parser
# decodes one encoded as UTF-8 bytes (ED A0 80) too; either becomes a character no UTF-8 text
# holds, so writing it to the database failed with a 500. Parsed, a pair has become one
# character, so any surrogate left is a lone one.
_SURROGATE = re.compile("[\ud800-\udfff]")
# What a body holding one must contain: an escaped surrogate or one's UTF-8 bytes. Bodies
# without (nearly all, even those escaping other non-ASCII text) are not parsed a second time.
_MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def lone_surrogate(body: bytes) -> str | None:
    """Where a JSON body holds a string with a lone surrogate (`name`, `activities.0.title`,
    `body` for the document itself), or None: none, or not JSON (the app says why)."""
    if _MAY_HOLD_SURROGATE.search(body) is None:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return _surrogate_at(document, "")


def _surrogate_at(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return (where or "body") if _SURROGATE.search(value) else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return where or "body"
            items.append((key, item))
    elif isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    for name, item in items:
        found = _surrogate_at(item, f"{where}.{name}" if where else name)
        if found is not None:
            return found
    return None


def is_json(content_type: bytes | None) -> bool:
    """Whether a Content-Type names JSON (application/json or application/*+json)."""
    if content_type is None:
        return False
    message = email.message.Message()
    message["content-type"] = content_type.decode("latin-1")
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class BodySizeLimit:
    """Answer 413 as soon as a body is known to exceed the limit, declared or streamed, and 400
    for a JSON body that nests deeper than MAX_JSON_DEPTH."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; read a streamed (chunked) or JSON body first, up to the
        limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        # The server holds a body to its declared length, so the header is enough.
        if declared is not None and (
            not declared.isdigit() or len(declared) > 18 or int(declared) > self.max_bytes
        ):
            await self._refuse(scope, send)
            return
        chunked = declared is None and b"transfer-encoding" in headers
        coding = headers.get(b"content-encoding", b"").strip().lower()
        if coding not in (b"", b"identity") and (chunked or declared not in (None, b"0")):
            # A compressed body would reach the JSON parser as bytes that are not UTF-8 and be
            # refused as unreadable; RFC 9110 (15.5.16) answers 415 naming what is taken.
            more = await self._drain(receive, {"type": "http.request", "more_body": True})
            await self._unsupported_coding(scope, send, coding, close=more)
            return
        json_body = is_json(headers.get(b"content-type"))
        if not chunked and not (json_body and declared is not None):
            await self.app(scope, receive, send)
            return
        # A chunked body is read here, not counted while the app reads it: raised inside the
        # app's read, the refusal would become the framework's 400 "error parsing the body".
        # A JSON body is read here too, to measure its depth before the parser recurses.
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
        if json_body:
            body = b"".join(chunks)
            depth = json_depth(body)
            if depth > MAX_JSON_DEPTH:
                await self._too_deep(scope, send, depth)
                return
            where = lone_surrogate(body)
            if where is not None:
                await self._not_unicode(scope, send, where)
                return
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
        detail = f"The request body is larger than the {self.max_bytes} bytes accepted."
        # The rest of the body is unread: the connection cannot serve another.
        await _problem(scope, send, 413, detail, close=more)

    async def _unsupported_coding(
        self, scope: Scope, send: Send, coding: bytes, *, close: bool
    ) -> None:
        detail = (
            f"The request body is sent with Content-Encoding {coding.decode('latin-1')}, which "
            "is not accepted: send it uncompressed."
        )
        identity = [(b"accept-encoding", b"identity")]
        await _problem(scope, send, 415, detail, close=close, headers=identity)

    async def _too_deep(self, scope: Scope, send: Send, depth: int) -> None:
        detail = (
            f"The request body nests arrays and objects {depth} levels deep; at most "
            f"{MAX_JSON_DEPTH} are accepted."
        )
        await _problem(scope, send, 400, detail, close=False)

    async def _not_unicode(self, scope: Scope, send: Send, where: str) -> None:
        detail = (
            f"The request body is not Unicode text: {where} holds a lone UTF-16 surrogate "
            "(such as \\ud800 without its pair), which no text can store."
        )
        await _problem(scope, send, 400, detail, close=False)


async def _problem(
    scope: Scope,
    send: Send,
    status: int,
    detail: str,
    *,
    close: bool,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer a problem document before the app runs (no request object exists yet)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title_of(status),
        "status": status,
        "detail": detail,
        "instance": scope.get("path"),
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                *([(b"connection", b"close")] if close else []),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
