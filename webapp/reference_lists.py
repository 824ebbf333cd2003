"""Reference lists for CEP advisers: ROME jobs (métiers) and certifications (RNCP / RS).

Both lists are CSV files under `data/` whose first line is a `#` comment naming the source and
its date (`data_version`). They are read once per process and cached; `reload_rome` and
`reload_certifications` rewrite them from an official export and clear the caches.

Columns read from an official file (header names compared without case, accents, spaces,
hyphens or a leading BOM; comma or semicolon separated; UTF-8, else Windows-1252):
- ROME: the code from `code_rome`, `rome` or `code`; the label from `libelle`, `libelle_rome`,
  `libelle_fiche`, `libelle_metier` or `intitule` (France Travail's `unix_referentiel_code_rome`
  CSV has `code_rome` and `libelle_rome`).
- Certifications (France Compétences' RNCP and RS exports): the number from `numero_fiche`,
  `numero` or `numero_certification`; the title from `intitule` or `libelle`; when an `actif`
  column exists, only rows marked active (`ACTIVE`, `actif`, `oui`, `1`, `true`) are kept.
"""
import csv
import io
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from . import clock
from .communes import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = {"rome": "rome_v346.csv", "certifications": "certifications.csv"}
HEADERS = {"rome": ("code_rome", "libelle"), "certifications": ("numero", "intitule")}

ROME_CODE = re.compile(r"^[A-Z]\d{4}$")
_ROME_CODE_START = re.compile(r"^\s*([A-Za-z]\d{4})(?!\d)")
_CERTIFICATION = re.compile(r"^\s*(RNCP|RS)[\s\-_.:]*(\d{1,6})\s*$", re.IGNORECASE)

_ROME_CODE_COLUMNS = ("code_rome", "rome", "code", "coderome")
_ROME_LABEL_COLUMNS = ("libelle", "libelle_rome", "libelle_fiche", "libelle_metier", "intitule")
_CERTIFICATION_NUMBER_COLUMNS = ("numero_fiche", "numero", "numero_certification", "numerofiche")
_CERTIFICATION_TITLE_COLUMNS = ("intitule", "libelle", "intitule_certification")
_ACTIVE_VALUES = {"active", "actif", "oui", "o", "1", "true", "vrai", "yes"}


def data_path(name: str) -> Path:
    """The data file of a list: `rome` or `certifications`."""
    if name not in FILES:
        raise ValueError(f"Liste de référence inconnue : {name}.")
    return DATA_DIR / FILES[name]


def _read_data_file(name: str) -> tuple[str, list[tuple[str, str]]]:
    """(source line without its `#`, rows) of a shipped data file."""
    with data_path(name).open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    lines = text.splitlines(keepends=True)
    source = lines[0][1:].strip() if lines and lines[0].startswith("#") else ""
    body = "".join(lines[1:] if source else lines)
    code_column, label_column = HEADERS[name]
    rows = [(row[code_column].strip(), row[label_column].strip())
            for row in csv.DictReader(io.StringIO(body)) if (row.get(code_column) or "").strip()]
    return source, rows


@lru_cache(maxsize=None)
def _loaded(name: str) -> tuple[str, tuple[tuple[str, str], ...], dict[str, str]]:
    source, rows = _read_data_file(name)
    return source, tuple(rows), dict(rows)


@lru_cache(maxsize=1)
def _rome_words() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(code, label, normalised words of the label) for every job, for the search."""
    return tuple((code, label, tuple(normalize(label).split())) for code, label in rome_jobs())


def clear_caches() -> None:
    """Forget the lists read so far (after a reload, or when tests point DATA_DIR elsewhere)."""
    _loaded.cache_clear()
    _rome_words.cache_clear()


def data_version(name: str) -> str:
    """The source line of a list's file (source and date), e.g. "ROME … v3.46, France Travail …"."""
    return _loaded(name)[0]


