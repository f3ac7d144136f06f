"""British and American spellings of a word, told apart no more.

A profile written in Boston says "tumor", "pediatric", "personalized", "behavioral"; a call
written in Brussels says "tumour", "paediatric", "personalised", "behavioural". `fold` gives
every spelling of a word one form, the key the text indexes count it by, so either finds the
other: the analyzer folds each word after its plural (`analyzer.stem`). Explanations still
name a term by the words the text itself uses. `spellings` gives a word's other spellings, for
the databases' full-text search, which matches words by their own stems.

The rules are narrow on purpose, each written for a family of words whose two spellings are
common in research texts, and never touch a word spelled alike on both sides ("laboratory",
"colorectal", "vigorous", "horizon", "citizen", "academia"):

- ``-ize``, ``-ization``, ``-yze``: the ``-ise`` forms (3 letters at least before ``iz``, 2
  before ``yz``: "size" and "prize" stay). A few words only written ``-ize``, such as
  "capsize", take a form nobody writes; both sides do, so nothing is lost.
- ``-or`` / ``-our`` for the words of `_OUR` with the endings of `_OUR_ENDINGS`.
- ``-er`` / ``-re``, ``-l-`` / ``-ll-`` and other pairs of whole words (`_WORDS`).
- The medical ``ae`` and ``oe`` ("haematology", "anaemia", "oedema", "oesophagus", "foetal",
  "coeliac", "diarrhoea", "aetiology", "faecal") fold to the single vowel.
- ``sulph-`` folds to ``sulf-`` (chemistry's own spelling on both sides now).
"""

import re
from functools import lru_cache
from typing import Final

# Words whose American spelling drops the u of "-our", by the American stem.
_OUR: Final = (
    "armor",
    "behavior",
    "candor",
    "clamor",
    "color",
    "endeavor",
    "favor",
    "fervor",
    "flavor",
    "harbor",
    "honor",
    "humor",
    "labor",
    "neighbor",
    "odor",
    "parlor",
    "rigor",
    "rumor",
    "savior",
    "splendor",
    "tumor",
    "valor",
    "vapor",
    "vigor",
)
# The endings those words take in either spelling ("laboratory", "colorectal", "vigorous" and
# "humorous" are not among them, and stay as they are).
_OUR_ENDINGS: Final = ("", "s", "al", "ally", "ed", "ing", "able", "ably", "ite", "less", "ful")
_OUR_FORMS: Final = re.compile(
    r"^(" + "|".join(_OUR) + r")(" + "|".join(e for e in _OUR_ENDINGS if e) + r")?$"
)
# Other whole words: the American form and the British one it folds to.
_WORDS: Final = {
    # -er / -re
    "center": "centre",
    "centered": "centred",
    "epicenter": "epicentre",
    "fiber": "fibre",
    "liter": "litre",
    "milliliter": "millilitre",
    "microliter": "microlitre",
    "theater": "theatre",
    "caliber": "calibre",
    # -l- / -ll-
    "modeling": "modelling",
    "modeled": "modelled",
    "modeler": "modeller",
    "labeling": "labelling",
    "labeled": "labelled",
    "signaling": "signalling",
    "signaled": "signalled",
    "traveling": "travelling",
    "traveled": "travelled",
    "traveler": "traveller",
    "counseling": "counselling",
    "counselor": "counsellor",
    "canceled": "cancelled",
    "canceling": "cancelling",
    "channeling": "channelling",
    "fueled": "fuelled",
    "fueling": "fuelling",
    "tunneling": "tunnelling",
    "leveling": "levelling",
    "enrollment": "enrolment",
    "fulfillment": "fulfilment",
    "skillful": "skilful",
    # the rest
    "aging": "ageing",
    "defense": "defence",
    "offense": "offence",
    "gray": "grey",
    "mold": "mould",
    "catalog": "catalogue",
    "dialog": "dialogue",
    "analog": "analogue",
    "aluminum": "aluminium",
    "program": "programme",
    "license": "licence",
    "practiced": "practised",
    "practicing": "practising",
    "judgment": "judgement",
    "acknowledgment": "acknowledgement",
    "artifact": "artefact",
    "skeptical": "sceptical",
    "skepticism": "scepticism",
    "maneuver": "manoeuvre",
    "plow": "plough",
}
# The ise/yse side of -ize/-yze, with what may follow it.
_IZE: Final = re.compile(r"(?<=\w{3})iz(?=(?:e|es|ed|ing|ation|ations|er|ers|able)$)")
_YZE: Final = re.compile(r"(?<=\w{2})yz(?=(?:e|es|ed|ing|er|ers)$)")
# The medical ae / oe, as (British, folded) pieces: anywhere in a word, or at its start (^).
_VOWELS: Final = (
    ("haem", "hem"),
    ("aemi", "emi"),  # anaemia, leukaemia, ischaemic, hyperglycaemia
    ("paed", "ped"),  # paediatric, orthopaedic
    ("anaesth", "anesth"),
    ("gynaec", "gynec"),
    ("rrhoe", "rrhe"),  # diarrhoea, amenorrhoea
    ("^oedem", "edem"),
    ("^oestr", "estr"),
    ("^oesophag", "esophag"),
    ("^foet", "fet"),
    ("^coeli", "celi"),
    ("^aetiol", "etiol"),
    ("^faec", "fec"),
    ("^sulph", "sulf"),
)
_VOWEL_RULES: Final = tuple(
    (re.compile(("^" if piece.startswith("^") else "") + re.escape(piece.lstrip("^"))), folded)
    for piece, folded in _VOWELS
)
_BRITISH_WORDS: Final = {british: american for american, british in _WORDS.items()}
# The same families from the British side, to find a word's American spelling.
_OUR_BRITISH: Final = re.compile(
    r"^("
    + "|".join(w[:-2] for w in _OUR)
    + r")our("
    + "|".join(e for e in _OUR_ENDINGS if e)
    + r")?$"
)
_ISE: Final = re.compile(r"(?<=\w{3})is(?=(?:e|es|ed|ing|ation|ations|er|ers|able)$)")
_YSE: Final = re.compile(r"(?<=\w{2})ys(?=(?:e|es|ed|ing|er|ers)$)")


