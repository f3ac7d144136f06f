"""Count how many CORDIS topics use each term: the call-frequency table shipped in the package.

    python -m benchmarks.call_terms [--data-dir DIR] [--write]

Reads topics.csv of the CORDIS development data (EU research topics outside health; data
(c) European Union, CORDIS, CC BY 4.0), builds each topic's call text as an imported call's
(`call_from_topic`, `call_text`), counts in how many of them each term of the profile index's
analyzer appears, and prints the table's size and its commonest terms. With --write it
replaces `matchmaker/matching/call_terms.json` (see `matchmaker.matching.call_terms`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

from matchmaker.importers.cordis import TOPICS_FILE, call_from_topic
from matchmaker.importers.csv_source import open_csv
from matchmaker.matching import call_terms
from matchmaker.matching.call_terms import MIN_CALLS, CallTerms
from matchmaker.matching.profile_index import new_matcher
from matchmaker.matching.text import call_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
SHIPPED = Path(call_terms.__file__).with_name(call_terms.SHIPPED_FILE)


def topic_texts(folder: Path) -> list[str]:
    """The call text of every topic with a description, once per topic code."""
    texts: dict[str, str] = {}
    with open_csv(folder / TOPICS_FILE, required=("topic", "topicTitle")) as rows:
        for _, row in rows:
            code = row["topic"].strip()
            if code in texts or not row.get("description", "").strip():
                continue
            try:
                call = call_from_topic(row)
            except ValueError:
                continue
            texts[code] = call_text(SimpleNamespace(**call))
    return list(texts.values())


def main() -> None:
    """Count, print and optionally write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    analyze = new_matcher().analyzer()
    table = CallTerms.count(topic_texts(args.data_dir), analyze)
    kept = sum(1 for n in table.frequencies.values() if n >= MIN_CALLS)
    print(f"{table.calls} topics, {len(table.frequencies)} terms, {kept} used by >= {MIN_CALLS}")
    common = sorted(table.frequencies.items(), key=lambda item: -item[1])[:20]
    print("commonest:", ", ".join(f"{term} ({n})" for term, n in common))
    if args.write:
        about = (
            f"Per term, how many of {table.calls} EU CORDIS topics (Horizon 2020 and Horizon "
            "Europe, outside health) use it; data (c) European Union, CORDIS, CC BY 4.0. Made by "
            "`python -m benchmarks.call_terms --write`; see matchmaker/matching/call_terms.py."
        )
        SHIPPED.write_text(table.to_json(about), encoding="utf-8")
        print(f"Wrote {SHIPPED} ({SHIPPED.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