# --- ROME -------------------------------------------------------------------------------------

def rome_jobs() -> list[tuple[str, str]]:
    """Every ROME fiche as (code, libellé), ordered by code."""
    return list(_loaded("rome")[1])


def rome_label(code) -> str | None:
    """The libellé of a ROME code ("a1101" is read as "A1101"), None when unknown."""
    if not isinstance(code, str):
        return None
    return _loaded("rome")[2].get(code.strip().upper())


def rome_code_in(text) -> str | None:
    """The ROME code a typed text starts with ("a1101", "A1101 — Conduite …"), upper-cased."""
    match = _ROME_CODE_START.match(text) if isinstance(text, str) else None
    return match.group(1).upper() if match else None


def _word_matches(word: str, code: str, label_words: tuple[str, ...]) -> int | None:
    """Position of the first label word starting with `word` (-1 for the code), else None."""
    if code.lower().startswith(word):
        return -1
    return next((i for i, label_word in enumerate(label_words) if label_word.startswith(word)), None)


def search_rome(query, limit: int = 20) -> list[tuple[str, str]]:
    """Jobs whose code starts with the query, or whose label has, for every word of the query,
    a word starting with it (case and accents ignored): "coiff" finds « Coiffure », "a11" the
    A11xx fiches. Best first: code matches, then labels matching earliest, then shortest."""
    words = normalize(query if isinstance(query, str) else "").split()
    if not words:
        return []
    found = []
    for code, label, label_words in _rome_words():
        positions = [_word_matches(word, code, label_words) for word in words]
        if any(p is None for p in positions):
            continue
        exact = sum(1 for word in words if word in label_words or word == code.lower())
        found.append(((min(positions), -exact, sum(positions), len(label_words), code), code, label))
    found.sort()
    return [(code, label) for _key, code, label in found[:limit]]


# --- Certifications ---------------------------------------------------------------------------

def certifications() -> list[tuple[str, str]]:
    """Every certification of the shipped file as (number, title), e.g. ("RNCP34398", "…")."""
    return list(_loaded("certifications")[1])


def normalise_certification(text) -> str | None:
    """"rncp 34398", "RNCP34398", "RS 5063" → "RNCP34398", "RS5063"; None for any other form."""
    match = _CERTIFICATION.match(text) if isinstance(text, str) else None
    return f"{match.group(1).upper()}{match.group(2)}" if match else None


def certification_label(number) -> str | None:
    """The title of a certification number in the shipped file, None when absent or malformed."""
    normalised = normalise_certification(number)
    return _loaded("certifications")[2].get(normalised) if normalised else None


# --- Reloading from official files ------------------------------------------------------------

def _header_key(name: str) -> str:
    return normalize((name or "").lstrip("\ufeff")).replace(" ", "_")