def fold(word: str) -> str:
    """One form for every spelling of a lowercase word (see the module's rules); a word with one
    spelling is itself."""
    word = _WORDS.get(word, word)
    if (forms := _OUR_FORMS.match(word)) is not None:
        word = forms.group(1)[:-2] + "our" + (forms.group(2) or "")
    if "iz" in word:
        word = _IZE.sub("is", word)
    if "yz" in word:
        word = _YZE.sub("ys", word)
    if "ae" in word or "oe" in word or word.startswith("sulph"):
        for pattern, folded in _VOWEL_RULES:
            word = pattern.sub(folded, word)
    return word


# Words people search for are remembered, as many as this: typed text cannot grow it for ever.
@lru_cache(maxsize=65_536)
def spellings(word: str) -> tuple[str, ...]:
    """The spellings of a lowercase word that `fold` makes one, the word first: "tumor" gives
    ("tumor", "tumour"); a word with one spelling gives itself alone. (A few may be spellings
    nobody writes, such as "chaemistry" beside "chemistry": they find nothing.)"""
    key = fold(word)
    candidates = [word, key, _BRITISH_WORDS.get(key, key)]
    if (british := _OUR_BRITISH.match(key)) is not None:
        candidates.append(f"{british.group(1)}or{british.group(2) or ''}")
    candidates.append(_YSE.sub("yz", _ISE.sub("iz", key)))
    for pattern, folded in _VOWEL_RULES:
        piece = pattern.pattern.lstrip("^")
        if pattern.pattern.startswith("^"):
            if key.startswith(folded):
                candidates.append(piece + key[len(folded) :])
        elif folded in key:
            candidates.append(key.replace(folded, piece))
    return tuple(dict.fromkeys(c for c in candidates if fold(c) == key))
