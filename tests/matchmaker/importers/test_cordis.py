"""The pure CORDIS mapping: stakeholder rules, countries, URLs, dates, activities, CSV lines."""

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from matchmaker.importers import cordis
from matchmaker.importers.classify import RULES, Classification, base_type, classify
from matchmaker.importers.cordis import (
    CORDIS_FIELDS,
    MAX_ACTIVITY_TITLE,
    MAX_SUMMARY,
    Project,
    build_activities,
    call_from_topic,
    call_identifier,
    merge_roles,
    normalise_country,
    normalise_website,
    organisation_from_row,
    parse_date,
    programme_for,
    project_from_row,
    truncate,
    year_in_code,
)
from matchmaker.importers.csv_source import CutShort, Rejected, read_csv
from matchmaker.importers.type_overrides import TYPE_OVERRIDES
from models.common import StakeholderType
from models.organisation import MAX_ACTIVITIES, ProjectRole

ROOT = Path(__file__).resolve().parents[3]
LABELLED = ROOT / "tests" / "data" / "labelled_organisations.csv"
DOCS = ROOT / "docs" / "import.md"

# Every labelled organisation the rules get wrong: (label, what the rules say). Each is
# discussed in docs/import.md; a new miss, or a fixed one, fails the test below.
KNOWN_MISSES = {
    # patient organisations whose names carry no signal the rule knows
    "883488514": ("patient_organisation", "other"),  # IMAGINE FOR MARGO CHILDREN WITHOUT CANCER
    "885596324": ("patient_organisation", "other"),  # BRAINSTRUST
    "888525239": ("patient_organisation", "other"),  # Sepsisföreningen
    "917211631": ("patient_organisation", "other"),  # Autism Spectrum Information, Advice ...
    "951489103": ("patient_organisation", "other"),  # PLENA INCLUSIÓN MADRID ...
    # patient and carer organisations registered as research organisations (REC)
    "913562879": ("patient_organisation", "academia"),  # Portincarers
    "921151480": ("patient_organisation", "academia"),  # EUROCARERS
    "998068600": ("patient_organisation", "academia"),  # ALZHEIMER EUROPE
    # hospitals whose names do not say so
    "887465708": ("healthcare_provider", "academia"),  # ASSOCIATION HOPITAL FOCH
    "950478945": ("healthcare_provider", "industry"),  # MITERA ... KLINIKI
    "999878426": ("healthcare_provider", "academia"),  # MEDIZINISCHE HOCHSCHULE HANNOVER
    # false positives: hospital words in the names of a university and of a cooperation
    # grouping of hospitals
    "935373523": ("other", "healthcare_provider"),  # GCS HOPITAUX UNIVERSITAIRES GRAND OUEST
    "997414820": ("academia", "healthcare_provider"),  # University of Nebraska Medical Center
}


def labelled_rows() -> list[dict[str, str]]:
    """The hand-labelled sample."""
    with LABELLED.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def predict(row: dict[str, str]) -> Classification:
    """What the rules say about a labelled row."""
    return classify(row["activityType"], row["SME"], row["name"], row["organizationURL"])


def test_base_type_follows_cordis_activity_codes() -> None:
    """HES/REC are academia, PRC splits on the SME flag, PUB is public, OTH and blank other."""
    assert base_type("HES", "false") is StakeholderType.academia
    assert base_type("REC", "true") is StakeholderType.academia
    assert base_type("PRC", "true") is StakeholderType.sme
    assert base_type("PRC", "false") is StakeholderType.industry
    assert base_type("PRC", "") is StakeholderType.industry
    assert base_type("PUB", "false") is StakeholderType.public_body
    assert base_type("OTH", "true") is StakeholderType.other
    assert base_type("", "false") is StakeholderType.other


