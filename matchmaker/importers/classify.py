"""The stakeholder type of a CORDIS organisation: the type its activity code and SME flag give,
refined by name and website rules, after the reviewed per-organisation overrides.

Pure functions over a row's fields. The rules are documented, with their measured precision,
in docs/import.md.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from matchmaker.importers.type_overrides import TYPE_OVERRIDES
from matchmaker.matching.text import strip_accents
from matchmaker.trust.duplicates import website_host
from models.common import StakeholderType


def fold(text: str) -> str:
    """Lower-case and strip accents so that 'Hôpital' and 'HOPITAL' compare equal."""
    return strip_accents(text.casefold())


def base_type(activity_type: str, sme: str) -> StakeholderType:
    """The stakeholder type CORDIS's activity type and SME flag give, before any rule."""
    code = activity_type.strip().upper()
    if code in ("HES", "REC"):
        return StakeholderType.academia
    if code == "PRC":
        return StakeholderType.sme if sme.strip().lower() == "true" else StakeholderType.industry
    if code == "PUB":
        return StakeholderType.public_body
    return StakeholderType.other


@dataclass(frozen=True)
class Rule:
    """A name/website rule that overrides the CORDIS type for the kinds CORDIS has no code for."""

    name: str
    stakeholder_type: StakeholderType
    applies_to: frozenset[str]
    names: re.Pattern[str]
    unless: re.Pattern[str] | None = None
    hosts: re.Pattern[str] | None = None

    def fires(self, activity_type: str, folded_name: str, host: str) -> bool:
        """Whether the rule classifies this organisation."""
        if activity_type not in self.applies_to:
            return False
        if self.unless is not None and self.unless.search(folded_name):
            return False
        if self.names.search(folded_name):
            return True
        return bool(host and self.hosts is not None and self.hosts.search(host))


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


_NOT_FOR_PROFIT = frozenset({"OTH", ""})
_PUBLIC_OR_NON_PROFIT = frozenset({"PUB", "OTH", "REC", ""})
_ANY = frozenset({"HES", "REC", "PRC", "PUB", "OTH", ""})