def _read_official(path) -> tuple[list[dict], list[str]]:
    """Rows of an official CSV as {normalised header: value}, and the normalised headers."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    while text.startswith("#"):  # a source line like the ones this module writes
        text = text.partition("\n")[2]
    header_line = text.partition("\n")[0]
    if not header_line.strip():
        return [], []
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)  # quoted newlines kept
    headers = [_header_key(h) for h in next(reader)]
    rows = [dict(zip(headers, (value.strip() for value in values)))
            for values in reader if any(value.strip() for value in values)]
    return rows, headers


def _column(headers: list[str], candidates: tuple[str, ...], what: str, path) -> str:
    found = next((c for c in candidates if c in headers), None)
    if found is None:
        raise ValueError(f"Fichier {Path(path).name} : colonne {what} introuvable "
                         f"(attendue : {' ou '.join(candidates[:2])}). Rien n'a été modifié.")
    return found


def _unique(rows: list[tuple[str, str]], path) -> list[tuple[str, str]]:
    """Rows sorted by code, a code repeated with the same label kept once; refused otherwise."""
    kept: dict[str, str] = {}
    for code, label in rows:
        if code in kept and kept[code] != label:
            raise ValueError(f"Fichier {Path(path).name} : le code {code} apparaît avec deux "
                             "libellés différents. Rien n'a été modifié.")
        kept[code] = label
    return sorted(kept.items())


def _write_atomically(name: str, source: str, rows: list[tuple[str, str]]) -> None:
    """Write the data file through a temporary file renamed over it: readers never see half."""
    target = data_path(name)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=target.parent,
                                         prefix=f".{target.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(f"# {source}\n")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADERS[name])
            writer.writerows(rows)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    clear_caches()


def _today() -> str:
    return clock.now().date().strftime("%d/%m/%Y")


def reload_rome(path) -> int:
    """Replace the ROME list with an official CSV; the number of fiches loaded.

    ValueError (French) when a column is missing, a code is not one letter and four digits, a
    label is empty or no row is left: the current file is then left untouched."""
    rows, headers = _read_official(path)
    code_column = _column(headers, _ROME_CODE_COLUMNS, "du code ROME", path)
    label_column = _column(headers, _ROME_LABEL_COLUMNS, "du libellé", path)
    jobs = []
    for position, row in enumerate(rows, start=1):
        code, label = (row.get(code_column) or "").upper(), row.get(label_column) or ""
        if not ROME_CODE.match(code) or not label:
            raise ValueError(f"Fichier {Path(path).name}, fiche n° {position} : code ROME « {code} » ou "
                             "libellé invalide (une lettre et quatre chiffres, puis le libellé). "
                             "Rien n'a été modifié.")
        jobs.append((code, label))
    if not jobs:
        raise ValueError(f"Fichier {Path(path).name} : aucune fiche ROME. Rien n'a été modifié.")
    jobs = _unique(jobs, path)
    _write_atomically("rome", f"ROME (Répertoire opérationnel des métiers et des emplois), "
                              f"France Travail : chargé depuis {Path(path).name} le {_today()}, "
                              f"{len(jobs)} fiches : code_rome, libelle.", jobs)
    return len(jobs)


def _active(row: dict) -> bool:
    return "actif" not in row or normalize(row["actif"]) in _ACTIVE_VALUES


def reload_certifications(path, *more_paths) -> int:
    """Replace the certifications with France Compétences' exports (the RNCP file, the RS file,
    or both); the number kept. Inactive rows are skipped when the file has an `Actif` column.

    ValueError (French) when a column is missing, a number is not RNCP or RS followed by 1 to 6
    digits, a title is empty or no active row is left: the current file is then left untouched."""
    kept, names = [], []
    for one in (path, *more_paths):
        rows, headers = _read_official(one)
        number_column = _column(headers, _CERTIFICATION_NUMBER_COLUMNS, "Numero_Fiche", one)
        title_column = _column(headers, _CERTIFICATION_TITLE_COLUMNS, "Intitule", one)
        for position, row in enumerate(rows, start=1):
            number, title = normalise_certification(row.get(number_column)), row.get(title_column)
            if number is None or not title:
                raise ValueError(f"Fichier {Path(one).name}, fiche n° {position} : numéro de fiche "
                                 f"« {row.get(number_column) or ''} » ou intitulé invalide (RNCP ou "
                                 "RS suivi de 1 à 6 chiffres, puis l'intitulé). Rien n'a été modifié.")
            if _active(row):
                kept.append((number, title))
        names.append(Path(one).name)
    if not kept:
        raise ValueError(f"Fichier {', '.join(names)} : aucune certification active. "
                         "Rien n'a été modifié.")
    kept = _unique(kept, path)
    _write_atomically("certifications", f"Certifications RNCP et RS actives, France Compétences "
                                        f"(open data) : chargées depuis {', '.join(names)} le "
                                        f"{_today()}, {len(kept)} fiches : numero, intitule.", kept)
    return len(kept)