def test_country_codes_uk_and_el_become_gb_and_gr() -> None:
    """CORDIS's UK and EL are stored as ISO GB and GR; other codes are only upper-cased."""
    assert normalise_country("UK") == "GB"
    assert normalise_country("EL") == "GR"
    assert normalise_country(" de ") == "DE"
    assert normalise_country("XK") == "XK"


def test_labelled_sample_is_classified_as_labelled_except_documented_misses() -> None:
    """The rules agree with every hand label but the misses listed (and explained) above."""
    rows = labelled_rows()
    misses = {
        row["organisationID"]: (row["label"], predict(row).stakeholder_type.value)
        for row in rows
        if predict(row).stakeholder_type.value != row["label"]
    }
    assert len(rows) == 395
    assert misses == KNOWN_MISSES


def _rule_table(rows: list[dict[str, str]]) -> list[str]:
    fired: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for row in rows:
        kind, rule = predict(row)
        if rule is not None:
            fired[rule] += 1
            right[rule] += kind.value == row["label"]
    return [
        f"| `{rule.name}` | {rule.stakeholder_type.value} | {fired[rule.name]} | "
        f"{right[rule.name]} | {right[rule.name] / fired[rule.name]:.1%} |"
        for rule in RULES
    ]


def test_docs_state_the_precision_measured_on_the_labelled_sample() -> None:
    """docs/import.md's precision table is the one this sample gives, row for row."""
    text = DOCS.read_text(encoding="utf-8")
    for line in _rule_table(labelled_rows()):
        assert line in text


def _type_table(rows: list[dict[str, str]]) -> list[str]:
    labelled = Counter(row["label"] for row in rows)
    given = Counter(predict(row).stakeholder_type.value for row in rows)
    right = Counter(row["label"] for row in rows if predict(row).stakeholder_type == row["label"])
    return [
        f"| {kind.value} | {labelled[kind]} | {given[kind]} | {right[kind]} | "
        f"{right[kind] / labelled[kind]:.1%} | {right[kind] / given[kind]:.1%} |"
        for kind in StakeholderType
    ]


def test_docs_state_the_accuracy_per_type_measured_on_the_labelled_sample() -> None:
    """docs/import.md's table of recall and precision per type is the sample's, row for row."""
    text = DOCS.read_text(encoding="utf-8")
    rows = labelled_rows()
    right = sum(predict(row).stakeholder_type == row["label"] for row in rows)

    assert [line for line in _type_table(rows) if line not in text] == []
    assert f"The whole sample: {right} of {len(rows)} right ({right / len(rows):.1%})." in text


def predict_with_overrides(row: dict[str, str]) -> Classification:
    """What the importer says about a labelled row: the override table first, then the rules."""
    return classify(
        row["activityType"],
        row["SME"],
        row["name"],
        row["organizationURL"],
        organisation_id=row["organisationID"],
    )


def test_override_decides_before_the_rules() -> None:
    """The data-ethics foundation CORDIS files as REC is `other` by its override, not academia."""
    assert classify("REC", "false", "ETICAS DATA SOCIETY", None) == (
        StakeholderType.academia,
        None,
    )
    assert classify("REC", "false", "ETICAS DATA SOCIETY", None, organisation_id="886718614") == (
        StakeholderType.other,
        "override",
    )
    # another organisation of the same name and code is left to the rules
    assert classify("REC", "false", "ETICAS DATA SOCIETY", None, organisation_id="1") == (
        StakeholderType.academia,
        None,
    )
    # and an override wins over a rule that would fire on the name
    assert classify("HES", "false", "Some Hospital", None, organisation_id="886718614") == (
        StakeholderType.other,
        "override",
    )


def test_import_applies_the_override() -> None:
    """`import cordis` maps the overridden organisation's row to the override's type."""
    row = {
        "organisationID": "886718614",
        "name": "ETICAS DATA SOCIETY",
        "activityType": "REC",
        "SME": "false",
        "country": "ES",
        "city": "SARRIA",
        "organizationURL": "",
    }
    record = organisation_from_row(row, [], {})
    assert (record.fields["stakeholder_type"], record.rule) == ("other", "override")
    # What the profile page offers to hand back to CORDIS imports: the fields they give.
    assert sorted(record.fields) == sorted(CORDIS_FIELDS)
    # the built description still names CORDIS's own activity type
    assert record.fields["description"].startswith("Research organisation in SARRIA")


