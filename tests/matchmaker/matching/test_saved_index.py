"""Tests of the saved matcher index: round trip, keys, refusals and shared memory maps."""

import ast
import hashlib
import importlib
import json
import logging
import pickle
import resource
from pathlib import Path

import numpy as np
import pytest

from matchmaker.matching import saved_index as index_store
from matchmaker.matching.profile_index import ProfileIndex
from matchmaker.matching.saved_index import load, save
from matchmaker.matching.service import INDEX_MODULES
from matchmaker.matching.text_index import Match, TfidfMatcher
from tests.helpers import Profile

PROFILES = {
    1: ("Oncology SME building AI software that reads tumour biopsies and cancer images.", "sme"),
    2: ("University cardiology department studying heart failure and cardiac imaging.", "uni"),
    3: ("Hospital oncology unit running cancer clinical trials and tumour biobanks.", "hospital"),
    4: ("Agritech company optimising irrigation with soil sensors for farmers.", "sme"),
    5: ("Patient organisation for people living with rare diseases and their carers.", None),
}
CALL = "AI analysis of tumour biopsies and cancer imaging for oncology clinics"
KEY = "changelog:42 schema:20260101_organisations"


def fitted() -> TfidfMatcher:
    """Fit a matcher on the texts of PROFILES."""
    return TfidfMatcher().fit(list(PROFILES), [text for text, _ in PROFILES.values()])


def results(matches: list[Match]) -> list[tuple[int, float, list[tuple[str, float]]]]:
    """Return matches as plain tuples, so results of two matchers compare exactly."""
    return [(m.id, m.score, [(t.term, t.weight) for t in m.matched_terms]) for m in matches]


def resign(path: Path) -> None:
    """Recompute the manifest's checksums after a test edited files, as if this module had
    written them, so that the checks behind the checksums are what refuses the folder."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["checksums"] = {
        name: hashlib.sha256((path / name).read_bytes()).hexdigest()
        for name in manifest["checksums"]
    }
    (path / "manifest.json").write_text(json.dumps(index_store.signed(manifest)))


def test_round_trip_gives_identical_results(tmp_path: Path) -> None:
    """A loaded index ranks, restricts, explains and scores exactly like the saved one."""
    matcher = fitted()

    save(matcher, tmp_path, KEY)
    loaded = load(tmp_path, KEY)

    assert loaded is not None
    assert results(loaded.query(CALL, k=5)) == results(matcher.query(CALL, k=5))
    smes = [i for i, (_, kind) in PROFILES.items() if kind == "sme"]
    assert results(loaded.query(CALL, k=5, include_ids=smes)) == results(
        matcher.query(CALL, k=5, include_ids=smes)
    )
    assert results(loaded.similar(3, k=5)) == results(matcher.similar(3, k=5))
    np.testing.assert_array_equal(
        loaded.score_ids(CALL, [1, 3, 9]), matcher.score_ids(CALL, [1, 3, 9])
    )
    assert loaded.ids().tolist() == [1, 2, 3, 4, 5]
    assert loaded.vocabulary_size == matcher.vocabulary_size
    assert loaded.fitted_at == matcher.fitted_at
    assert loaded.get_params() == matcher.get_params()
    assert (loaded.document_matrix() != matcher.document_matrix()).nnz == 0


def test_round_trip_after_updates_keeps_them_and_the_drift(tmp_path: Path) -> None:
    """Upserts and removals made before saving are in the saved index, drift included."""
    matcher = fitted()
    matcher.upsert(6, "Cancer imaging start-up with tumour AI")
    matcher.remove(1)
    save(matcher, tmp_path, KEY)

    loaded = load(tmp_path, KEY)

    assert loaded is not None
    assert results(loaded.query(CALL, k=5)) == results(matcher.query(CALL, k=5))
    assert loaded.ids().tolist() == [2, 3, 4, 5, 6]
    assert loaded.drift == matcher.drift == 2 / 6


def test_wrong_key_gives_none(tmp_path: Path) -> None:
    """An index saved for another database state is not loaded."""
    save(fitted(), tmp_path, KEY)

    assert load(tmp_path, "changelog:43 schema:20260101_organisations") is None


def test_empty_or_missing_folder_gives_none(tmp_path: Path) -> None:
    """Nothing saved yet gives None, not an error."""
    assert load(tmp_path, KEY) is None
    assert load(tmp_path / "absent", KEY) is None


def test_manifest_of_another_format_gives_none(tmp_path: Path) -> None:
    """A folder with a manifest this module did not write (or an older version) is ignored."""
    path = save(fitted(), tmp_path, KEY)
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps(index_store.signed({**manifest, "version": 0})))

    assert load(tmp_path, KEY) is None


def test_garbled_manifest_gives_none(tmp_path: Path) -> None:
    """A manifest that is not JSON is ignored."""
    path = save(fitted(), tmp_path, KEY)
    (path / "manifest.json").write_text("{not json")

    assert load(tmp_path, KEY) is None


def test_truncated_array_gives_none(tmp_path: Path) -> None:
    """An array whose shape disagrees with the manifest is refused."""
    path = save(fitted(), tmp_path, KEY)
    data = np.load(path / "base_data.npy")
    np.save(path / "base_data.npy", data[:-1])
    resign(path)

    assert load(tmp_path, KEY) is None


def test_missing_array_gives_none(tmp_path: Path) -> None:
    """An index folder with a missing file is refused."""
    path = save(fitted(), tmp_path, KEY)
    (path / "rows_indices.npy").unlink()

    assert load(tmp_path, KEY) is None


def test_pickled_array_is_never_unpickled(tmp_path: Path) -> None:
    """An .npy file holding pickled objects is refused, not executed."""
    path = save(fitted(), tmp_path, KEY)
    np.save(path / "ids.npy", np.array([object()] * 5, dtype=object), allow_pickle=True)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["arrays"]["ids"] = {"dtype": "|O", "shape": [5]}
    (path / "manifest.json").write_text(json.dumps(manifest))
    resign(path)

    assert load(tmp_path, KEY) is None


def test_corrupted_array_fails_its_checksum_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes flipped inside an array, shape and dtype intact, refuse the index (no garbage)."""
    path = save(fitted(), tmp_path, KEY)
    data = bytearray((path / "base_data.npy").read_bytes())
    data[-3] ^= 0xFF
    (path / "base_data.npy").write_bytes(bytes(data))

    with caplog.at_level(logging.WARNING):
        assert load(tmp_path, KEY) is None

    assert "base_data.npy fails its checksum (torn or corrupted)" in caplog.text


