"""Where people wait in a journey: load per BPMN element, read from the human-task index only.

What is counted. Tasks are those of journeys *started on* `process_key` (human_task.process_key,
which the index copies from journey.process_key: the caller's key). A called process's steps
(e.g. « Choisir le partenaire » of `orientation` inside an `accueil` journey) keep their own
element ids in human_task.bpmn_id, so they appear on the caller's map under those ids; a process
only ever called (orientation, prise_en_charge) has no journey of its own and an empty map. Element
ids are assumed unique across a journey and the processes it calls (true of the shipped files).
The map of one version counts the task rows of that version (human_task.definition_version_id): an
open task is on its journey's version (it follows a migrated journey), a completed one on the version
it was completed on; journeys ended are counted on the version they ended on.
The workflow states are never read: a constant number of statements whatever the number of journeys.
"""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import defer

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import DefinitionVersion, HumanTask, Journey
from ..workflow.xml import parse_xml
from .studio import BPMN, element_names

PERIOD_DAYS = (7, 30, 90, 365)
DEFAULT_DAYS = 30


@dataclass
class ElementLoad:
    bpmn_id: str
    waiting: int = 0  # open tasks now
    median_wait: timedelta | None = None
    longest_wait: timedelta | None = None
    completed: int = 0  # tasks completed there within [since, until)
    entered: int = 0  # tasks created there within [since, until), whatever became of them


def _scope(stmt, process_key: str, version_id: int | None):
    """Task rows of `process_key`, of one version when given (the row's own version: no join)."""
    stmt = stmt.where(HumanTask.process_key == process_key)
    if version_id is not None:
        stmt = stmt.where(HumanTask.definition_version_id == version_id)
    return stmt


def _median_created_sqlite(process_key: str, version_id: int | None) -> dict[str, datetime]:
    """{bpmn_id: median created_at of its open tasks}: the one or two middle rows per element."""
    ranked = _scope(select(
        HumanTask.bpmn_id, HumanTask.created_at,
        func.row_number().over(partition_by=HumanTask.bpmn_id, order_by=(HumanTask.created_at, HumanTask.id))
        .label("rank"),
        func.count().over(partition_by=HumanTask.bpmn_id).label("total"),
    ).where(HumanTask.status == "ouverte"), process_key, version_id).subquery()
    rows = db.session.execute(select(ranked.c.bpmn_id, ranked.c.created_at).where(
        ranked.c.rank.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2])))
    middles: dict[str, list[datetime]] = {}
    for bpmn_id, created_at in rows:
        middles.setdefault(bpmn_id, []).append(created_at)
    return {bpmn_id: values[0] + (values[-1] - values[0]) / 2 for bpmn_id, values in middles.items()}


def _within(column, since: datetime | None, until: datetime | None):
    bounds = ([column >= since] if since is not None else []) + ([column < until] if until is not None else [])
    return and_(true(), *bounds)


