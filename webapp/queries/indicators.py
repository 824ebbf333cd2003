"""« Indicateurs »: the network's shared figures over a period, by aggregate SQL, small counts hidden.

Who sees what: the `pilote` and the regional administration the whole region (optionally one
département), a `coordinateur` their structure's département only; anyone else is refused.
What is counted (all in the chosen period, dates inclusive, Paris days approximated by UTC days):
- receptions: « accueil » journeys started, by structure, public and département;
- referrals sent, by receiving structure and outcome, refusals by coded reason, the median time from
  sending to the answer and to the confirmed first contact (scoped by the receiving structure);
- structures the person was sent to per reception: the receiving structure plus each other structure
  a referral of that journey was addressed to, whatever its answer (1, 2, 3 or more).
Every count goes through disclosure.suppress with the relations between the tables, so that no
hidden count can be recomputed from the totals shown, in any of the tables.
"""
import statistics
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select, text

from ..errors import Forbidden
from ..extensions import db
from ..models import Journey, Person, Referral, Structure
from ..models.referrals import DECLINE_REASONS
from ..reference import DEPARTEMENTS, NETWORKS
from ..vocabularies import PUBLICS_SPRO
from .audit import is_regional_admin
from .disclosure import HIDDEN, Grid, suppress

PUBLICS = [*PUBLICS_SPRO, ("", "Non renseigné")]
OUTCOMES = [("en_attente", "En attente", ("ouverte",)), ("acceptee", "Acceptées", ("acceptee", "aboutie")),
            ("refusee", "Refusées", ("refusee",)), ("redirigee", "Redirigées", ("redirigee",)),
            ("expiree", "Expirées", ("expiree",)), ("autre", "Réaffectées ou abandonnées", ("reaffectee", "abandonnee"))]
SEEN = [(1, "1 structure"), (2, "2 structures"), (3, "3 structures ou plus")]
DEFAULT_THRESHOLD = 5


def threshold() -> int:
    """The smallest count shown (setting INDICATORS_MIN_COUNT, default 5 people)."""
    return max(1, int(current_app.config.get("INDICATORS_MIN_COUNT") or DEFAULT_THRESHOLD))


def scope_of(actor) -> str | None:
    """None for the whole region, a département code for a coordinator; Forbidden otherwise."""
    if actor.has_role("pilote") or is_regional_admin(actor):
        return None
    if actor.has_role("coordinateur"):
        return actor.structure.departement
    raise Forbidden("Les indicateurs sont réservés aux pilotes et aux coordinateur·rices.")


def quarter_of(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass
class Filters:
    start: date
    end: date  # inclusive
    departement: str | None = None
    network: str | None = None
    structure_ids: list | None = None  # those of the territory and network; None: every structure

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min)


@dataclass
class Table:
    """Rows of (label, [cells], total), then the column totals: counts, or HIDDEN."""
    title: str
    columns: list
    rows: list = field(default_factory=list)
    totals: list | None = None
    grand_total: int | None = None
    row_heading: str = ""


@dataclass
class Indicators:
    filters: Filters
    threshold: int
    structures: dict  # id -> Structure, those shown
    receptions: Table
    by_departement: Table
    referrals: Table
    reasons: Table
    seen: Table
    delays: list  # [(label, median days or None, count or HIDDEN)]
    satisfaction: list = field(default_factory=list)  # tables of the follow-up answers

    @property
    def seen_shares(self) -> list:
        """[(label, percentage or None)] of the receptions by structures solicited: only from shown counts."""
        total = self.seen.grand_total
        return [(label, None if cells[0] is HIDDEN or not total else 100 * cells[0] / total)
                for label, cells, _t in self.seen.rows]


def _structures(filters: Filters):
    stmt = select(Structure)
    if filters.departement:
        stmt = stmt.where(Structure.departement == filters.departement)
    if filters.network:
        stmt = stmt.where(Structure.network == filters.network)
    return {s.id: s for s in db.session.scalars(stmt.order_by(Structure.departement, Structure.name))}


def _in_scope(stmt, column, filters: Filters):
    """Restrict `stmt` to rows whose structure `column` matches the territory and network (a list of
    ids, which the database checks inside the indexes)."""
    if filters.structure_ids is not None:
        stmt = stmt.where(column.in_(filters.structure_ids))
    return stmt


