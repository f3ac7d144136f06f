"""The stakeholder mix a call's text names, proposed for the coordinator to confirm."""

import pytest

from matchmaker.requirements import suggest_requirements
from models.common import StakeholderType as T

# Adapted from the wording of IHI and Horizon Europe health topics.
IHI_SCOPE = """Expected outcomes: patients, carers and patient organisations are involved in the
design of the study from the start. Applicants should involve small and medium-sized enterprises
(SMEs) and start-ups with digital expertise, and engage with regulators and HTA bodies early, so
that the evidence generated is fit for regulatory and reimbursement decisions. Hospitals and other
healthcare providers will pilot the solutions in routine care."""

HORIZON_SCOPE = """Scope: proposals should bring together universities and research organisations,
the pharmaceutical industry and public authorities responsible for health services. Consortia
are encouraged to include patients' organisations and clinical centres in at least three
Member States."""


def test_an_ihi_scope_names_its_mix() -> None:
    """Patient organisations, SMEs, regulators and hospitals, one of each, in the types' order."""
    suggested = suggest_requirements("Digital twins for multimorbidity", IHI_SCOPE)
    assert suggested == {
        T.sme: 1,
        T.patient_organisation: 1,
        T.regulator: 1,
        T.healthcare_provider: 1,
    }
    assert list(suggested) == [T.sme, T.patient_organisation, T.regulator, T.healthcare_provider]


def test_a_horizon_scope_names_academia_industry_and_public_bodies() -> None:
    suggested = suggest_requirements(HORIZON_SCOPE)
    assert suggested == {
        T.academia: 1,
        T.industry: 1,
        T.patient_organisation: 1,
        T.healthcare_provider: 1,
        T.public_body: 1,
    }


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a patient organisation", T.patient_organisation),
        ("patient organizations", T.patient_organisation),
        ("patient associations", T.patient_organisation),
        ("patient advocacy groups", T.patient_organisation),
        ("patients\u2019 organisations", T.patient_organisation),
        ("an SME", T.sme),
        ("SMEs", T.sme),
        ("small- and medium-sized enterprises", T.sme),
        ("small and medium enterprises", T.sme),
        ("start-ups", T.sme),
        ("startups", T.sme),
        ("the regulator", T.regulator),
        ("regulatory agencies", T.regulator),
        ("regulatory\nauthorities", T.regulator),
        ("HTA bodies", T.regulator),
        ("health technology assessment agencies", T.regulator),
        ("a hospital", T.healthcare_provider),
        ("health care providers", T.healthcare_provider),
        ("clinical centres", T.healthcare_provider),
        ("clinical centers", T.healthcare_provider),
        ("industry", T.industry),
        ("pharmaceutical companies", T.industry),
        ("a university", T.academia),
        ("academia", T.academia),
        ("research organisations", T.academia),
        ("public authorities", T.public_body),
        ("public bodies", T.public_body),
    ],
)
def test_each_variant_names_its_type(text: str, kind: T) -> None:
    assert suggest_requirements(f"Partners should include {text}.") == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "The smell of volatile organic compounds in breath",  # not "SME"
        "Smes",  # the acronym matches only as written
        "hospitality and tourism workers",  # not "hospital"
        "industrialisation of manufacturing",  # not "industry"
        "regulatory science and regulation of gene expression",  # no regulator named
        "HTA-ready evidence",  # the assessment, not its bodies
        "patient-reported outcomes of patient groups",
        "a startle reflex",
        "",
    ],
)
def test_words_that_only_look_alike_name_nothing(text: str) -> None:
    assert suggest_requirements(text) == {}


def test_no_text_names_nothing() -> None:
    assert suggest_requirements() == {}
    assert suggest_requirements(None, "") == {}
