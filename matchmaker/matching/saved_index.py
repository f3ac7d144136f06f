"""Save a fitted index to a folder and map it back, shared between processes.

What is saved is a `TfidfMatcher` or a whole `ProfileIndex` (its text index, track records,
facets and past-project memberships); `load` is told which kind it expects.

A saved index is a cache of the database: `key` names the database state it reflects (the
caller passes e.g. the latest change-log id and the schema revision), and `load` returns None
unless the folder holds an index this module wrote for exactly that key. Nothing is unpickled:
the arrays are ``.npy`` files read with ``allow_pickle=False`` and everything else is JSON.

Layout, one folder per key under the configured folder::

    <folder>/tfidf-<sha256(key)[:16]>/
        manifest.json   format, version, key, matcher parameters, the words the fit left
                        out as too common, the name, dtype and shape of every array, the
                        SHA-256 of every other file, and its own SHA-256
        terms.json      the vocabulary, a JSON list of terms (term j is column j), the
                        words added since the fit included
        *.npy           CSC and CSR arrays, ids, id order, idf, touched ids

`save` writes a temporary folder beside it, syncs every file to disk and renames it into place,
so a reader never sees a half-written index, then deletes the folders of other keys and what
an interrupted save left behind. `load` reads every file's checksum back before using it: a
file torn by a crash or corrupted on disk makes `load` return None (the caller refits), never
a crash or an index of garbage. It memory-maps the arrays read-only
(``np.load(mmap_mode="r")``): worker processes that load the same index share one copy
through the page cache (the checksum reads warm that cache). Updates after a load never write
into those maps: upserts go to the delta block and every per-row array that changes is copied
first (copy-on-write).
"""

import contextlib
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final, TextIO, TypeVar

import numpy as np

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

from matchmaker.matching.profile_index import ProfileIndex
from matchmaker.matching.text_index import TfidfMatcher

FORMAT: Final = "matchmaker.tfidf-index"
FORMAT_VERSION: Final = 10
MANIFEST: Final = "manifest.json"
TERMS: Final = "terms.json"
_PREFIX: Final = "tfidf-"

logger = logging.getLogger(__name__)