def test_overrides_are_few_reasoned_and_leave_the_labelled_sample_alone() -> None:
    """Each row has a reason and a name, and none names a labelled organisation (that would
    make the measured accuracy the table's rather than the rules')."""
    labelled = {row["organisationID"] for row in labelled_rows()}
    assert 1 <= len(TYPE_OVERRIDES) <= 20
    assert sorted(set(TYPE_OVERRIDES) & labelled) == []
    for organisation_id, override in TYPE_OVERRIDES.items():
        assert organisation_id.isdigit()
        assert override.name.strip(), organisation_id
        assert len(override.reason) >= 40, organisation_id


def test_docs_list_every_override_and_the_accuracy_with_them() -> None:
    """docs/import.md lists each override and states the sample's accuracy with the table too."""
    text = DOCS.read_text(encoding="utf-8")
    for organisation_id, override in TYPE_OVERRIDES.items():
        row = f"| {organisation_id} | {override.name} | {override.stakeholder_type.value} |"
        assert row in text
    rows = labelled_rows()
    right = sum(predict_with_overrides(row).stakeholder_type == row["label"] for row in rows)
    assert (
        f"With the override table as well: {right} of {len(rows)} right ({right / len(rows):.1%})"
        in " ".join(text.split())
    )


def test_cancer_research_hospitals_are_healthcare_providers_whatever_their_code() -> None:
    """A cancer centre named for neither hospital nor centre is still a hospital, even as PRC."""
    for code, name in [
        ("PRC", "ISTITUTO EUROPEO DI ONCOLOGIA SRL"),
        ("REC", "INSTITUT CATALA D'ONCOLOGIA"),
        ("REC", "INSTITUTO PORTUGUES DE ONCOLOGIA DO PORTO FRANCISCO GENTIL EPE"),
        ("REC", "FONDAZIONE IRCCS ISTITUTO NAZIONALE DEI TUMORI"),
    ]:
        assert classify(code, "false", name, None).stakeholder_type is (
            StakeholderType.healthcare_provider
        ), name
    assert classify("REC", "false", "Institute of Oncology Research", None) == (
        StakeholderType.academia,
        None,
    )
    assert (
        classify("HES", "false", "INSTITUTE OF CANCER RESEARCH: THE ROYAL CANCER HOSPITAL", None)[0]
        is StakeholderType.academia
    )


def test_docs_list_every_known_miss() -> None:
    """Each miss the test tolerates is named in docs/import.md."""
    text = DOCS.read_text(encoding="utf-8")
    assert [oid for oid in KNOWN_MISSES if oid not in text] == []


def test_university_hospital_is_a_healthcare_provider_not_academia() -> None:
    """A hospital wins over CORDIS's HES code: the clinical site is what the rule adds."""
    assert classify("HES", "false", "Turku University Hospital", None) == (
        StakeholderType.healthcare_provider,
        "hospital_name",
    )
    assert classify("HES", "false", "CHARITE - UNIVERSITAETSMEDIZIN BERLIN", None) == (
        StakeholderType.healthcare_provider,
        "medical_centre",
    )


def test_hospital_research_foundation_is_a_healthcare_provider() -> None:
    """A hospital's research foundation is how that hospital takes part, so it counts as one."""
    name = "FUNDACION PARA LA INVESTIGACION BIOMEDICA DEL HOSPITAL GREGORIO MARANON"
    assert classify("OTH", "false", name, None).stakeholder_type is (
        StakeholderType.healthcare_provider
    )


