"""What a saved search hears of: its relevance rule against the one before, on CORDIS.

Run from the repository root::

    python -m benchmarks.saved_searches [--data-dir PATH] [--alone 200]

The searches are the titles of the CORDIS projects whose topic has a text (short texts, as a
saved search is: "Liquid biopsy for early detection of ..."); the new calls are those topics
(title and text, as `call_item` makes them). A search should hear of its own project's topic,
and as few others as it can. For each rule, in one run:

- the share of searches whose own topic ranks first, or in the top 5, among all topics by
  relevance (the ranking);
- at each threshold, the share of searches that hear of their own topic and how many other
  topics each hears of, on average (what the e-mails say).

The rules:

- **now**: `SearchIndex`, the product (`saved_searches.relevance`: the two texts' cosine, each
  weighed over all its own terms with the call-frequency weights of the shipped table and the
  stored calls, here the topics). Its scores do not
  depend on which other searches are saved (checked: the `--alone` sample scored alone agrees);
- **before, every search saved**: the rule before session 19, a `TfidfMatcher` fitted on the
  saved searches' texts and the item as its query (its words no search used left out of its
  length), with all the searches saved at once, as on a busy deployment;
- **before, the search saved alone**: the same rule with only that search saved, as on a new
  deployment (`--alone` searches drawn with a fixed seed; each one index).
"""

import argparse
import csv
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.matching import DEFAULT_DATA_DIR
from matchmaker.importers.cordis import PROJECTS_FILE, TOPICS_FILE, call_from_topic, one_line
from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.text_index import TfidfMatcher
from matchmaker.partnering.saved_searches import Item, SearchIndex, call_counts, call_item
from models.call import Call
from models.saved_search import DEFAULT_THRESHOLD, SavedSearch

THRESHOLDS = (0.02, DEFAULT_THRESHOLD, 0.05, 0.1, 0.2, 0.3)


def calls_and_searches(data_dir: Path) -> tuple[list[Item], list[str], np.ndarray]:
    """The topics with a text as calls, the project titles as searches, and each search's own
    topic (its row among the calls)."""
    csv.field_size_limit(sys.maxsize)
    codes: dict[str, int] = {}
    items: list[Item] = []
    with (data_dir / TOPICS_FILE).open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            code = row["topic"].strip()
            if row.get("description", "").strip() and code not in codes:
                fields = call_from_topic(row)
                call = Call(
                    identifier=code, title=fields["title"], description=fields["description"]
                )
                codes[code] = len(items)
                items.append(call_item(call))
    titles: list[str] = []
    own: list[int] = []
    with (data_dir / PROJECTS_FILE).open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            title, code = one_line(row.get("title", "")), row["topics"].strip()
            if title and code in codes:
                titles.append(title)
                own.append(codes[code])
    return items, titles, np.array(own)


def saved(texts: Sequence[str]) -> list[SavedSearch]:
    """Searches of calls with these texts, one organisation each (not stored)."""
    return [
        SavedSearch(id=n + 1, organisation_id=n + 1, target="calls", text=text, threshold=0)
        for n, text in enumerate(texts)
    ]


def product_scores(searches: list[str], items: list[Item], calls: CallTerms) -> np.ndarray:
    """Every search's relevance for every call (searches x calls), by the product's index."""
    index = SearchIndex(saved(searches), list(searches), calls)
    scores = np.zeros((len(searches), len(items)))
    for column, item in enumerate(items):
        for hit in index.match(item.text):
            scores[hit.search_id - 1, column] = hit.score
    return scores


def before_scores(searches: list[str], items: list[Item]) -> np.ndarray:
    """The same by the rule before: the searches as a TF-IDF index, each call its query."""
    ids = list(range(len(searches)))
    matcher = TfidfMatcher().fit(ids, list(searches))
    return np.column_stack([matcher.score_ids(item.text, ids) for item in items])


def summary(scores: np.ndarray, own: np.ndarray) -> dict[str, str]:
    """The table's cells for one rule."""
    rows = np.arange(len(own))
    mine = scores[rows, own]
    above = (scores > mine[:, None]).sum(axis=1)
    cells = {
        "searches": f"{len(own):,}",
        "own topic ranked first / in the top 5": f"{np.mean(above == 0):.2f} / "
        f"{np.mean(above < 5):.2f}",
    }
    for threshold in THRESHOLDS:
        hears = (mine >= threshold) & (mine > 0)
        others = ((scores >= threshold) & (scores > 0)).sum(axis=1) - hears
        cells[f"at {threshold:g}: hear of their own topic / of others, each"] = (
            f"{hears.mean():.2f} / {others.mean():.1f}"
        )
    return cells


def main(argv: Sequence[str] | None = None) -> None:
    """Score every search for every call by each rule and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--alone", type=int, default=200)
    args = parser.parse_args(argv)
    items, titles, own = calls_and_searches(args.data_dir)
    sample = sorted(random.Random(19).sample(range(len(titles)), min(args.alone, len(titles))))
    # The calls are stored before they are announced: their counts weigh terms, with the table's.
    calls = call_counts(item.text for item in items)
    started = time.perf_counter()
    now = product_scores(titles, items, calls)
    now_seconds = time.perf_counter() - started
    started = time.perf_counter()
    crowded = before_scores(titles, items)
    before_seconds = time.perf_counter() - started
    alone = np.vstack([before_scores([titles[n]], items) for n in sample])
    now_alone = np.vstack([product_scores([titles[n]], items, calls) for n in sample])
    agree = bool(np.allclose(now_alone, now[sample]))
    columns = {
        "now": summary(now, own),
        "before, every search saved": summary(crowded, own),
        "before, the search saved alone": summary(alone, own[sample]),
        "now, the same searches alone": summary(now_alone, own[sample]),
    }
    print(f"{len(items)} calls, {len(titles)} searches; every search scored alone as with the")
    print(f"others: {'yes' if agree else 'NO'}; every call matched in {now_seconds:.1f} s now,")
    print(f"{before_seconds:.1f} s before\n")
    metrics = list(columns["now"])
    width = max(map(len, metrics))
    widths = [max(len(name), *map(len, cells.values())) for name, cells in columns.items()]
    names = [name.rjust(w) for name, w in zip(columns, widths, strict=True)]
    print(" | ".join(["measure".ljust(width), *names]))
    for metric in metrics:
        cells = [columns[name][metric].rjust(w) for name, w in zip(columns, widths, strict=True)]
        print(" | ".join([metric.ljust(width), *cells]))


if __name__ == "__main__":
    main()
