"""Checks and clean-ups shared by every form that records a person or a date.

A schema property names its check with `x-check` (`email`, `telephone`, `commune`,
`annee_naissance`, `rome`, `certification`) or its time rule with `x-date` (`past`: not after
today, `future`: not before today). `task_forms.validate` runs them; `task_forms.coerce` applies
the clean-ups; `options` gives the suggestions of the `rome` and `certification` fields.
"""
import re
from datetime import date, datetime

import phonenumbers

from . import clock, communes, reference_lists

_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
_FRENCH_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_AGE = 120


def today() -> date:
    """Today according to the application clock (tests move it)."""
    return clock.now().date()


def parse_date(text) -> date | None:
    """A date typed as jj/mm/aaaa (or j/m/aaaa, with - or .) or sent as ISO by a date input."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        match = _FRENCH_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def french_date(value) -> str:
    """dd/mm/yyyy for a date, a datetime or an ISO string; anything else unchanged."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = parse_date(value) or value
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def clean_date(text: str) -> str:
    """The ISO form of a date typed in French, or the text unchanged when it is no date."""
    parsed = parse_date(text)
    return parsed.isoformat() if parsed else text


def clean_phone(text: str) -> str:
    """French numbers as « 06 12 34 56 78 », others as « +44 20 … »; unchanged when invalid."""
    number = _phone(text)
    if number is None:
        return text
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def clean_commune(text: str) -> str:
    """The official name of the commune (with its postal code when the name has homonyms)."""
    commune = communes.resolve(text)
    if commune is None:
        return text
    return commune.nom if communes.resolve(commune.nom) == commune else commune.label


def clean_rome(text: str) -> str:
    """The ROME code of "a1101" or of a chosen suggestion "A1101 — Conduite d'engins …", or of a
    label typed in full (« Coiffure » → D1202); the text unchanged otherwise."""
    code = reference_lists.rome_code_in(text)
    if code is not None:
        return code
    wanted = communes.normalize(text)
    same = [c for c, label in reference_lists.rome_jobs() if communes.normalize(label) == wanted]
    return same[0] if len(same) == 1 else text


def clean_certification(text: str) -> str:
    """"rncp 34398" or a chosen suggestion "RNCP34398 — Titre" as "RNCP34398"; else unchanged."""
    number = reference_lists.normalise_certification(re.split(r"\s+[—–-]\s+", text, maxsplit=1)[0])
    return number or text


CLEAN = {"telephone": clean_phone, "commune": clean_commune, "rome": clean_rome,
         "certification": clean_certification}


def _phone(text):
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def check_email(value) -> str | None:
    if _EMAIL.match(value) and ".." not in value:
        return None
    return "Adresse de courriel invalide : elle s'écrit comme prenom.nom@exemple.fr."


def check_telephone(value) -> str | None:
    if _phone(value) is not None:
        return None
    return ("Numéro de téléphone invalide : saisissez les 10 chiffres d'un numéro français "
            "(06 12 34 56 78) ou un numéro étranger commençant par + et l'indicatif du pays.")


def check_commune(value) -> str | None:
    if communes.resolve(value) is not None:
        return None
    homonyms = communes.candidates(value)
    if homonyms:
        code = value.strip()
        labels = [f"{c.nom} ({code if code in c.codes_postaux else (c.codes_postaux or ('',))[0]})"
                  for c in homonyms]
        hint = "Saisissez le nom de la commune." if code.isdigit() else \
            "Ajoutez le code postal, par exemple « " + labels[0] + " »."
        return f"Plusieurs communes correspondent : {', '.join(labels)}. {hint}"
    close = communes.search(value, limit=3) or communes.search(value.strip()[:4], limit=3)
    if close:
        return ("Commune inconnue en Centre-Val de Loire. Vouliez-vous dire : "
                + ", ".join(c.label for c in close) + " ?")
    return ("Commune inconnue en Centre-Val de Loire : saisissez son nom ou son code postal. "
            "Si la personne habite hors de la région, laissez ce champ vide.")


def check_annee_naissance(value) -> str | None:
    year = today().year
    if value > year:
        return "L'année de naissance ne peut pas être dans le futur."
    if value < year - MAX_AGE:
        return f"Année de naissance peu plausible : saisissez une année à partir de {year - MAX_AGE}."
    return None


def check_rome(value) -> str | None:
    if reference_lists.rome_label(value) is not None and reference_lists.ROME_CODE.match(value):
        return None
    return "Choisissez un métier de la liste ROME (code à une lettre et quatre chiffres)."


def check_certification(value) -> str | None:
    """A well-formed number passes even when absent from the shipped list (it may be empty)."""
    if reference_lists.normalise_certification(value) == value:
        return None
    return ("Numéro de certification invalide : RNCP ou RS suivi du numéro de la fiche, "
            "par exemple RNCP34398.")


CHECKS = {"email": (str, check_email), "telephone": (str, check_telephone),
          "commune": (str, check_commune), "annee_naissance": (int, check_annee_naissance),
          "rome": (str, check_rome), "certification": (str, check_certification)}


def options(check_name: str) -> list[tuple[str, str]]:
    """The (value, label) suggestions a text field with this check offers (for a <datalist>):
    every ROME job as ("A1101", "A1101 — Conduite d'engins …"), every certification of the
    shipped file; none for other checks."""
    if check_name == "rome":
        return [(code, f"{code} — {label}") for code, label in reference_lists.rome_jobs()]
    if check_name == "certification":
        return [(number, f"{number} — {title}") for number, title in reference_lists.certifications()]
    return []


def check(kind: str, value) -> str | None:
    """The French message for a value failing the named check, None when it passes (or when
    its type is wrong: the schema's type rule reports that)."""
    expected, function = CHECKS.get(kind, (None, None))
    if function is None or not isinstance(value, expected) or isinstance(value, bool):
        return None
    return function(value)


# How far a date may lie from today: a past event of the last few years, an appointment within
# the next year (beyond, the date is a typing error, and the engine could not compute with it).
PAST_YEARS, FUTURE_DAYS = 10, 366


def check_date(rule: str, value) -> str | None:
    """`past`: the date cannot be after today, nor more than PAST_YEARS ago; `future`: it cannot
    be before today, nor more than FUTURE_DAYS ahead."""
    parsed = parse_date(value) if _ISO_DATE.match(str(value)) else None
    if parsed is None:
        return None
    if rule == "past" and parsed > today():
        return "Cette date est dans le futur : indiquez une date passée ou celle d'aujourd'hui."
    if rule == "past" and parsed.year < today().year - PAST_YEARS:
        return f"Cette date a plus de {PAST_YEARS} ans : vérifiez l'année."
    if rule == "future" and parsed < today():
        return "Cette date est déjà passée : indiquez la date d'aujourd'hui ou une date à venir."
    if rule == "future" and (parsed - today()).days > FUTURE_DAYS:
        return "Cette date est à plus d'un an : vérifiez l'année."
    return None