def test_private_hospital_company_is_a_healthcare_provider() -> None:
    """PRC hospitals are providers, whatever their SME flag."""
    assert classify("PRC", "false", "OSPEDALE SAN RAFFAELE SRL", "http://www.hsr.it") == (
        StakeholderType.healthcare_provider,
        "hospital_name",
    )


def test_hospital_words_in_other_senses_do_not_make_a_hospital() -> None:
    """Hospitality, hospital federations and medical schools keep their CORDIS type."""
    assert classify("PRC", "false", "NORDIC CHOICE HOSPITALITY GROUP AS", None).rule is None
    federation = "FEDERATION EUROPEENNE DES HOPITAUX ET DES SOINS DE SANTE"
    assert classify("OTH", "false", federation, None).rule is None
    school = "ST GEORGE'S HOSPITAL MEDICAL SCHOOL"
    assert classify("HES", "false", school, None) == (StakeholderType.academia, None)


def test_alliance_is_a_patient_organisation_only_beside_a_condition() -> None:
    """'Alliance' alone is no signal; a condition named beside it is."""
    assert classify("OTH", "false", "INTERNATIONAL BRAIN TUMOUR ALLIANCE", None) == (
        StakeholderType.patient_organisation,
        "patient_organisation",
    )
    alliance = "European Alliance for Personalised Medicine"
    assert classify("OTH", "false", alliance, None) == (StakeholderType.other, None)


def test_patient_rule_leaves_research_and_professional_bodies_alone() -> None:
    """Societies for the study of a disease and research charities are not patient groups."""
    easl = "EUROPEAN ASSOCIATION FOR THE STUDY OF THE LIVER"
    assert classify("OTH", "false", easl, None).rule is None
    aecc = "FUNDACION CIENTIFICA DE LA ASOCIACIÓN ESPANOLA CONTRA EL CANCER"
    assert classify("OTH", "false", aecc, None).rule is None
    assert classify("REC", "false", "ALZHEIMER EUROPE", None).rule is None


def test_patient_organisation_found_by_name_in_several_languages() -> None:
    """Patients named outright, self-help groups and leagues against a disease are found."""
    for name in (
        "EURORDIS - RARE DISEASES EUROPE",
        "Deutsche Selbsthilfe Angeborene Immundefekte e. V.",
        "BROSTCANCERFORBUNDET",
        "Asociación Española Contra el Cáncer",
    ):
        assert classify("OTH", "false", name, None).stakeholder_type is (
            StakeholderType.patient_organisation
        ), name


def test_regulator_found_by_name_or_by_website() -> None:
    """Medicines agencies are found by name, or by their known web hosts."""
    assert classify("PUB", "false", "THE EUROPEAN MEDICINES AGENCY", None) == (
        StakeholderType.regulator,
        "medicines_regulator",
    )
    assert classify("PUB", "false", "Bundesinstitut", "https://www.bfarm.de/EN").rule == (
        "medicines_regulator"
    )
    assert classify("PUB", "false", "EUROPEAN FOOD SAFETY AUTHORITY", None).rule is None


def test_website_gets_a_scheme_and_unusable_ones_are_dropped() -> None:
    """A missing scheme becomes https://; hosts without a proper top-level domain are dropped."""
    assert normalise_website("www.sciensano.be") == "https://www.sciensano.be"
    assert normalise_website("http://www.tuni.fi") == "http://www.tuni.fi"
    assert normalise_website("  ") is None
    assert normalise_website("http://www.risc-software-at") is None
    assert normalise_website("not a website") is None


def test_dates_in_every_format_the_topics_file_uses() -> None:
    """ISO dates, ISO datetimes and month-first slashes are read; anything else is an error."""
    assert parse_date("2023-01-10") == date(2023, 1, 10)
    assert parse_date("2024-09-09T00:00:00") == date(2024, 9, 9)
    assert parse_date("3/14/2023") == date(2023, 3, 14)
    assert parse_date(" ") is None
    with pytest.raises(ValueError, match="cannot read '14/03/2023' as a date"):
        parse_date("14/03/2023")