def index_path(folder: str | os.PathLike[str], key: str) -> Path:
    """Return the folder that holds (or would hold) the index saved under `key`."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(folder) / f"{_PREFIX}{digest}"


Saved = TypeVar("Saved", TfidfMatcher, ProfileIndex)


def save(index: TfidfMatcher | ProfileIndex, folder: str | os.PathLike[str], key: str) -> Path:
    """Write the index (compacted) under `folder` for `key`; return its folder.

    Raises OSError when the folder cannot be written (a full disk), leaving no partial index.
    Processes that share the folder save under `locked`: a save removes what an interrupted
    one left behind.
    """
    arrays, meta = index._export()
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    target = index_path(root, key)
    temporary = root / f".{target.name}.{uuid.uuid4().hex}.tmp"
    temporary.mkdir()
    try:
        manifest_arrays = {}
        checksums = {}
        for name, array in arrays.items():
            path = temporary / f"{name}.npy"
            with path.open("wb") as handle:
                np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
                _sync(handle)
            manifest_arrays[name] = {"dtype": array.dtype.str, "shape": list(array.shape)}
            checksums[path.name] = _checksum(path)
        _write_json(temporary / TERMS, meta.pop("terms"))
        checksums[TERMS] = _checksum(temporary / TERMS)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "key": key,
            "kind": type(index).__name__,
            "arrays": manifest_arrays,
            "checksums": checksums,
            **meta,
        }
        # The manifest goes last: a folder without one is never loaded.
        _write_json(temporary / MANIFEST, signed(manifest))
        _replace_folder(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    for other in root.glob(f"{_PREFIX}*"):
        # Processes that mapped an older index keep their pages until they drop it.
        if other != target and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    for leftover in (*root.glob(f".{_PREFIX}*.tmp"), *root.glob(f".{_PREFIX}*.old")):
        # A save killed half-way (or out of space) leaves its temporary folder behind.
        if leftover.is_dir() and leftover != temporary:
            shutil.rmtree(leftover, ignore_errors=True)
    return target


def load(
    folder: str | os.PathLike[str], key: str, kind: type[Saved] = TfidfMatcher
) -> Saved | None:
    """Return the index of `kind` saved under `folder` for `key`, memory-mapped, else None.

    None when nothing was saved for `key`, or the folder holds another kind, or was not
    written by this module's format version, or any file is missing, truncated, fails its
    checksum or is inconsistent with the manifest: each is logged, and the caller refits.
    """
    path = index_path(folder, key)
    if not (path / MANIFEST).is_file():
        return None
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if not _is_manifest(manifest, key, kind.__name__):
            logger.warning(
                "ignoring index %s: not a version %d %s index for this key",
                path,
                FORMAT_VERSION,
                kind.__name__,
            )
            return None
        if not _is_signed(manifest):
            raise ValueError("manifest.json fails its checksum")
        _check_files(path, manifest)
        arrays = {
            name: _mapped(path / f"{name}.npy", spec) for name, spec in manifest["arrays"].items()
        }
        terms = json.loads((path / TERMS).read_text(encoding="utf-8"))
        _check_consistent(manifest, arrays, terms)
        return kind._restore(arrays, {**manifest, "terms": terms})
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        logger.warning("ignoring unreadable index %s: %s", path, error)
        return None


class FolderUnusable(OSError):
    """The index folder cannot be created or written (a read-only or root-owned volume)."""


@contextlib.contextmanager
def locked(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the folder's lock, exclusive across processes and threads, for a load-or-build.

    An advisory `flock` on ``<folder>/.lock`` (POSIX); where there is none, no lock is taken
    and concurrent builders each fit and save the same index, which is wasteful, not wrong.
    """
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = (root / ".lock").open("a")
    except OSError as error:
        raise FolderUnusable(f"cannot use {root} for the matching index: {error}") from error
    with handle:
        if fcntl is None:
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def signed(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with its own checksum, over its other fields, added."""
    body = {name: value for name, value in manifest.items() if name != "checksum"}
    return {**body, "checksum": _digest_json(body)}


def _is_signed(manifest: Any) -> bool:
    return isinstance(manifest, dict) and manifest == signed(manifest)


def _digest_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _checksum(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _check_files(path: Path, manifest: dict[str, Any]) -> None:
    """Raise ValueError unless the folder holds every file the manifest lists, intact."""
    checksums = manifest.get("checksums")
    expected = {f"{name}.npy" for name in manifest["arrays"]} | {TERMS}
    if not isinstance(checksums, dict) or set(checksums) != expected:
        raise ValueError("the manifest does not list a checksum for every file")
    for name, digest in checksums.items():
        if _checksum(path / name) != digest:
            raise ValueError(f"{name} fails its checksum (torn or corrupted)")


def _sync(handle: BinaryIO | TextIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _write_json(path: Path, value: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)
        _sync(handle)


def _replace_folder(source: Path, target: Path) -> None:
    """Move `source` to `target`, replacing an index already there (same key, same content)."""
    try:
        source.rename(target)
    except OSError:
        if not target.exists():
            raise
        retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
        target.rename(retired)
        source.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    with contextlib.suppress(OSError):
        # Make the rename durable (POSIX; directories cannot be opened on Windows).
        descriptor = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _is_manifest(manifest: Any, key: str, kind: str) -> bool:
    return (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and manifest.get("version") == FORMAT_VERSION
        and manifest.get("key") == key
        and manifest.get("kind") == kind
        and isinstance(manifest.get("arrays"), dict)
    )


def _mapped(path: Path, spec: dict[str, Any]) -> np.ndarray:
    """Memory-map one array read-only and check it against the manifest."""
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.dtype.str != spec["dtype"] or list(array.shape) != spec["shape"]:
        raise ValueError(f"{path.name} is {array.dtype.str} {array.shape}, manifest says {spec}")
    return array


def _check_consistent(manifest: dict[str, Any], arrays: dict[str, np.ndarray], terms: Any) -> None:
    """Raise ValueError unless the arrays form the index the manifest describes (O(1) checks)."""
    n_rows, n_terms = manifest["shape"]
    if not isinstance(terms, list) or len(terms) != n_terms:
        raise ValueError("terms.json does not match the vocabulary size")
    for prefix, n_pointers in (("base", n_terms + 1), ("rows", n_rows + 1)):
        indptr, indices = arrays[f"{prefix}_indptr"], arrays[f"{prefix}_indices"]
        if (
            indptr.shape != (n_pointers,)
            or indices.shape != arrays[f"{prefix}_data"].shape
            or indptr[0] != 0
            or indptr[-1] != indices.size
        ):
            raise ValueError(f"{prefix} arrays are inconsistent")
    for name in (
        "ids",
        "id_order",
        "row_order",
    ):
        if arrays[name].shape != (n_rows,):
            raise ValueError(f"{name} has {arrays[name].shape[0]} entries for {n_rows} rows")
    if arrays["idf"].shape != (n_terms,):
        raise ValueError("idf does not match the vocabulary size")
