"""README shows the screenshots `scripts/screenshots.py` takes, and no stale one is left."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def test_readme_shows_every_screenshot_and_each_exists() -> None:
    """Calls, a call's suggestions and the builder at 1280 and 390 px, all in README, none else."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", readme))
    expected = {
        f"docs/screenshots/{page}-{width}.png"
        for page in ("calls", "suggestions", "builder")
        for width in ("1280", "390")
    }

    assert shown == expected
    assert {f"docs/screenshots/{path.name}" for path in SCREENSHOTS.glob("*.png")} == expected
    for path in expected:
        assert (ROOT / path).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), path