@pytest.mark.parametrize("name", ["terms.json", "ids.npy", "manifest.json"])
def test_torn_file_gives_none(tmp_path: Path, name: str) -> None:
    """A file cut short (a crash between write and sync) refuses the index, whichever it is."""
    path = save(fitted(), tmp_path, KEY)
    data = (path / name).read_bytes()
    (path / name).write_bytes(data[: len(data) // 2])

    assert load(tmp_path, KEY) is None


def test_edited_manifest_fails_its_own_checksum(tmp_path: Path) -> None:
    """A manifest changed after the save, still valid JSON, is refused."""
    path = save(fitted(), tmp_path, KEY)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["shape"][0] += 1
    (path / "manifest.json").write_text(json.dumps(manifest))

    assert load(tmp_path, KEY) is None


def test_save_on_a_full_disk_raises_and_leaves_no_partial_index(tmp_path: Path) -> None:
    """Out of space half-way (a file-size limit stands in), save raises and leaves nothing."""
    matcher = fitted()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, hard))
    try:
        with pytest.raises(OSError, match="File too large"):
            save(matcher, tmp_path, KEY)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    assert list(tmp_path.iterdir()) == []
    assert load(tmp_path, KEY) is None


def test_save_removes_what_an_interrupted_save_left(tmp_path: Path) -> None:
    """Temporary folders of a save killed half-way are removed by the next save."""
    leftover = tmp_path / ".tfidf-0123456789abcdef.feed.tmp"
    leftover.mkdir()
    (leftover / "base_data.npy").write_bytes(b"\x93NUMPY")

    path = save(fitted(), tmp_path, KEY)

    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_loaded_base_arrays_are_read_only_memory_maps(tmp_path: Path) -> None:
    """The big arrays are mapped from the files, so processes share them via the page cache."""
    save(fitted(), tmp_path, KEY)

    loaded = load(tmp_path, KEY)

    assert loaded is not None
    assert loaded._snapshot is not None
    snapshot = loaded._snapshot.postings
    for array in (
        snapshot.base.data,
        snapshot.base.indices,
        snapshot.base.indptr,
        snapshot.base_rows.data,
        snapshot.base_rows.indices,
        snapshot.base_rows.indptr,
        snapshot.ids,
    ):
        assert isinstance(array, np.memmap)
        assert not array.flags.writeable


