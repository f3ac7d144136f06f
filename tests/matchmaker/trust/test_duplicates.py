"""A website's host: the one answer that duplicate detection and the CORDIS type rules share."""

import pytest

from matchmaker.trust.duplicates import website_host


@pytest.mark.parametrize(
    ("website", "host"),
    [
        ("https://www.VTT.fi/en/", "vtt.fi"),
        ("www.charite.de", "charite.de"),
        ("  http://example.org./about ", "example.org"),
        ("https://[not-an-address", None),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_website_host_is_the_lower_case_host_without_www_with_or_without_a_scheme(
    website: str | None, host: str | None
) -> None:
    """Written as CORDIS writes them (no scheme) or as stored (with one), the same host."""
    assert website_host(website) == host