# The order is the precedence: the first rule that fires decides.
RULES: tuple[Rule, ...] = (
    Rule(
        name="medicines_regulator",
        stakeholder_type=StakeholderType.regulator,
        applies_to=_PUBLIC_OR_NON_PROFIT,
        names=_words(
            r"\bmedicines?\b.{0,40}\b(agenc|authori|authouri|regulator)",
            r"\bmedicinal products\b.{0,20}\b(agency|authority)",
            r"\bagency for medicinal products\b",
            r"\bmedical products agency\b",
            r"\bfood (and|&) drugs? (administration|authority|agency)\b",
            r"\bdrugs? (regulatory )?(authority|administration)\b",
            r"\bbeoordeling van geneesmiddelen\b",
            r"\bbfarm\b|\bbundesinstitut fu[e]?r (arzneimittel|impfstoffe)\b",
            r"\bpaul[- ]ehrlich[- ]institut",
            r"\baemps\b|\bagencia espanola de medicamentos\b",
            r"\bansm\b|\bsecurite du medicament\b",
            r"\baifa\b|\bagenzia italiana del farmaco\b",
            r"\binfarmed\b|\bautoridade nacional do medicamento\b",
            r"\bmhra\b|\bhealthcare products regulatory\b|\bhealth products regulatory\b",
            r"\bswissmedic\b|\bfimea\b|\bsukl\b|\bhalmed\b|\bogyei\b",
            r"\blakemedelsverket\b|\blaegemiddelstyrelsen\b|\blegemiddelverk",
            r"\bagency for medicines and health products\b|\bafmps\b|\bfamhp\b",
            r"\bnational organi[sz]ation for medicines\b",
        ),
        hosts=re.compile(
            r"(^|\.)(ema\.europa\.eu|fda\.gov|bfarm\.de|pei\.de|aemps\.gob\.es|ansm\.sante\.fr"
            r"|aifa\.gov\.it|infarmed\.pt|swissmedic\.ch|cbg-meb\.nl|mhra\.gov\.uk|fimea\.fi"
            r"|lakemedelsverket\.se|dkma\.dk|legemiddelverket\.no|hpra\.ie|famhp\.be|afmps\.be"
            r"|fagg\.be|sukl\.cz|halmed\.hr|eof\.gr|ogyei\.gov\.hu|urpl\.gov\.pl)$"
        ),
    ),
    Rule(
        name="patient_organisation",
        stakeholder_type=StakeholderType.patient_organisation,
        applies_to=_NOT_FOR_PROFIT,
        names=_words(
            # patients named outright
            r"\bpatient(s|en|es|i)?\b|\bpacientes\b|\bpazienti\b|\bmalati\b|\bbolnavilor\b",
            r"\beurordis\b|\brare diseases? europe\b|\beuropa donna\b|selbsthilfe|self-help",
            # a condition named beside a membership word ("Alzheimer Europe",
            # "Deutscher Allergie- und Asthmabund", "Vereniging Kinderkanker Nederland")
            r"(cancer|kanker|krebs|cancro|leuka?emia|lymphoma|myeloma|sarcoma|tumou?r|alzheimer"
            r"|parkinson|dementia|diabet|epilep|autis|multiple sclerosis|rheuma|arthrit|psoria"
            r"|asthma|allerg|\bcopd\b|\bkidney|\bliver\b|\bstroke\b|\bhiv\b|hepatitis"
            r"|cystic fibrosis|ha?emophil|thalass|retina|blind|\bdeaf|disabilit|disabled"
            r"|mental health|\bobesity|migraine|\blupus\b|crohn|duchenne|muscular dystroph"
            r"|huntington|sickle cell|endometriosis|rare disease)"
            r".*(associ|asociaci|asociati|vereniging|verband|bund\b|\bliga\b|\bligue|league"
            r"|\blega\b|federa|forbund|forening|yhdistys|spolecnost|somateio|coalition|alliance"
            r"|euronet|\beurope\b|\binternational\b|nederland|deutschland|\bitalia\b|\buk\b"
            r"|\bagainst\b|\bcontra\b|\bcontre\b|\bfighting\b)",
            r"(associ|asociaci|vereniging|federa|\bliga\b|\bligue|league|coalition|alliance"
            r"|fighting|\bagainst\b|\bcontra\b|\bcontre\b)"
            r".*(cancer|cancro|alzheimer|parkinson|dementia|diabet|epilep|autis|blind|disabilit"
            r"|rare disease)",
        ),
        # research bodies, professional societies, trial groups and service providers that
        # carry a disease or "patient" in their names are not patient organisations
        unless=_words(
            r"research|recherche|ricerca|investigaci|investigacao|forschung|onderzoek|scien|cientific"
            r"|\bstud(y|ies)\b|\btrials?\b|\bgr(ou|u)po?\b|\bgroupe?\b|institut|istituto"
            r"|\bcent(er|re|ro|rum)\b|centre|cluster|registry|hospital|clinic|klinik|college"
            r"|academy|society for|physician|surgeon|nurs|oncolog|medical|medicine|pharma"
            r"|safety|education therapeutique|patientenzorg",
        ),
        hosts=re.compile(r"patient|(^|\.)eurordis\.org$"),
    ),
    Rule(
        name="health_service",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=frozenset({"HES", "REC", "PUB", "OTH", ""}),
        names=_words(
            r"\bnhs\b|national health service|\bhealth service\b|\bhealth board\b",
            r"\bservicio \w+ de salud\b|\bosakidetza\b|\bservizio sanitario\b",
            r"\bazienda (socio-)?sanitaria\b|\bunita'? sanitaria locale\b|\basst\b|\bausl\b"
            r"|\bulss\b|\basl\b",
            r"\bhelse \w+( \w+)? hf\b",
        ),
        hosts=re.compile(r"\.nhs\.(uk|net)$"),
    ),
    Rule(
        name="medical_centre",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=_ANY,
        names=_words(
            r"\bmedical cent(er|re)s?\b|\bmedisch centrum\b|umc\b|\bcancer cent(er|re)\b",
            r"\buniversit(a|ae)tsmedizin\b|\bcharite\b",
            r"\birccs\b|\bricovero e cura a carattere scientifico\b",
            r"\blutte contre le cancer\b|\binstitut de cancerologie\b"
            r"|\binstitut regional du cancer\b",
            r"\bassistance publique\b|\bhospices civils\b|\bcentre hospitalier\b"
            r"|\bcentro hospitalar\b",
            # comprehensive cancer centres and research hospitals whose names say neither
            r"\bistituto europeo di oncologia\b|\binstitut catala d'?oncologia\b"
            r"|\binstituto portugues de oncologia\b",
            r"\bistituto (nazionale )?(per lo studio e la cura )?(dei )?tumori\b",
            r"\bgustave roussy\b|\binstitut curie\b|\bantoni van leeuwenhoek\b"
            r"|\bcentro cardiologico monzino\b",
        ),
        # a research institute beside a university medical centre is not the centre
        unless=_words(r"\ban ?der universit(a|ae)tsmedizin\b"),
        hosts=re.compile(r"(^|[.-])(chu|chru)[.-]"),
    ),
    Rule(
        name="hospital_name",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=_ANY,
        names=_words(
            r"hospital(?!ity)|\bhopita|\bhospitalier|\bospedal|\bospitalier|ziekenhuis",
            r"klinik(um|en|a)?\b|krankenh(au|ä)s|\bclinics?\b|\bpoli(clinico|clinique|klinik)",
            r"sygehus|sjukhus|sykehus|szpital|nemocnic|\bbolnica|korhaz|sairaala"
            r"|spital(?!ity)|ligonin|nosokomei|hastane",
        ),
        # federations, networks and clubs of hospitals, and schools named after one, are not
        # hospitals; nor is a charity (ONLUS) that raises money for one
        unless=_words(
            r"associ|asociaci|federa|verband|\bnetz\b|network|reseau|alliance|acheteurs"
            r"|\bclub\b|\bklub\b|\bonlus\b|medical school|school of medicine",
            # the Institute of Cancer Research's legal name keeps a hospital it no longer runs
            r"\binstitute of cancer research\b",
        ),
        hosts=re.compile(r"hospital(?!ity)|hopital|ospedale|ziekenhuis|klinikum|uniklinik"),
    ),
)


class Classification(NamedTuple):
    """The stakeholder type given to an organisation and the rule that decided it (if any)."""

    stakeholder_type: StakeholderType
    rule: str | None


OVERRIDE = "override"


def classify(
    activity_type: str,
    sme: str,
    name: str,
    website: str | None,
    *,
    organisation_id: str | None = None,
) -> Classification:
    """CORDIS type refined by the name/website rules (first matching rule wins).

    With `organisation_id`, a reviewed override in `TYPE_OVERRIDES` comes first (its rule is
    "override"); without it, the rules alone decide, as the measured accuracy assumes.
    """
    if organisation_id is not None and organisation_id.strip() in TYPE_OVERRIDES:
        return Classification(TYPE_OVERRIDES[organisation_id.strip()].stakeholder_type, OVERRIDE)
    code = activity_type.strip().upper()
    folded = fold(name)
    host = website_host(website) or ""
    for rule in RULES:
        if rule.fires(code, folded, host):
            return Classification(rule.stakeholder_type, rule.name)
    return Classification(base_type(code, sme), None)
