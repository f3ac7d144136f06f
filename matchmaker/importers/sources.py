"""Where an import reads from: a local file or a URL (downloaded to a temporary file, at most
MAX_DOWNLOAD_BYTES), whether it holds JSON or CSV, and a JSON list read whole."""

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from matchmaker.importers.csv_source import SourceError
from matchmaker.importers.portal import calls_from_search, is_search_response

MAX_DOWNLOAD_BYTES = 200_000_000
HTTP_TIMEOUT_SECONDS = 30.0


def _is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


@contextmanager
def open_source(
    source: str | Path, client: httpx.Client | None
) -> Iterator[tuple[str, IO[bytes], int, bool]]:
    """Yield (display name, binary stream, size, looks like JSON) for a path or a URL."""
    if _is_url(source):
        url = str(source)
        with _download(url, client) as (stream, size, content_type):
            name = Path(urlsplit(url).path).name or url
            yield name, stream, size, _looks_like_json(name, content_type, stream)
        return
    path = Path(source)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise SourceError(f"Cannot read {path}: {error.strerror or error}.") from None
    with stream:
        size = path.stat().st_size
        yield path.name, stream, size, _looks_like_json(path.name, "", stream)


@contextmanager
def _download(url: str, client: httpx.Client | None) -> Iterator[tuple[IO[bytes], int, str]]:
    # Spooled to a temporary file, so that memory stays flat and the CSV reader sees the
    # line breaks inside quoted fields exactly as sent.
    own_client = client is None
    http = client or httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True)
    try:
        with tempfile.TemporaryFile() as buffer:
            try:
                with http.stream("GET", url) as response:
                    if response.status_code >= 400:
                        raise SourceError(
                            f"Could not fetch {url}: HTTP {response.status_code} "
                            f"{response.reason_phrase}."
                        )
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_DOWNLOAD_BYTES:
                            raise SourceError(
                                f"{url} is larger than {MAX_DOWNLOAD_BYTES:,} bytes; "
                                "download it and import the file."
                            )
                        buffer.write(chunk)
                    content_type = response.headers.get("content-type", "")
            except httpx.HTTPError as error:
                reason = str(error) or type(error).__name__
                raise SourceError(f"Could not fetch {url}: {reason}.") from None
            buffer.seek(0)
            yield buffer, size, content_type
    finally:
        if own_client:
            http.close()


def _looks_like_json(name: str, content_type: str, stream: IO[bytes]) -> bool:
    lowered = name.lower()
    if lowered.endswith(".json") or "json" in content_type.lower():
        return True
    if lowered.endswith(".csv") or "csv" in content_type.lower():
        return False
    start = stream.read(64)
    stream.seek(0)
    return start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"[", b"{"))


def json_items(name: str, stream: IO[bytes], *, portal: bool = False) -> list[Any]:
    # JSON lists of calls or profiles are parsed whole: they are small next to the CSV files.
    try:
        items = json.loads(stream.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{name} is not valid JSON: {error}.") from None
    if portal and is_search_response(items):
        return calls_from_search(items)
    if not isinstance(items, list):
        raise SourceError(f"{name} must hold a JSON list.")
    return items
