"""The words a person is found by: lower case, no accents, phone numbers as national digits."""
from .communes import normalize

SEARCHED_FIELDS = ("prenom", "nom", "annee_naissance", "telephone", "email", "commune")
MAX_TERM = 80


def phone_digits(value) -> str:
    """A phone number as national digits: "+33 6 98…" and "06.98…" both give "0698…"."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def terms_of(values: dict) -> set[str]:
    """The normalised words a person can be found by, from the fields one structure may see."""
    words = set()
    for name in SEARCHED_FIELDS:
        value = values.get(name)
        if value in (None, ""):
            continue
        if name == "telephone":
            digits = phone_digits(value)
            if digits:
                words.add(digits)
            continue
        words.update(normalize(str(value)).split())
    return {w[:MAX_TERM] for w in words if w}


def query_terms(text: str) -> list[str]:
    """The words of a search: normalised, a phone number typed in groups ("06 98") kept whole."""
    words = normalize(text or "").split()
    if len(words) > 1 and words[0] == "33" and words[1].isdigit():  # "+33 6 98…"
        words = ["0" + words[1]] + words[2:]
    merged = []
    for word in words:
        if word.isdigit() and merged and merged[-1].isdigit() and merged[-1].startswith("0"):
            merged[-1] += word
        else:
            merged.append(word)
    return [w[:MAX_TERM] for w in dict.fromkeys(merged)]


def first_word(text) -> str:
    """The first normalised word of a name ("" when none)."""
    words = normalize(str(text or "")).split()
    return words[0] if words else ""