def element_load(process_key: str, version_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> dict[str, ElementLoad]:
    """{bpmn_id: ElementLoad} for the journeys of `process_key` (of one definition version when given).

    Two statements: the open tasks (ix_human_task_heatmap; the median in the same statement on PostgreSQL,
    a third one on SQLite, which has no percentile_cont), then the tasks completed or created within the
    period, counted in one pass without sorting."""
    now = clock.now()
    postgres = db.engine.dialect.name == "postgresql"
    columns = [HumanTask.bpmn_id, func.count(), func.min(HumanTask.created_at)]
    if postgres:
        columns.append(func.percentile_cont(0.5).within_group(func.extract("epoch", HumanTask.created_at)))
    open_rows = db.session.execute(_scope(select(*columns).where(HumanTask.status == "ouverte"),
                                          process_key, version_id).group_by(HumanTask.bpmn_id)).all()
    medians = {} if postgres or not open_rows else _median_created_sqlite(process_key, version_id)
    loads: dict[str, ElementLoad] = {}
    for row in open_rows:
        bpmn_id, waiting, oldest = row[:3]
        median_created = (datetime(1970, 1, 1) + timedelta(seconds=float(row[3]))) if postgres \
            else medians.get(bpmn_id)
        loads[bpmn_id] = ElementLoad(bpmn_id, waiting, now - median_created if median_created else None,
                                     now - oldest)
    done = and_(HumanTask.status == "terminee", _within(HumanTask.completed_at, since, until))
    entered = _within(HumanTask.created_at, since, until)
    counted = db.session.execute(_scope(select(HumanTask.bpmn_id, func.count(case((done, 1))),
                                               func.count(case((entered, 1)))).where(or_(done, entered)),
                                        process_key, version_id).group_by(HumanTask.bpmn_id))
    for bpmn_id, completed, entered_count in counted:
        load = loads.setdefault(bpmn_id, ElementLoad(bpmn_id))
        load.completed, load.entered = completed, entered_count
    return loads


def french_duration(delta: timedelta | None) -> str:
    """« 3 j 4 h », « 2 h 5 min », « 25 min », « moins d'une minute »; « — » when there is none."""
    if delta is None:
        return "—"
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h" if hours else f"{days} j"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "moins d'une minute"


@lru_cache(maxsize=64)
def _names_in(xml: str) -> dict[str, str]:
    """element_names of a diagram, parsed once per content (published versions never change); do not mutate."""
    return element_names(xml)


def element_titles(version: DefinitionVersion) -> dict[str, str]:
    """{element id: name} of a version's diagram, then of the current versions of the processes it may call."""
    others = db.session.execute(select(DefinitionVersion.name, DefinitionVersion.bpmn_xml).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True),
        DefinitionVersion.process_key != version.process_key))
    titles = {}
    for name_of_other, xml in others:
        titles.update({i: f"{name} (dans « {name_of_other} »)" for i, name in _names_in(xml).items()})
    titles.update(_names_in(version.bpmn_xml))
    return titles


def heatmap_rows(process_key: str, version: DefinitionVersion, version_id: int | None, days: int) -> list[dict]:
    """The table « Où attendent les personnes ? »: one row per step, most waiting first."""
    until = clock.now()
    loads = element_load(process_key, version_id, since=until - timedelta(days=days), until=until)
    titles = element_titles(version)
    rows = [{"bpmn_id": load.bpmn_id, "title": titles.get(load.bpmn_id, load.bpmn_id), "waiting": load.waiting,
             "median": french_duration(load.median_wait),
             "longest": french_duration(load.longest_wait), "completed": load.completed}
            for load in loads.values()]
    return sorted(rows, key=lambda r: (-r["waiting"], -r["completed"], r["title"]))


def heatmap_view(process_key: str, versions: list[DefinitionVersion], args) -> dict:
    """The heatmap section from the page's GET parameters (`version`: a number or « toutes »,
    `jours`: one of PERIOD_DAYS); a value that is not offered falls back to its default."""
    by_number = {v.version: v for v in versions}
    raw_version, raw_days = args.get("version", ""), args.get("jours", "")
    chosen = by_number.get(int(raw_version)) if raw_version.isdecimal() and len(raw_version) <= 9 else None
    days = int(raw_days) if raw_days.isdecimal() and len(raw_days) <= 9 and int(raw_days) in PERIOD_DAYS \
        else DEFAULT_DAYS
    shown = chosen or next((v for v in versions if v.is_current), versions[0])
    return {"rows": heatmap_rows(process_key, shown, chosen.id if chosen else None, days),
            "version": chosen.version if chosen else None, "days": days, "periods": PERIOD_DAYS}


# --- The map drawn on the diagram (« carte »): steps, flows passed, and the period asked for ----------

PARIS = ZoneInfo("Europe/Paris")
REPEATED = ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics")
LEVELS = 3  # colour classes heat-1..3 / flow-1..3; 0 means none
NOT_MEASURED = {
    "automatic": "relie des éléments automatiques (passerelle, service, appel, sous-processus) : "
                 "leur passage n'est pas enregistré",
    "repeated": "touche une étape répétée (boucle) : le registre ne dit pas quel passage est le premier ou le dernier",
}
MEASURES = {"entered": "entrées dans « {} »", "left": "sorties de « {} » (étape terminée)",
            "ended": "parcours terminés sur « {} »"}


@dataclass(frozen=True)
class DiagramShape:
    """What a version's diagram says about its flows, as far as the task index can follow them."""
    flows: list[dict]  # {id, name, source, target}
    user_tasks: set[str]
    repeated: set[str]  # user tasks with loop or multi-instance characteristics
    top_ends: set[str]  # end events of the journey's own process (journey.end_event)
    names: dict[str, str]


