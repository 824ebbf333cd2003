"""Published definitions (BPMN journeys, DMN decision tables) and their versions."""
from sqlalchemy import select

from ..extensions import db
from ..models import DefinitionVersion
from ..workflow.xml import parse_xml

_DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


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
