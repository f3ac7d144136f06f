"""The command line starts without the matching stack: the commands that do not rank (`db`,
`keys`, `import`, `notify`, `--help`) load scikit-learn only when they use it."""

import json
import subprocess
import sys

# What `matchmaker` loads before it reads its arguments, in a process of its own.
LOADED = (
    "import json, sys\n"
    "import matchmaker.cli.main\n"
    "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] == 'sklearn')))\n"
)


def test_the_command_line_starts_without_scikit_learn() -> None:
    """scikit-learn took 1.4 s of every command's start, though only `serve`, `evaluate` and
    `notify run` use it; they import it when they run."""
    shown = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(shown.stdout) == []
