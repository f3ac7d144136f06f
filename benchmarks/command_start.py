"""How long a `matchmaker` command takes to start, against the interpreter's own start.

Run from the repository root::

    python -m benchmarks.command_start [--runs 7]

Each row starts a fresh process `--runs` times and prints the median and the slowest wall-clock
seconds. In the same run, as baselines:

- **python**: the interpreter alone (`python -c pass`), the floor of every command;
- **scikit-learn**: the interpreter importing `sklearn.feature_extraction.text` and nothing
  else, the cost a command pays when it loads the matching stack;
- **matchmaker --help**, **db --help**, **import cordis --help**, **notify run --help**: the
  command line reading its arguments, which is what every command does before its work.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The command as installed (`pip install -e .` puts it beside the interpreter).
MATCHMAKER = str(Path(sys.executable).with_name("matchmaker"))
PYTHON = sys.executable

ROWS: list[list[str]] = [
    [PYTHON, "-c", "pass"],
    [PYTHON, "-c", "import sklearn.feature_extraction.text"],
    [MATCHMAKER, "--help"],
    [MATCHMAKER, "db", "--help"],
    [MATCHMAKER, "import", "cordis", "--help"],
    [MATCHMAKER, "notify", "run", "--help"],
]


def started(arguments: list[str]) -> float:
    """Seconds from starting a process to its exit."""
    start = time.perf_counter()
    subprocess.run(arguments, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    started([MATCHMAKER, "--help"])  # the bytecode written once, not in the first row's time
    print("| process | median s | slowest s |")
    print("|---|---|---|")
    for arguments in ROWS:
        times = [started(arguments) for _ in range(runs)]
        label = " ".join([Path(arguments[0]).name, *arguments[1:]])
        print(f"| `{label}` | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