def test_programme_labels_from_topic_codes() -> None:
    """Codes map to programme labels: clusters, missions, joint undertakings, ERC, IHI."""
    assert programme_for("HORIZON-CL4-2022-DIGITAL-EMERGING-01-01") == (
        "Horizon Europe Cluster 4 (Digital, Industry and Space)"
    )
    assert programme_for("HORIZON-MISS-2023-CANCER-01-03") == "EU Mission: Cancer"
    assert programme_for("HORIZON-MISS-2022-UNCAN-01-01") == "EU Mission: Cancer"
    assert programme_for("HORIZON-JU-IHI-2023-05-02") == "IHI"
    assert programme_for("HORIZON-JU-GH-EDCTP3-2022-CALL1-01-01") == "Global Health EDCTP3 JU"
    assert programme_for("ERC-2022-POC1") == "ERC"
    assert programme_for("HORIZON-NEW-2030-01") == "Horizon Europe (NEW)"


def test_year_in_topic_code() -> None:
    """The year is read from the code where the code has one."""
    assert year_in_code("HORIZON-CL4-2022-DIGITAL-EMERGING-01-01") == 2022
    assert year_in_code("ERC-2021-STG") == 2021
    assert year_in_code("HORIZON-KDT-JU-1-IA-Focus-Topic-1") is None


def test_truncate_cuts_at_a_word_and_marks_the_cut() -> None:
    """Long text ends at a word boundary with an ellipsis, within the limit."""
    assert truncate("short", 10) == "short"
    assert truncate("one two three four", 12) == "one two…"
    assert len(truncate("x" * 5000, MAX_SUMMARY)) == MAX_SUMMARY


def test_call_from_topic_row() -> None:
    """A topics.csv row becomes CallCreate fields: dates parsed, programme derived."""
    row = {
        "topic": "ERC-2023-SJI-1",
        "topicTitle": "ERC Science Journalism Initiative",
        "action_type": "",
        "opening_date": "2023-12-05T00:00:00",
        "deadline": "2024-03-05T17:00:00",
        "description": "Line one\n\nLine two ",
    }
    assert call_from_topic(row) == {
        "identifier": "ERC-2023-SJI-1",
        "title": "ERC Science Journalism Initiative",
        "programme": "ERC",
        "description": "Line one\nLine two",
        "opening_date": date(2023, 12, 5),
        "deadline": date(2024, 3, 5),
        "min_countries": 1,
        "rule_set": "horizon-europe-single",  # an ERC action of Horizon Europe: Art. 22(3)
        "programme_part": "pillar-1",
    }


def test_call_from_topic_with_an_unreadable_date_is_an_error() -> None:
    """A date the reader does not know is reported, with the column it came from."""
    row = {"topic": "HORIZON-CL4-2023-X", "topicTitle": "X", "opening_date": "soon"}
    with pytest.raises(ValueError, match="opening_date: cannot read 'soon' as a date"):
        call_from_topic(row)


def test_activities_keep_the_most_recent_three_hundred() -> None:
    """An organisation in 305 projects keeps the 300 most recent, newest first."""
    projects = {
        str(100 + i): Project(
            acronym=f"P{i}", title=f"P{i}: t", summary="s", year=1990 + i % 40, call=f"T-{i}"
        )
        for i in range(305)
    }
    activities = build_activities([(pid, "participant") for pid in projects], projects)
    assert len(activities) == MAX_ACTIVITIES
    years = [item["year"] for item in activities]
    assert years == sorted(years, reverse=True)
    assert years[-1] == 1990
    assert activities[0] == {
        "title": "P279: t",
        "summary": "s",
        "year": 2029,
        "url": "https://cordis.europa.eu/project/id/379",
        "role": "participant",
        "call": "T-279",
    }


