"""A real HTTP server on loopback that receives webhooks, checks their signatures, records them."""

import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from matchmaker.partnering.webhooks import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it, and whether its signature held."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def message_id(self) -> str:
        """The stable id the request carried."""
        return self.headers[MESSAGE_ID_HEADER.lower()]


class Receiver:
    """Answers each request with the next of `statuses` (the last one repeats), 401 when the
    signature does not verify under `secret` (when one is set). It can stall at the n-th
    request, recorded but unanswered until `released` is set: a delivery in flight."""

    def __init__(
        self,
        *,
        statuses: tuple[int, ...] = (200,),
        secret: str | None = None,
        stall_at: int | None = None,
    ) -> None:
        self.statuses = list(statuses)
        self.secret = secret
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.stall_at = stall_at
        self.released = threading.Event()

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Record a request; the status to answer it with."""
        verified = self.secret is not None and verify_signature(
            self.secret,
            timestamp=headers.get(TIMESTAMP_HEADER.lower(), ""),
            body=body,
            header=headers.get(SIGNATURE_HEADER.lower(), ""),
            now=time.time(),
        )
        with self.lock:
            self.received.append(Received(path, headers, body, verified))
            count = len(self.received)
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if count == self.stall_at:
            self.released.wait(60)
        if self.secret is not None and not verified:
            return 401
        return status

    def wait_for(self, count: int, *, seconds: float = 30) -> None:
        """Block until `count` requests arrived."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} requests arrived")
            time.sleep(0.02)


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for the host name `host` (no IP address in it), and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}"),
            *("-addext", f"subjectAltName=DNS:{host}"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def webhook_receiver(receiver: Receiver, *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `receiver` on a free loopback port in a thread (over TLS given a context); yield
    its base URL (with the loopback address as host)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.answer(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