def test_upsert_remove_and_compact_after_load_work(tmp_path: Path) -> None:
    """Updates after a load go to copies and the delta; the mapped files never change."""
    save(fitted(), tmp_path, KEY)
    loaded = load(tmp_path, KEY)
    assert loaded is not None
    before = np.load(index_store.index_path(tmp_path, KEY) / "base_data.npy")

    loaded.upsert(6, "Cancer imaging start-up with tumour AI")
    loaded.upsert(2, "Cardiology and cancer imaging department")
    assert loaded.remove(1)
    updated = [m.id for m in loaded.query(CALL, k=5)]
    loaded.compact()

    assert updated[0] == 6
    assert 1 not in updated
    assert [m.id for m in loaded.query(CALL, k=5)] == updated
    assert loaded.ids().tolist() == [2, 3, 4, 5, 6]
    after = np.load(index_store.index_path(tmp_path, KEY) / "base_data.npy")
    np.testing.assert_array_equal(after, before)


def test_saving_another_key_replaces_the_old_index(tmp_path: Path) -> None:
    """Only the newest database state stays on disk."""
    matcher = fitted()
    first = save(matcher, tmp_path, KEY)
    matcher.upsert(6, "Cancer imaging start-up")

    second = save(matcher, tmp_path, "changelog:43 schema:20260101_organisations")

    assert not first.exists()
    assert [p.name for p in tmp_path.iterdir()] == [second.name]
    assert load(tmp_path, KEY) is None
    reloaded = load(tmp_path, "changelog:43 schema:20260101_organisations")
    assert reloaded is not None
    assert 6 in reloaded


def test_saving_the_same_key_twice_replaces_it_in_place(tmp_path: Path) -> None:
    """Saving again under one key leaves one complete index and no temporary folders."""
    matcher = fitted()
    save(matcher, tmp_path, KEY)

    path = save(matcher, tmp_path, KEY)

    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert load(tmp_path, KEY) is not None


def test_loaded_matcher_can_be_pickled_and_refitted(tmp_path: Path) -> None:
    """A loaded matcher behaves like a fitted one: pickling and refitting work."""
    save(fitted(), tmp_path, KEY)
    loaded = load(tmp_path, KEY)
    assert loaded is not None

    copy = pickle.loads(pickle.dumps(loaded))
    loaded.fit([7, 8], ["tumour biopsies", "soil sensors"])

    assert [m.id for m in copy.query(CALL, k=1)] == [1]
    assert [m.id for m in loaded.query(CALL, k=1)] == [7]


@pytest.mark.parametrize("texts", [[], ["the and of", "of the"]])
def test_index_without_vocabulary_round_trips(tmp_path: Path, texts: list[str]) -> None:
    """An empty corpus or one of stop words only saves and loads, and returns nothing."""
    save(TfidfMatcher().fit(range(len(texts)), texts), tmp_path, KEY)

    loaded = load(tmp_path, KEY)

    assert loaded is not None
    assert loaded.query(CALL) == []
    assert loaded.n_documents == len(texts)


def test_a_profile_index_is_loaded_only_as_a_profile_index(tmp_path: Path) -> None:
    """Records and facets come back; asking for a plain matcher under that key gives None."""
    profiles = [
        Profile("", text, activities=({"title": f"t{i % 2}"},))
        for i, (text, _) in enumerate(PROFILES.values())
    ]
    kinds = [kind for _, kind in PROFILES.values()]
    index = ProfileIndex().fit(list(PROFILES), profiles, {"stakeholder_type": kinds})

    save(index, tmp_path, KEY)
    loaded = load(tmp_path, KEY, ProfileIndex)

    assert load(tmp_path, KEY) is None
    assert loaded is not None
    assert loaded.mapped
    filters = {"stakeholder_type": {"sme"}}
    for kwargs in ({}, {"filters": filters}, {"partner_ids": [1]}):
        assert loaded.rank(CALL, k=5, **kwargs) == index.rank(CALL, k=5, **kwargs)
    assert loaded.past_partners([1]) == index.past_partners([1])
    assert loaded.past_partners([1]).shared == {3: 1, 5: 1}


def _package_imports(module: str) -> set[str]:
    """The modules of `matchmaker.matching` that `module` imports, directly or through them."""
    found: set[str] = set()
    waiting = [module]
    while waiting:
        name = waiting.pop()
        source = Path(str(importlib.import_module(name).__file__)).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for imported in names:
                if imported.startswith("matchmaker.matching.") and imported not in found:
                    try:
                        importlib.import_module(imported)
                    except ModuleNotFoundError:
                        continue  # a name imported from a module, not a module
                    found.add(imported)
                    waiting.append(imported)
    return found


def test_a_saved_index_is_keyed_to_every_module_that_builds_it() -> None:
    """Each module the profile index's code reaches is in the saved index's key: a change to
    any of them (the per-profile table's, say) makes a service fit afresh, never map arrays
    another version of the code wrote."""
    keyed = {module.__name__ for module in INDEX_MODULES}
    reached = _package_imports("matchmaker.matching.profile_index")
    assert "matchmaker.matching.profile_record" in reached
    assert reached - keyed == set()