def test_activities_carry_the_role_and_leave_the_title_alone() -> None:
    """Each CORDIS role code becomes the activity's role; the title is the project's, whole."""
    long_title = "word " * 99 + "words"  # as long as a title may be: not cut
    projects = {
        "1": Project(acronym="A", title="A: t", summary="s", year=2021),
        "2": Project(acronym="B", title="B: t", summary="s", year=2022),
        "3": Project(acronym="C", title="C: t", summary="s", year=2023),
        "4": Project(acronym="D", title=long_title, summary="s", year=2024),
        "5": Project(acronym="E", title="E: t", summary="s", year=2025),
    }
    participations = [
        ("1", "coordinator"),
        ("2", "participant"),
        ("3", "associatedPartner"),
        ("4", "thirdParty"),
        ("5", "partnerOther"),
    ]
    activities = build_activities(participations, projects)
    assert [(item["title"], item["role"]) for item in activities] == [
        ("E: t", None),
        (long_title, ProjectRole.third_party),
        ("C: t", ProjectRole.associated_partner),
        ("B: t", ProjectRole.participant),
        ("A: t", ProjectRole.coordinator),
    ]
    assert len(long_title) == MAX_ACTIVITY_TITLE


@pytest.mark.parametrize(
    ("code", "call"),
    [
        ("HORIZON-CL5-2022-D3-01-05", "HORIZON-CL5-2022-D3-01-05"),
        ("ERC-2022-POC1", "ERC-2022-POC1"),
        # Lower case in CORDIS's own files: stored upper-case, as the call importer stores it.
        (
            "HORIZON-WIDERA-2022-ACCESS-01-01-two-stage",
            "HORIZON-WIDERA-2022-ACCESS-01-01-TWO-STAGE",
        ),
        ("HORIZON-CL5-2022 D3", None),
        ("-HORIZON-CL5", None),
        ("HORIZON-" + "X" * 113, None),
        ("", None),
    ],
)
def test_a_project_names_its_topic_code_as_its_call_when_a_valid_identifier(
    code: str, call: str | None
) -> None:
    """A project's topic code is its activities' call, validated as a call's identifier is;
    a code that is not one leaves the call out and keeps the project."""
    row = {"id": "101059266", "acronym": "SUSNANO", "title": "Nano", "topics": code}
    project = project_from_row(row, {})
    assert (project.title, project.call) == ("Nano", call)
    assert call_identifier(code) == call
    (activity,) = build_activities([("101059266", "coordinator")], {"101059266": project})
    assert activity["call"] == call


def test_every_topic_code_of_the_extract_is_a_valid_call_identifier() -> None:
    """Each code the CORDIS extract's projects give is accepted as their call, unchanged."""
    with (ROOT / "tests" / "data" / "cordis" / "projects.csv").open(encoding="utf-8") as file:
        codes = {row["topics"] for row in csv.DictReader(file)}
    assert len(codes) == 9
    assert {code: call_identifier(code) for code in codes} == {code: code for code in codes}


def test_stronger_role_kept_when_listed_twice_in_a_project() -> None:
    """A participant that is also a third party in the same project stays a participant."""
    assert merge_roles([("1", "thirdParty"), ("1", "participant"), ("2", "associatedPartner")]) == [
        ("1", "participant"),
        ("2", "associatedPartner"),
    ]


def test_csv_rows_carry_the_physical_line_they_start_on() -> None:
    """Quoted fields spanning lines push later rows down; short rows are rejected by line."""
    text = 'id,text\n1,"two\nlines"\n2,"three\nmore\nlines"\n3\n4,plain\n'
    rows = read_csv(io.BytesIO(text.encode()), name="t.csv", required=("id",))
    assert [(line, row["id"]) for line, row in rows] == [(2, "1"), (4, "2"), (8, "4")]
    assert rows.rejected == [Rejected("t.csv", "expected 2 fields, found 1", line=7)]


