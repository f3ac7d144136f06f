"""A call's stakeholder mix read from its text, offered to the coordinator and never imposed.

Work programmes name who a consortium should bring in ("patient organisations", "SMEs",
"regulators", "hospitals") in a call's scope and expected outcomes. `suggest_requirements` turns
those mentions into a proposal of one partner of each type named; the API returns it as
`suggested_requirements` when a call is created without `required_stakeholders`, and nothing is
stored until the coordinator confirms it.
"""

import re

from models.common import StakeholderType

_S = r"[\s-]+"  # the words of a phrase, apart by spaces, line breaks or hyphens
_ORGANISATIONS = r"organi[sz]ations?"

# Each type's variants, matched whole-word (so "smell" is no SME and "hospitality" no hospital)
# and without case, except the acronyms, which match as written.
_PATTERNS: dict[StakeholderType, tuple[re.Pattern[str], ...]] = {
    StakeholderType.academia: (
        re.compile(
            rf"\b(?:universit(?:y|ies)|academia|academic{_S}(?:partners?|institutions?|groups?)"
            rf"|research{_S}(?:{_ORGANISATIONS}|institutes?|institutions?))\b",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.industry: (
        re.compile(
            rf"\b(?:industry|industries|industrial{_S}partners?"
            rf"|pharma(?:ceutical)?{_S}(?:compan(?:y|ies)|industry))\b",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.sme: (
        re.compile(r"\bSMEs?\b"),
        re.compile(
            rf"\b(?:small{_S}(?:and|&){_S}medium(?:{_S}sized)?{_S}(?:enterprises?|companies)"
            rf"|start(?:{_S})?ups?)\b",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.patient_organisation: (
        re.compile(
            rf"\bpatients?['\u2019]?{_S}(?:{_ORGANISATIONS}|associations?"
            rf"|advocacy{_S}(?:groups?|{_ORGANISATIONS}))(?!\w)",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.regulator: (
        re.compile(rf"\bHTA{_S}(?:bod(?:y|ies)|agenc(?:y|ies))\b"),
        re.compile(
            rf"\b(?:regulators?|regulatory{_S}(?:agenc(?:y|ies)|authorit(?:y|ies)|bod(?:y|ies))"
            rf"|health{_S}technology{_S}assessment{_S}(?:bod(?:y|ies)|agenc(?:y|ies)))\b",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.healthcare_provider: (
        re.compile(
            rf"\b(?:hospitals?|health(?:{_S})?care{_S}providers?"
            rf"|clinical{_S}(?:centres?|centers?|sites?))\b",
            re.IGNORECASE,
        ),
    ),
    StakeholderType.public_body: (
        re.compile(
            rf"\bpublic{_S}(?:health{_S})?(?:authorit(?:y|ies)|bod(?:y|ies)|administrations?)\b",
            re.IGNORECASE,
        ),
    ),
}


def suggest_requirements(*texts: str | None) -> dict[StakeholderType, int]:
    """One partner of each stakeholder type the texts name, in the types' order; {} for none.

    "with patient organisations, SMEs and hospitals" gives
    ``{sme: 1, patient_organisation: 1, healthcare_provider: 1}``.
    """
    text = "\n".join(part for part in texts if part)
    return {
        kind: 1
        for kind, patterns in _PATTERNS.items()
        if any(pattern.search(text) for pattern in patterns)
    }
