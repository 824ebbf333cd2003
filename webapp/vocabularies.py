"""Reference vocabularies: SPRO public statuses and data·inclusion thématiques."""
from functools import lru_cache

from data_inclusion.schema.v1.thematiques import Categorie, Thematique

PUBLICS_SPRO = [
    ("scolaire", "Scolaire"),
    ("etudiant", "Étudiant·e"),
    ("apprenti", "Apprenti·e"),
    ("salarie", "Salarié·e"),
    ("actif_non_salarie", "Actif·ve non salarié·e"),
    ("demandeur_emploi", "Demandeur·se d'emploi"),
    ("benevole", "Bénévole"),
    ("autre", "Autre situation"),
]

# Categories of the data·inclusion vocabulary that concern guidance about working life.
GUIDANCE_CATEGORIES = (
    "choisir-un-metier", "se-former", "trouver-un-emploi", "preparer-sa-candidature",
    "creer-une-entreprise", "remobilisation", "souvrir-a-linternational", "mobilite", "numerique",
)


@lru_cache(maxsize=1)
def thematiques() -> list[tuple[str, str, str]]:
    """(value, label, category label) for the guidance thématiques, in the package's order."""
    categories = {c.value: c.label for c in Categorie}
    rows = []
    for item in Thematique:
        category = item.value.split("--", 1)[0]
        if category in GUIDANCE_CATEGORIES:
            rows.append((item.value, item.label, categories.get(category, category)))
    return rows


def category_labels() -> dict[str, str]:
    return {c.value: c.label for c in Categorie}


def options(vocabulary: str) -> list[tuple[str, str, str | None]]:
    """The (value, label, group) options of a named vocabulary."""
    if vocabulary == "thematiques":
        return thematiques()
    if vocabulary == "publics_spro":
        return [(v, label, None) for v, label in PUBLICS_SPRO]
    raise KeyError(vocabulary)


def label(vocabulary: str, value: str) -> str:
    for v, text, _group in options(vocabulary):
        if v == value:
            return text
    return value
