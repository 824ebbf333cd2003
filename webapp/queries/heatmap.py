"""Where people wait in a journey: load per BPMN element, read from the human-task index only.

What is counted. Tasks are those of journeys *started on* `process_key` (human_task.process_key,
which the index copies from journey.process_key: the caller's key). A called process's steps
(e.g. « Choisir le partenaire » of `orientation` inside an `accueil` journey) keep their own
element ids in human_task.bpmn_id, so they appear on the caller's map under those ids; a process
only ever called (orientation, prise_en_charge) has no journey of its own and an empty map. Element
ids are assumed unique across a journey and the processes it calls (true of the shipped files).
The workflow states are never read: a constant number of statements whatever the number of journeys.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from .. import clock
from ..extensions import db
from ..models import DefinitionVersion, HumanTask, Journey
from .studio import element_names

PERIOD_DAYS = (7, 30, 90, 365)
DEFAULT_DAYS = 30


@dataclass
class ElementLoad:
    bpmn_id: str
    waiting: int = 0  # open tasks now
    journeys: int = 0  # distinct journeys those open tasks belong to
    median_wait: timedelta | None = None
    longest_wait: timedelta | None = None
    completed: int = 0  # tasks completed there within [since, until)


def _scope(stmt, process_key: str, version_id: int | None):
    stmt = stmt.where(HumanTask.process_key == process_key)
    if version_id is not None:
        stmt = stmt.join(Journey, Journey.id == HumanTask.journey_id).where(
            Journey.definition_version_id == version_id)
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


def element_load(process_key: str, version_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> dict[str, ElementLoad]:
    """{bpmn_id: ElementLoad} for the journeys of `process_key` (of one definition version when given)."""
    now = clock.now()
    postgres = db.engine.dialect.name == "postgresql"
    columns = [HumanTask.bpmn_id, func.count(), func.count(func.distinct(HumanTask.journey_id)),
               func.min(HumanTask.created_at)]
    if postgres:
        columns.append(func.percentile_cont(0.5).within_group(func.extract("epoch", HumanTask.created_at)))
    open_rows = db.session.execute(_scope(select(*columns).where(HumanTask.status == "ouverte"),
                                          process_key, version_id).group_by(HumanTask.bpmn_id)).all()
    loads: dict[str, ElementLoad] = {}
    medians = {} if postgres or not open_rows else _median_created_sqlite(process_key, version_id)
    for row in open_rows:
        bpmn_id, waiting, journeys, oldest = row[:4]
        median_created = (datetime(1970, 1, 1) + timedelta(seconds=float(row[4]))) if postgres \
            else medians.get(bpmn_id)
        loads[bpmn_id] = ElementLoad(bpmn_id, waiting, journeys, now - median_created if median_created else None,
                                     now - oldest)
    period = [HumanTask.status == "terminee"]
    if since is not None:
        period.append(HumanTask.completed_at >= since)
    if until is not None:
        period.append(HumanTask.completed_at < until)
    done = db.session.execute(_scope(select(HumanTask.bpmn_id, func.count()).where(and_(*period)),
                                     process_key, version_id).group_by(HumanTask.bpmn_id))
    for bpmn_id, completed in done:
        loads.setdefault(bpmn_id, ElementLoad(bpmn_id)).completed = completed
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


def element_titles(version: DefinitionVersion) -> dict[str, str]:
    """{element id: name} of a version's diagram, then of the current versions of the processes it may call."""
    others = db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True),
        DefinitionVersion.process_key != version.process_key))
    titles = {}
    for other in others:
        titles.update({i: f"{name} (dans « {other.name} »)" for i, name in element_names(other.bpmn_xml).items()})
    titles.update(element_names(version.bpmn_xml))
    return titles


def heatmap_rows(process_key: str, version: DefinitionVersion, version_id: int | None, days: int) -> list[dict]:
    """The table « Où attendent les personnes ? »: one row per step, most waiting first."""
    until = clock.now()
    loads = element_load(process_key, version_id, since=until - timedelta(days=days), until=until)
    titles = element_titles(version)
    rows = [{"bpmn_id": load.bpmn_id, "title": titles.get(load.bpmn_id, load.bpmn_id), "waiting": load.waiting,
             "journeys": load.journeys, "median": french_duration(load.median_wait),
             "longest": french_duration(load.longest_wait), "completed": load.completed}
            for load in loads.values()]
    return sorted(rows, key=lambda r: (-r["waiting"], -r["completed"], r["title"]))


def heatmap_view(process_key: str, versions: list[DefinitionVersion], args) -> dict:
    """The heatmap section from the page's GET parameters (`version`: a number or « toutes »,
    `jours`: one of PERIOD_DAYS); a value that is not offered falls back to its default."""
    by_number = {v.version: v for v in versions}
    raw_version, raw_days = args.get("version", ""), args.get("jours", "")
    chosen = by_number.get(int(raw_version)) if raw_version.isdecimal() else None
    days = int(raw_days) if raw_days.isdecimal() and int(raw_days) in PERIOD_DAYS else DEFAULT_DAYS
    shown = chosen or next((v for v in versions if v.is_current), versions[0])
    return {"rows": heatmap_rows(process_key, shown, chosen.id if chosen else None, days),
            "version": chosen.version if chosen else None, "days": days, "periods": PERIOD_DAYS}