def test_semicolons_separate_fields_when_the_header_holds_more_of_them() -> None:
    """CORDIS's download is semicolon-separated: commas and semicolons inside quotes stay text,
    and a quoted field left open at the end is still a file cut short."""
    text = 'id;text;place\n1;"a; b\nc";"Paris, France"\n2;plain, with a comma;x\n3;"open\n'
    rows = iter(read_csv(io.BytesIO(text.encode()), name="t.csv", required=("id", "text")))
    assert [next(rows), next(rows)] == [
        (2, {"id": "1", "text": "a; b\nc", "place": "Paris, France"}),
        (4, {"id": "2", "text": "plain, with a comma", "place": "x"}),
    ]
    with pytest.raises(CutShort, match=r"^t\.csv ends in the middle of a record at line 5"):
        next(rows)


@pytest.mark.parametrize(
    ("exported", "repaired"),
    [
        ("improve employees? work-life balance.", "improve employees' work-life balance."),
        ("outside of the country?s territory", "outside of the country's territory"),
        ("we don?t and we?re", "we don't and we're"),
        (
            "Expected outcomes:\n? Protect democratic processes\n  ? Increase our ability",
            "Expected outcomes:\n• Protect democratic processes\n• Increase our ability",
        ),
        ("disrupt the ?supply chain? for profit", 'disrupt the "supply chain" for profit'),
        ("the concept of ?disinformation?, which", 'the concept of "disinformation", which'),
        (
            "effect ? both short- and long-term ? of",
            "effect \N{EN DASH} both short- and long-term \N{EN DASH} of",
        ),
        ("a socio?economic and environment?friendly", "a socio-economic and environment-friendly"),
        ("the initiative ?Healthier together?5 and", 'the initiative "Healthier together"5 and'),
        ("What might it be? And how?", "What might it be? And how?"),
        ("Is it possible?\nYes.", "Is it possible?\nYes."),
        ("See https://example.org/TXT/?uri=CELEX", "See https://example.org/TXT/?uri=CELEX"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
    ],
)
def test_marks_cordis_lost_to_question_marks_are_repaired(exported: str, repaired: str) -> None:
    """Bullets, apostrophes, quotes and dashes exported as "?" are restored; questions stay."""
    assert cordis.clean_paragraphs(exported) == repaired


def test_call_from_topic_repairs_its_title_and_description() -> None:
    """A topic's title and text reach the call repaired."""
    row = {
        "topic": "HORIZON-CL2-2023-TRANSFORMATIONS-01-01",
        "topicTitle": "Remote working and employees? well-being",
        "description": "Scope:\n? the organisation?s policies\n? employees? work-life balance",
        "opening_date": "2023-01-10",
        "deadline": "2023-03-14",
    }

    call = cordis.call_from_topic(row)

    assert call["title"] == "Remote working and employees' well-being"
    assert call["description"] == (
        "Scope:\n• the organisation's policies\n• employees' work-life balance"
    )


@pytest.mark.parametrize(
    ("code", "action_type", "expected"),
    [
        ("HORIZON-WIDERA-2023-ACCESS-02-01", "CSA", ("horizon-europe-csa", None)),
        (
            "HORIZON-CL6-2021-GOVERNANCE-01-08",
            "HORIZON-CSA HORIZON Coordination and Support Actions",
            ("horizon-europe-csa", "pillar-2"),
        ),
        ("HORIZON-MISS-2023-CANCER-01-01", "RIA", None),
        ("ERC-2022-POC1", "", ("horizon-europe-single", "pillar-1")),
        ("ERC-2019-STG", "", None),  # Horizon 2020's ERC: not these rules
    ],
)
def test_topic_rule_set_from_code_and_action_type(
    code: str, action_type: str, expected: tuple[str, str | None] | None
) -> None:
    """CSAs (Art. 22(4)) and Horizon Europe ERC grants (Art. 22(3)) get their one-entity rules."""
    fields = call_from_topic({"topic": code, "topicTitle": "T", "action_type": action_type})
    found = (fields["rule_set"], fields["programme_part"]) if "rule_set" in fields else None
    assert found == expected