@contextmanager
def _merged_in_order():
    """On PostgreSQL, the statements inside run as one process merging indexes read in order (no hash
    of every person, no parallel workers each reading them all), then the settings come back."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    before = db.session.execute(text(
        "SELECT current_setting('enable_hashjoin'), current_setting('max_parallel_workers_per_gather'), "
        "set_config('enable_hashjoin', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)")).one()
    yield
    db.session.execute(text("SELECT set_config('enable_hashjoin', :hash, true), "
                            "set_config('max_parallel_workers_per_gather', :workers, true)"),
                       {"hash": before[0], "workers": before[1]})


def _receptions(filters: Filters):
    """{(structure id, public): count} of receptions started in the period: on PostgreSQL a merge of
    ix_journey_reception_person and ix_person_public, both read in person order from the index alone."""
    stmt = (select(Journey.structure_id, Person.public, func.count())
            .join(Person, Person.id == Journey.person_id)
            .where(Journey.process_key == "accueil", Journey.started_at >= filters.since,
                   Journey.started_at < filters.until))
    stmt = _in_scope(stmt, Journey.structure_id, filters).group_by(Journey.structure_id, Person.public)
    known = {code for code, _label in PUBLICS_SPRO}
    counts: dict = {}
    with _merged_in_order():
        rows = db.session.execute(stmt).all()
    for structure_id, public, count in rows:
        key = (structure_id, public if public in known else "")
        counts[key] = counts.get(key, 0) + count
    return counts


def _referrals(filters: Filters):
    """{(receiving structure id, status): count} and {reason: count} of referrals sent in the period."""
    base = _in_scope(select().select_from(Referral).where(Referral.sent_at >= filters.since,
                                                            Referral.sent_at < filters.until),
                     Referral.to_structure_id, filters)
    by_status, reasons = {}, {}
    for sid, status, reason, n in db.session.execute(
            base.add_columns(Referral.to_structure_id, Referral.status, Referral.decline_reason, func.count())
            .group_by(Referral.to_structure_id, Referral.status, Referral.decline_reason)):
        by_status[(sid, status)] = by_status.get((sid, status), 0) + n
        if status == "refusee":
            reasons[reason] = reasons.get(reason, 0) + n
    return base, by_status, reasons


def _median_days(base, pairs) -> list[tuple[float | None, int]]:
    """For each (start, end) column pair, the median of end - start in days over the referrals of
    `base` having both, and their number (one statement on PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        columns = []
        for start, end in pairs:
            known = start.is_not(None) & end.is_not(None)
            columns += [func.percentile_cont(0.5).within_group(func.extract("epoch", end - start)).filter(known),
                        func.count().filter(known)]
        row = db.session.execute(base.add_columns(*columns)).one()
        return [(None if row[i] is None else float(row[i]) / 86400, row[i + 1]) for i in range(0, len(row), 2)]
    result = []
    for start, end in pairs:
        values = list(db.session.scalars(base.where(start.is_not(None), end.is_not(None))
                                         .add_columns(func.julianday(end) - func.julianday(start))))
        result.append(((statistics.median(values) if values else None), len(values)))
    return result


def _seen(filters: Filters, receptions: int) -> dict:
    """{1|2|3: receptions} by the number of structures solicited in that journey. Read from the
    referrals to other structures joined to their journey (on PostgreSQL a merge of ix_referral_journey_to
    and ix_journey_reception_id, both in journey order and index-only), pairs then journeys as they come,
    then one row of counts: the receptions without any count for 1."""
    pairs = _in_scope(
        select(Referral.journey_id, Referral.to_structure_id).join(Journey, Journey.id == Referral.journey_id)
        .where(Journey.process_key == "accueil", Journey.started_at >= filters.since,
               Journey.started_at < filters.until, Referral.to_structure_id != Journey.structure_id,
               Referral.sent_at >= filters.since),  # always true (sent after the start), in ix_referral_journey_to
        Journey.structure_id, filters).group_by(Referral.journey_id, Referral.to_structure_id).subquery()
    per_journey = select(func.count().label("others")).select_from(pairs).group_by(pairs.c.journey_id).subquery()
    more, solicited = db.session.execute(
        select(func.count().filter(per_journey.c.others >= 2), func.count()).select_from(per_journey)).one()
    counts = {n: count for n, count in ((2, solicited - more), (3, more)) if count}
    counts[1] = receptions - counts.get(2, 0) - counts.get(3, 0)
    return counts


def _grid(structures, receptions, by_status, reasons, seen) -> Grid:
    grid = Grid()
    publics = [code for code, _l in PUBLICS]
    rec_ids = sorted({sid for sid, _p in receptions}, key=lambda sid: list(structures).index(sid))
    for sid in rec_ids:
        for public in publics:
            grid.add(("rec", sid, public), receptions.get((sid, public), 0))
        grid.relate(("rec_row", sid), [("rec", sid, p) for p in publics])
    for public in publics:
        grid.relate(("rec_col", public), [("rec", sid, public) for sid in rec_ids])
    grid.relate(("rec_total",), [("rec_row", sid) for sid in rec_ids])
    grid.relate(("rec_total",), [("rec_col", p) for p in publics])
    departements = [d["code"] for d in DEPARTEMENTS if any(structures[s].departement == d["code"] for s in rec_ids)]
    for dep in departements:
        mine = [sid for sid in rec_ids if structures[sid].departement == dep]
        for public in publics:
            grid.relate(("dep", dep, public), [("rec", sid, public) for sid in mine])
        grid.relate(("dep_row", dep), [("dep", dep, p) for p in publics])
        grid.relate(("dep_row", dep), [("rec_row", sid) for sid in mine])
    for public in publics:
        grid.relate(("rec_col", public), [("dep", dep, public) for dep in departements])
    grid.relate(("rec_total",), [("dep_row", dep) for dep in departements])
    ref_ids = sorted({sid for sid, _s in by_status}, key=lambda sid: list(structures).index(sid))
    for sid in ref_ids:
        for key, _label, statuses in OUTCOMES:
            grid.add(("ref", sid, key), sum(by_status.get((sid, s), 0) for s in statuses))
        grid.relate(("ref_row", sid), [("ref", sid, k) for k, _l, _s in OUTCOMES])
    for key, _label, _statuses in OUTCOMES:
        grid.relate(("ref_col", key), [("ref", sid, key) for sid in ref_ids])
    grid.relate(("ref_total",), [("ref_row", sid) for sid in ref_ids])
    grid.relate(("ref_total",), [("ref_col", k) for k, _l, _s in OUTCOMES])
    for reason in [*DECLINE_REASONS, None]:
        grid.add(("reason", reason), reasons.get(reason, 0))
    grid.relate(("ref_col", "refusee"), [("reason", r) for r in [*DECLINE_REASONS, None]])
    for n, _label in SEEN:
        grid.add(("seen", n), seen.get(n, 0))
    grid.relate(("rec_total",), [("seen", n) for n, _l in SEEN])
    return grid


def indicators(actor, filters: Filters) -> Indicators:
    """The figures for `filters`, within the actor's scope (the département forced for a coordinator)."""
    forced = scope_of(actor)
    if forced is not None:
        filters.departement = forced
    limit = threshold()
    structures = _structures(filters)
    filters.structure_ids = list(structures) if filters.departement or filters.network else None
    receptions = _receptions(filters)
    base, by_status, reasons = _referrals(filters)
    seen = _seen(filters, sum(receptions.values()))
    shown = suppress(_grid(structures, receptions, by_status, reasons, seen), limit)
    publics = [code for code, _l in PUBLICS]
    rec_ids = [sid for sid in structures if ("rec_row", sid) in shown]
    ref_ids = [sid for sid in structures if ("ref_row", sid) in shown]
    names = {d["code"]: d["name"] for d in DEPARTEMENTS}
    reception_table = Table("Personnes reçues (accueils) par structure et public", [l for _c, l in PUBLICS],
                            row_heading="Structure",
                            rows=[(structures[s].name, [shown[("rec", s, p)] for p in publics], shown[("rec_row", s)])
                                  for s in rec_ids],
                            totals=[shown[("rec_col", p)] for p in publics], grand_total=shown[("rec_total",)])
    deps = [d["code"] for d in DEPARTEMENTS if ("dep_row", d["code"]) in shown]
    dep_table = Table("Personnes reçues par département et public", [l for _c, l in PUBLICS], row_heading="Département",
                      rows=[(f"{names[d]} ({d})", [shown[("dep", d, p)] for p in publics], shown[("dep_row", d)])
                            for d in deps],
                      totals=[shown[("rec_col", p)] for p in publics], grand_total=shown[("rec_total",)])
    referral_table = Table("Orientations envoyées, par structure destinataire et suite donnée",
                           [label for _k, label, _s in OUTCOMES], row_heading="Structure destinataire",
                           rows=[(structures[s].name, [shown[("ref", s, k)] for k, _l, _s in OUTCOMES],
                                  shown[("ref_row", s)]) for s in ref_ids],
                           totals=[shown[("ref_col", k)] for k, _l, _s in OUTCOMES], grand_total=shown[("ref_total",)])
    reason_table = Table("Orientations refusées, par motif codé", ["Orientations"], row_heading="Motif",
                         rows=[(label, [shown[("reason", code)]], None)
                               for code, label in [*DECLINE_REASONS.items(), (None, "Motif non renseigné")]
                               if code is not None or reasons.get(None)],
                         grand_total=shown[("ref_col", "refusee")])
    seen_table = Table("Structures sollicitées au cours du parcours", ["Accueils"],
                       row_heading="Nombre de structures",
                       rows=[(label, [shown[("seen", n)]], None) for n, label in SEEN],
                       grand_total=shown[("rec_total",)])
    delays = []
    labels = ("Délai médian de réponse (jours)", "Délai médian jusqu'au premier contact (jours)")
    medians = _median_days(base, [(Referral.sent_at, Referral.answered_at), (Referral.sent_at, Referral.first_contact_at)])
    for label, (median, count) in zip(labels, medians):
        hidden = count < limit
        delays.append((label, None if hidden else median, HIDDEN if hidden else count))
    result = Indicators(filters, limit, structures, reception_table, dep_table, referral_table, reason_table,
                        seen_table, delays)
    result.satisfaction = satisfaction_tables(filters, structures, limit)
    return result


def satisfaction_tables(filters: Filters, structures: dict, limit: int) -> list:
    """The 6-month follow-up answers (queries/followups.satisfaction_counts) as three linked tables,
    suppressed like the others; [] when that feature is absent."""
    try:
        from .followups import satisfaction_counts
        from ..models.followups import FOUND_CHOICES
    except ImportError:
        return []
    counts = satisfaction_counts(filters.start, filters.end, list(structures))
    answers = counts.get("answers", 0)
    grid = Grid()
    grid.add(("s_answers",), answers)
    grid.add(("s_unanswered",), max(0, counts.get("sent", 0) - answers))
    grid.relate(("s_sent",), [("s_answers",), ("s_unanswered",)])
    found = {**counts.get("found", {}), None: answers - sum(counts.get("found", {}).values())}
    fit = {**counts.get("fit", {}), None: answers - sum(counts.get("fit", {}).values())}
    for key, value in found.items():
        grid.add(("s_found", key), value)
    for key, value in fit.items():
        grid.add(("s_fit", key), value)
    grid.relate(("s_answers",), [("s_found", k) for k in found])
    grid.relate(("s_answers",), [("s_fit", k) for k in fit])
    shown = suppress(grid, limit)
    return [
        Table("Questionnaires de suivi à 6 mois", ["Questionnaires"], row_heading="Suite",
              rows=[("Réponses", [shown[("s_answers",)]], None), ("Sans réponse", [shown[("s_unanswered",)]], None)],
              grand_total=shown[("s_sent",)]),
        Table("« J'ai trouvé ce que je cherchais »", ["Réponses"], row_heading="Réponse",
              rows=[(FOUND_CHOICES.get(k, "Non renseigné") if k else "Non renseigné", [shown[("s_found", k)]], None)
                    for k in found if k is not None or found[None]],
              grand_total=shown[("s_answers",)]),
        Table("« La structure rencontrée me convenait » (1 : pas du tout, 5 : tout à fait)", ["Réponses"],
              row_heading="Note", rows=[(str(k) if k else "Non renseigné", [shown[("s_fit", k)]], None)
                                        for k in fit if k is not None or fit[None]],
              grand_total=shown[("s_answers",)]),
    ]


def network_choices():
    return NETWORKS