@lru_cache(maxsize=64)
def diagram_shape(xml: str, process_key: str) -> DiagramShape:
    """Flows, user tasks and end events of a BPMN file, read with the hardened parser (once per content)."""
    root = parse_xml(xml)
    processes = list(root.iter(f"{{{BPMN}}}process"))
    top = next((p for p in processes if p.get("id") == process_key), processes[0] if processes else None)
    user_tasks, repeated = set(), set()
    for task in root.iter(f"{{{BPMN}}}userTask"):
        user_tasks.add(task.get("id"))
        if any(task.find(f"{{{BPMN}}}{loop}") is not None for loop in REPEATED):
            repeated.add(task.get("id"))
    flows = [{"id": f.get("id"), "name": f.get("name") or "", "source": f.get("sourceRef"),
              "target": f.get("targetRef")} for f in root.iter(f"{{{BPMN}}}sequenceFlow") if f.get("id")]
    top_ends = {e.get("id") for e in top.iterfind(f"{{{BPMN}}}endEvent")} if top is not None else set()
    names = {e.get("id"): e.get("name") for e in root.iter() if isinstance(e.tag, str) and e.get("id")
             and e.get("name")}
    return DiagramShape(flows, user_tasks, repeated, top_ends, names)


def flow_measure(flow: dict, shape: DiagramShape, incoming: dict, outgoing: dict) -> tuple[str | None, str]:
    """How the flow's passages can be counted (a task created at its only entrance, completed at its only exit,
    or the journey ended on it): ("left", task), ("entered", task), ("ended", end event),
    or (None, reason) when the task index cannot tell."""
    source, target = flow["source"], flow["target"]
    touches_loop = False
    if source in shape.user_tasks and outgoing.get(source) == 1:
        if source not in shape.repeated:
            return "left", source
        touches_loop = True
    if target in shape.user_tasks and incoming.get(target) == 1:
        if target not in shape.repeated:
            return "entered", target
        touches_loop = True
    if target in shape.top_ends and incoming.get(target) == 1:
        return "ended", target
    return None, "repeated" if touches_loop or target in shape.repeated or source in shape.repeated else "automatic"


def _period(stmt, column, since: datetime, until: datetime):
    return stmt.where(column >= since, column < until)


def _ended(process_key: str, version_id: int | None, since: datetime, until: datetime) -> dict[str, int]:
    """{end event id: journeys that ended on it within the period}."""
    stmt = select(Journey.end_event, func.count()).where(Journey.process_key == process_key,
                                                          Journey.end_event.is_not(None))
    if version_id is not None:
        stmt = stmt.where(Journey.definition_version_id == version_id)
    return dict(db.session.execute(_period(stmt, Journey.ended_at, since, until)
                                   .group_by(Journey.end_event)).all())


