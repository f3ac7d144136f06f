"""Example answers shown in the API reference: one consistent story, a call and its partners.

The OpenAPI document composes each operation's example answer from these (`api.openapi`), and
`tests/api/test_openapi.py` checks that each one validates against its schema.
"""

from pydantic.json_schema import JsonDict

ORGANISATION_SUMMARY: JsonDict = {
    "id": 12,
    "name": "Oncomark Diagnostics",
    "stakeholder_type": "sme",
    "country": "NL",
    "type_verified": None,
}
ACTIVITY: JsonDict = {
    "title": "ctDNA screening in colorectal cancer",
    "summary": "Validated a methylation panel on 2,000 plasma samples.",
    "year": 2023,
    "url": "https://cordis.europa.eu/project/id/101057000",
    "role": "participant",
    "call": "HORIZON-MISS-2021-CANCER-02-01",
}
# An activity as shown: from a CORDIS record its organisation claimed, so verified.
ACTIVITY_SHOWN: JsonDict = {**ACTIVITY, "verified": True}
ORGANISATION_PUBLIC: JsonDict = {
    **ORGANISATION_SUMMARY,
    "city": "Leiden",
    "external_id": None,
    "description": "Liquid biopsy assays and circulating tumour DNA analysis for early cancer "
    "detection; clinical validation with hospital biobanks.",
    "keywords": ["liquid biopsy", "oncology", "biomarkers"],
    "activities": [ACTIVITY_SHOWN],
    "website": "https://oncomark.example/",
    "group": None,
    "ihi_contributor": None,
    "created_at": "2026-11-30T10:15:00Z",
    "updated_at": "2026-12-02T08:40:00Z",
    "version": 2,
    "confirmed_at": "2026-11-30T10:15:00Z",
    "type_verified_at": None,
    "stale": False,
}
ORGANISATION_FOUND: JsonDict = {
    **ORGANISATION_PUBLIC,
    "snippet": [
        {
            "text": "Liquid biopsy assays and circulating tumour DNA analysis for early ",
            "hit": False,
        },
        {"text": "cancer", "hit": True},
        {"text": " ", "hit": False},
        {"text": "detection", "hit": True},
        {"text": "; clinical validation with hospital biobanks.", "hit": False},
    ],
}
ORGANISATION_PRIVATE: JsonDict = {
    **ORGANISATION_PUBLIC,
    "contact_email": "partnering@oncomark.example",
    "kept_on_import": [],
}
ORGANISATION_CREATED: JsonDict = {
    **ORGANISATION_PRIVATE,
    "version": 1,
    "updated_at": "2026-11-30T10:15:00Z",
    "api_key": "mm_5b2e8d1f0a3c_Xc4pQ9rT1vW7yZ2bN5mK8jH3gF6dS0aL1eR4tU7iO9p",
    "api_key_id": 41,
    "possible_duplicates": [],
}
CALL_PUBLIC: JsonDict = {
    "id": 3,
    "identifier": "IHI-2023-05-02",
    "title": "Integrated solutions for early cancer detection",
    "programme": "IHI",
    "description": "Develop and validate minimally invasive liquid biopsy tools for early "
    "detection of cancer, with patients involved from the start.",
    "required_stakeholders": {"academia": 2, "industry": 1, "sme": 1, "patient_organisation": 1},
    "min_countries": 3,
    "max_partners": 12,
    "opening_date": "2023-10-10",
    "deadline": "2024-02-21",
    "rule_set": "ihi",
    "programme_part": None,
    "two_stage": False,
    "verified_types_required": False,
    "status": "closed",
    "created_at": "2026-11-29T16:00:00Z",
    "updated_at": "2026-11-29T16:00:00Z",
    "version": 1,
}
CALL_FOUND: JsonDict = {
    **CALL_PUBLIC,
    "snippet": [
        {"text": "Develop and validate minimally invasive ", "hit": False},
        {"text": "liquid", "hit": True},
        {"text": " ", "hit": False},
        {"text": "biopsy", "hit": True},
        {
            "text": " tools for early detection of cancer, with patients involved from the start.",
            "hit": False,
        },
    ],
}
CALL_CREATED: JsonDict = {
    **CALL_PUBLIC,
    "description": "Develop and validate minimally invasive liquid biopsy tools for early "
    "detection of cancer with universities, SMEs and hospitals, and patient organisations "
    "involved from the start.",
    "required_stakeholders": {},
    "suggested_requirements": {
        "academia": 1,
        "sme": 1,
        "patient_organisation": 1,
        "healthcare_provider": 1,
    },
}
CALL_SUMMARY: JsonDict = {
    key: CALL_PUBLIC[key]
    for key in ("id", "identifier", "title", "programme", "deadline", "status")
}
MATCHED_TERM: JsonDict = {"term": "liquid biopsy", "weight": 0.21}
# As the explanation code writes it (api.openapi.suggestion_example documents its output).
REASON: JsonDict = {
    "signal": "text_similarity",
    "value": 0.21,
    "factor": 0.055802,
    "detail": "Shares liquid biopsy, ctdna, methylation with the call",
    "organisation_ids": [],
    "projects": [],
}
SUGGESTION: JsonDict = {
    "organisation": ORGANISATION_SUMMARY,
    "score": 0.15,
    "matched_terms": [MATCHED_TERM],
    "reasons": [REASON],
}
CALL_MATCH: JsonDict = {"call": CALL_SUMMARY, "score": 0.13, "matched_terms": [MATCHED_TERM]}
MEMBER_PUBLIC: JsonDict = {"organisation": ORGANISATION_SUMMARY, "role": "coordinator"}
DEPARTURE: JsonDict = {
    "name": "Helix Biotech",
    "stakeholder_type": "sme",
    "role": "partner",
    "left_at": "2026-12-01T09:05:00Z",
}
CONSORTIUM_PUBLIC: JsonDict = {
    "id": 5,
    "name": "Liquid biopsy consortium",
    "call_id": 3,
    "owner_organisation_id": 12,
    "members": [MEMBER_PUBLIC],
    "departures": [DEPARTURE],
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:05:00Z",
    "version": 2,
}
MEMBERSHIP: JsonDict = {
    "consortium_id": 5,
    "name": "Liquid biopsy consortium",
    "call_id": 3,
    "role": "coordinator",
}
PROPOSED_MEMBER: JsonDict = {
    "organisation": ORGANISATION_SUMMARY,
    "fills": "sme",
    "included": False,
    "score": 0.15,
    "matched_terms": [MATCHED_TERM],
}
SHORTFALL: JsonDict = {
    "requirement": "stakeholder_type",
    "stakeholder_type": "patient_organisation",
    "needed": 1,
    "achieved": 0,
    "message": "No patient organisation fits the call.",
    "rule": None,
    "unverified": [],
}
PROPOSAL: JsonDict = {
    "feasible": True,
    "method": "milp",
    "objective": 3.12,
    "total_score": 3.2,
    "diversity_penalty": 0.08,
    "members": [PROPOSED_MEMBER],
    "shortfalls": [],
}
EFFECTIVE_REQUIREMENTS: JsonDict = {
    "required_stakeholders": {"academia": 2, "industry": 1, "sme": 1, "patient_organisation": 1},
    "min_countries": 3,
    "max_partners": 12,
    "verified_types_required": False,
}
GAP_CANDIDATE: JsonDict = {
    "organisation": {
        "id": 31,
        "name": "European Cancer Patient Coalition",
        "stakeholder_type": "patient_organisation",
        "country": "BE",
        "type_verified": True,
    },
    "score": 0.146,
    "relevance": 0.12,
    "matched_terms": [{"term": "cancer", "weight": 0.12}],
    "reasons": ["Fits the call (12%)", "Brings a new country (Belgium): +3 points"],
}
REQUIREMENT_GAP: JsonDict = {
    "requirement": "stakeholder_type",
    "stakeholder_type": "patient_organisation",
    "required": 1,
    "present": 0,
    "missing": 1,
    "message": "Needs 1 more patient organisation.",
    "verified_only": False,
    "unverified": [],
    "available": 14,
    "candidates": [GAP_CANDIDATE],
}
PROPOSALS: JsonDict = {
    "call_id": 3,
    "requirements": EFFECTIVE_REQUIREMENTS,
    "items": [PROPOSAL],
}
GAPS: JsonDict = {
    "consortium_id": 5,
    "call_id": 3,
    "satisfied": False,
    "requirements": [REQUIREMENT_GAP],
    "eligibility": None,
}
RULE_CHECK: JsonDict = {
    "rule": "independent-entities",
    "title": "At least three independent legal entities, each in a different Member State or "
    "Associated Country",
    "met": False,
    "message": "Has 1 independent entity in distinct eligible countries (Netherlands).",
    "fix": "Needs 2 more independent entities established in a Member State or Associated "
    "Country other than Netherlands.",
    "source": "Regulation (EU) 2021/695, Art. 22(2); Horizon Europe General Annexes, Annex B",
    "candidates": [GAP_CANDIDATE],
}
PARTICIPANT_ELIGIBILITY: JsonDict = {
    "organisation": ORGANISATION_SUMMARY,
    "country_status": "member_state",
    "funded": True,
    "note": "Netherlands is an EU Member State: eligible for funding.",
}
LIKELY_AFFILIATES: JsonDict = {
    "organisation_ids": [12, 47],
    "reason": "Same website host (oncomark.example).",
}
ELIGIBILITY: JsonDict = {
    "consortium_id": 5,
    "call_id": 3,
    "rule_set": "ihi",
    "programme_part": None,
    "evaluated_on": "2024-02-21",
    "eligible": False,
    "rules": [
        RULE_CHECK,
        {
            "rule": "member-state",
            "title": "At least one of them established in an EU Member State",
            "met": True,
            "message": "Has members established in Netherlands.",
            "fix": None,
            "source": "Regulation (EU) 2021/695, Art. 22(2); Horizon Europe General Annexes, "
            "Annex B",
            "candidates": [],
        },
        {
            "rule": "no-excluded-entities",
            "title": "No legal entity established in a country excluded from the programme, in "
            "any capacity",
            "met": True,
            "message": "No member is established in a country excluded from the programme.",
            "fix": None,
            "source": "Horizon Europe Work Programme 2021-2022, General Annexes as amended on 10 "
            "May 2022: legal entities established in Russia, Belarus or non-government controlled "
            "territories of Ukraine may not participate in any capacity (calls with a deadline "
            "after 10 May 2022; exceptions case by case)",
            "candidates": [],
        },
        {
            "rule": "in-kind-contributor",
            "title": "Single-stage call: at least one industry member or contributing partner "
            "contributing in kind",
            "met": False,
            "message": "No member contributes in kind, so the call's contribution share cannot "
            "be met.",
            "fix": "Needs an industry member (a member of one of the industry associations "
            "whose members fund IHI: COCIR, EFPIA, EuropaBio or MedTech Europe, or a company in "
            "the same group as one) or a contributing partner (a foundation or charity, say).",
            "source": "IHI call conditions (e.g. IHI call 7, 2024): at least 45 % of costs "
            "covered by contributions of industry members' constituent or affiliated entities "
            "and contributing partners",
            "candidates": [],
        },
    ],
    "participants": [PARTICIPANT_ELIGIBILITY],
    "likely_affiliates": [],
}
COUNTRY_STATUS_SHIPPED: JsonDict = {
    "country": "NL",
    "programme": "horizon-europe",
    "status": "member_state",
    "parts": ["all"],
    "except_parts": [],
    "valid_from": "2021-01-01",
    "valid_to": None,
    "source": "Regulation (EU) 2021/695 establishing Horizon Europe, Art. 22(2) (consortium of "
    "at least three independent legal entities, one in a Member State); Art. 23 (entities "
    "eligible for funding): https://eur-lex.europa.eu/eli/reg/2021/695/oj",
    "note": "EU Member State (Regulation (EU) 2021/695, Art. 22(2))",
    "shipped": True,
    "added_at": None,
}
# The row CountryStatusCreate's example adds, as the table then shows it.
COUNTRY_STATUS_ADDED: JsonDict = {
    "country": "MA",
    "programme": "horizon-europe",
    "status": "associated",
    "parts": ["all"],
    "except_parts": [],
    "valid_from": "2026-01-01",
    "valid_to": None,
    "source": "https://ec.europa.eu/... (the Commission's list, version and date)",
    "note": "",
    "shipped": False,
    "added_at": "2026-12-06T09:30:00Z",
}
# GET /rules/countries and POST /admin/country-statuses answer the whole table: shipped rows,
# then the added ones (an excerpt: the shipped table has a row for each Member State, and more).
COUNTRY_STATUS_TABLE: list[JsonDict] = [COUNTRY_STATUS_SHIPPED, COUNTRY_STATUS_ADDED]
PROBLEM: JsonDict = {
    "type": "about:blank",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "website: Must be a web address, such as https://example.org.",
    "instance": "/organisations",
    "errors": [
        {"field": "website", "message": "Must be a web address, such as https://example.org."}
    ],
}


PROGRAMMES: JsonDict = {"items": ["HORIZON", "IHI", "IMI2"]}
REFIT: JsonDict = {"started": True}
HEALTH: JsonDict = {
    "status": "ok",
    "database": "sqlite",
    "schema_revision": "5e1b7c9d2f40",
    "latest_revision": "5e1b7c9d2f40",
    "index": {
        "documents": 1234,
        "calls": 48,
        "vocabulary": 51873,
        "fitted_at": "2026-12-06T08:00:00Z",
        "drift": 0.012,
        "refitting": False,
        "mapped": True,
    },
}


def examples(example: JsonDict) -> JsonDict:
    """A model's `json_schema_extra`: the example answer it is shown with."""
    return {"examples": [example]}
