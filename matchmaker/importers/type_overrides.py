"""Reviewed per-organisation stakeholder types that the CORDIS type rules cannot read from a name.

Consulted before the rules (see `classify.classify` and docs/import.md, "Overrides"). Keep this
table small and reviewed: one row per organisation a user reported misfiled, each with the
evidence. It is not a way to fit the labelled sample (tests/data/labelled_organisations.csv):
a test fails if a row names a labelled organisation, so the rules' measured accuracy stays
the rules' own.
"""

from collections.abc import Mapping
from typing import NamedTuple

from models.common import StakeholderType


class Override(NamedTuple):
    """The type an organisation gets whatever its CORDIS code and name say, and why."""

    stakeholder_type: StakeholderType
    name: str  # CORDIS's name when the row was reviewed; a test checks the demo still has it
    reason: str


# CORDIS organisationID → override.
TYPE_OVERRIDES: Mapping[str, Override] = {
    "886718614": Override(
        StakeholderType.other,
        "ETICAS DATA SOCIETY",
        "Issue 20: a data-ethics foundation (Fundación Eticas; its Spanish tax number, "
        "ESG67267120, starts with G, the letter of associations and foundations) that audits "
        "algorithms and campaigns on data protection. CORDIS files it as a research "
        "organisation (REC), so the rules made it academia; it is neither a university nor a "
        "research institute, and, being non-profit, not a company either.",
    ),
}
