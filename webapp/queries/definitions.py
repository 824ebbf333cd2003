"""Published definitions (BPMN journeys, DMN decision tables) and their versions."""
import re

from sqlalchemy import and_, select

from ..extensions import db
from ..models import DefinitionVersion
from ..vocabularies import PUBLICS_SPRO, category_labels
from ..workflow import DefinitionError
from ..workflow.xml import parse_xml
from .directory import network_labels

_DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def is_current(process_key: str, kind: str = "bpmn"):
    """The condition naming the version new journeys (or suggestions) use."""
    return and_(DefinitionVersion.process_key == process_key, DefinitionVersion.kind == kind,
                DefinitionVersion.is_current.is_(True))


def current_version(process_key: str, kind: str = "bpmn") -> DefinitionVersion | None:
    """The version new journeys (or suggestions) use."""
    return db.session.scalar(select(DefinitionVersion).where(is_current(process_key, kind)))


def decision_versions(key: str) -> list[DefinitionVersion]:
    return db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.process_key == key, DefinitionVersion.kind == "dmn")
        .order_by(DefinitionVersion.version.desc())).all()


def decision_rows(xml: str) -> dict:
    """The table as headings and rows of texts, for reading it on screen."""
    root = parse_xml(xml)
    ns = root.nsmap.get(None) or _DMN.strip("{}")
    q = f"{{{ns}}}"
    table = root.find(f".//{q}decisionTable")
    inputs = [i.get("label") or i.get("id") for i in table.findall(f"{q}input")]
    expressions = [(i.findtext(f"{q}inputExpression/{q}text") or "").strip() for i in table.findall(f"{q}input")]
    outputs = [o.get("label") or o.get("name") for o in table.findall(f"{q}output")]
    names = [o.get("name") for o in table.findall(f"{q}output")]
    rows = []
    for rule in table.findall(f"{q}rule"):
        cells = [(e.findtext(f"{q}text") or "").strip() for e in rule.findall(f"{q}inputEntry")]
        cells += [(e.findtext(f"{q}text") or "").strip() for e in rule.findall(f"{q}outputEntry")]
        rows.append(cells)
    return {"hit_policy": table.get("hitPolicy", "UNIQUE"), "inputs": inputs, "outputs": outputs, "rows": rows,
            "input_expressions": expressions, "output_names": names}


# How each hit policy combines the rules, in the words of the people who edit the table.
HIT_POLICIES = {
    "COLLECT": "Toutes les règles dont les conditions sont remplies s'appliquent : chacune suggère "
               "un réseau avec un poids ; si plusieurs règles suggèrent le même réseau, le poids le plus "
               "fort est retenu, avec sa raison.",
    "UNIQUE": "Une seule règle au plus peut correspondre à une situation donnée.",
    "FIRST": "Les règles sont lues dans l'ordre : la première dont les conditions sont remplies s'applique.",
    "PRIORITY": "Parmi les règles qui correspondent, celle dont le résultat est prioritaire s'applique.",
    "ANY": "Plusieurs règles peuvent correspondre, mais elles doivent toutes donner le même résultat.",
    "RULE ORDER": "Toutes les règles qui correspondent s'appliquent, dans l'ordre de la table.",
    "OUTPUT ORDER": "Toutes les règles qui correspondent s'appliquent, par ordre de priorité des résultats.",
}
# Column titles by the name the application reads (input expression or output name).
COLUMN_TITLES = {"public": "Public", "categories": "Thématiques", "reseau": "Réseau",
                 "poids": "Poids", "raison": "Raison"}
QUOTED_TEXT = re.compile(r'"((?:[^"\\]|\\.)*)"')  # a text value written in a table cell


def column_labels(name: str) -> dict[str, str]:
    """{code: label} a cell of this column may name ({} when the column takes anything)."""
    if name == "public":
        return dict(PUBLICS_SPRO)
    if name == "categories":
        return category_labels()
    if name == "reseau":
        return network_labels()
    return {}


def _readable(entry: str, labels: dict[str, str], is_input: bool) -> str:
    """A DMN cell in plain French: value labels, « toutes » for any value, texts unquoted."""
    text = entry.strip()
    if is_input and text in ("", "-"):
        return "toutes"
    values = QUOTED_TEXT.findall(text)
    if not values:
        return text
    readable = ", ".join(labels.get(v, v) for v in values)
    if is_input and re.match(r"^\s*not\s*\(", text):
        return f"toutes sauf {readable}"
    return readable


def readable_decision(xml: str) -> dict:
    """The decision table as French columns and rows, for reading it on screen."""
    table = decision_rows(xml)
    root = parse_xml(xml)
    decision = next((e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}decision")), None)
    names = table["input_expressions"] + table["output_names"]
    headings = table["inputs"] + table["outputs"]
    columns = [COLUMN_TITLES.get(n, h) for n, h in zip(names, headings)]
    n_inputs = len(table["inputs"])
    rows = [[_readable(cell, column_labels(name), i < n_inputs) for i, (name, cell) in enumerate(zip(names, row))]
            for row in table["rows"]]
    policy = table["hit_policy"]
    return {"name": decision.get("name") if decision is not None and decision.get("name") else "Table de décision",
            "columns": columns, "inputs": n_inputs, "rows": rows,
            "hit_policy": HIT_POLICIES.get(policy, "Règle de combinaison non décrite.")}


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def place_in_table(xml: str, element_id: str | None) -> str | None:
    """Where an element of a DMN file sits, in words (« règle 3, colonne Réseau »), or None."""
    if not element_id:
        return None
    try:
        root = parse_xml(xml)
    except DefinitionError:
        return None
    element = next((e for e in root.iter() if e.get("id") == element_id), None)
    if element is None:
        return None
    rule = next((a for a in [element, *element.iterancestors()] if _local(a.tag) == "rule"), None)
    if rule is None:
        return "en-tête de la table"
    rules = [r for r in rule.getparent() if _local(r.tag) == "rule"]
    where = f"règle {rules.index(rule) + 1}"
    entry = next((a for a in [element, *element.iterancestors()]
                  if _local(a.tag) in ("inputEntry", "outputEntry")), None)
    if entry is not None:
        table = decision_rows(xml)
        names = table["input_expressions"] + table["output_names"]
        headings = table["inputs"] + table["outputs"]
        cells = [c for c in rule if _local(c.tag) in ("inputEntry", "outputEntry")]
        index = cells.index(entry)
        if index < len(names):
            where += f", colonne « {COLUMN_TITLES.get(names[index], headings[index])} »"
    return where