def scale(values) -> list[tuple[int, int]]:
    """The ranges of the colour classes 1..LEVELS for counts up to max(values): [(low, high), ...]."""
    top = max([v for v in values if v] or [0])
    bounds = sorted({-(-top * i // LEVELS) for i in range(1, LEVELS + 1)})
    ranges, low = [], 1
    for high in bounds:
        if high >= low:
            ranges.append((low, high))
            low = high + 1
    return ranges


def level(value: int | None, ranges: list[tuple[int, int]]) -> int:
    if not value:
        return 0
    return next((i for i, (_, high) in enumerate(ranges, start=1) if value <= high), len(ranges))


def _seconds(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def diagram_figures(process_key: str, shown: DefinitionVersion, version_id: int | None,
                    since: datetime, until: datetime) -> dict:
    """Per step of the journeys (of one version, or all when version_id is None): waiting now, median and
    longest wait, completed over [since, until); per flow of `shown`'s diagram: how many times it was passed
    over the period when the task index can tell, else None with the reason. A constant number of statements."""
    loads = element_load(process_key, version_id, since, until)
    ended = _ended(process_key, version_id, since, until)
    shape = diagram_shape(shown.bpmn_xml, process_key)
    titles = element_titles(shown)
    for task_id in shape.user_tasks:
        loads.setdefault(task_id, ElementLoad(task_id))
    step_scale = scale(load.waiting for load in loads.values())
    steps = [{"id": load.bpmn_id, "title": titles.get(load.bpmn_id, load.bpmn_id),
              "on_diagram": load.bpmn_id in shape.user_tasks, "waiting": load.waiting,
              "median": french_duration(load.median_wait), "median_seconds": _seconds(load.median_wait),
              "longest": french_duration(load.longest_wait), "longest_seconds": _seconds(load.longest_wait),
              "completed": load.completed, "level": level(load.waiting, step_scale)}
             for load in loads.values()]
    steps.sort(key=lambda s: (-s["waiting"], not s["on_diagram"], -s["completed"], s["title"]))
    incoming, outgoing = {}, {}
    for flow in shape.flows:
        incoming[flow["target"]] = incoming.get(flow["target"], 0) + 1
        outgoing[flow["source"]] = outgoing.get(flow["source"], 0) + 1
    counted = {"entered": {i: load.entered for i, load in loads.items()},
               "left": {i: load.completed for i, load in loads.items()}, "ended": ended}
    flows = []
    for flow in shape.flows:
        measure, about = flow_measure(flow, shape, incoming, outgoing)
        source, target = (shape.names.get(flow[end], flow[end]) for end in ("source", "target"))
        ends = f"de « {source} » vers « {target} »"
        flows.append({"id": flow["id"], "title": f"{flow['name']} ({ends})" if flow["name"] else ends,
                      "source": source, "target": target, "measure": measure,
                      "passed": counted[measure].get(about, 0) if measure else None,
                      "how": MEASURES[measure].format(shape.names.get(about, about)) if measure
                      else f"non mesuré : ce flux {NOT_MEASURED[about]}"})
    flow_scale = scale(f["passed"] for f in flows)
    for flow in flows:
        flow["level"] = level(flow["passed"], flow_scale)
    return {"steps": steps, "flows": flows, "step_scale": step_scale, "flow_scale": flow_scale}


def map_versions(process_key: str) -> list[DefinitionVersion]:
    """A journey's versions, newest first, without their compiled specs and forms (the map never reads them)."""
    versions = db.session.scalars(select(DefinitionVersion).options(
        defer(DefinitionVersion.spec_json), defer(DefinitionVersion.forms), defer(DefinitionVersion.bpmn_xml))
        .where(DefinitionVersion.process_key == process_key, DefinitionVersion.kind == "bpmn")
        .order_by(DefinitionVersion.version.desc())).all()
    if not versions:
        raise NotFound("Parcours introuvable.")
    return versions


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # what a period may span


def _day(raw: str, label: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"La date {label} « {raw[:20]} » n'est pas une date : choisissez-la dans le calendrier "
                      "ou écrivez-la AAAA-MM-JJ.")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors.append(f"La date {label} doit être entre le {FIRST_DAY:%d/%m/%Y} et le {LAST_DAY:%d/%m/%Y}.")
        return None
    return day


def utc_midnight(day: date) -> datetime:
    """Midnight in Paris on `day`, as the naive UTC datetime the database stores."""
    return datetime.combine(day, time(), PARIS).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def map_request(versions: list[DefinitionVersion], args) -> dict:
    """The map's parameters from GET `version` (a number, « tous »; the current version when absent),
    `depuis` and `jusqu` (dates, both included; the last 30 days when absent). What cannot be read is
    said in `errors` and replaced by its default."""
    errors: list[str] = []
    current = next((v for v in versions if v.is_current), versions[0])
    raw_version = (args.get("version") or "").strip()
    chosen = current
    if raw_version in ("tous", "toutes"):
        chosen = None
    elif raw_version:
        number = int(raw_version) if raw_version.isdecimal() and len(raw_version) <= 9 else None
        chosen = next((v for v in versions if v.version == number), None)
        if chosen is None:
            errors.append(f"La version « {raw_version[:20]} » n'existe pas pour ce parcours : "
                          "choisissez-en une dans la liste.")
            chosen = current
    today = clock.now().replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).date()
    last = _day((args.get("jusqu") or "").strip(), "de fin", errors) or today
    first = _day((args.get("depuis") or "").strip(), "de début", errors) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        errors.append("La date de début est après la date de fin : inversez-les.")
        last, first = today, today - timedelta(days=DEFAULT_DAYS - 1)
    return {"version": chosen.version if chosen else None, "version_id": chosen.id if chosen else None,
            "shown": chosen or current, "depuis": first, "jusqu": last, "errors": errors,
            "since": utc_midnight(first), "until": utc_midnight(last + timedelta(days=1))}
