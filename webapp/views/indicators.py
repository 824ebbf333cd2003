"""« Indicateurs »: the network's shared figures (pilote: region, coordinateur: their département),
as tables and SVG charts, and as CSV and PDF downloads. Aggregates only: no person is shown."""
from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from .. import clock
from ..documents.indicators_report import indicators_csv, indicators_pdf
from ..queries.indicators import Filters, indicators, quarter_of, scope_of
from ..reference import DEPARTEMENTS, NETWORKS
from .indicator_charts import bar_chart, column_chart

bp = Blueprint("indicators", __name__, url_prefix="/indicateurs")
PERIODS = {"trimestre": "Ce trimestre", "trimestre_precedent": "Le trimestre précédent",
           "douze_mois": "Les 12 derniers mois", "personnalisee": "Dates choisies"}
MAX_DAYS = 3 * 366


def _parse_day(value: str | None):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def read_filters(args, forced_departement: str | None) -> tuple[Filters, dict, dict]:
    """Filters from the query string, the French error per field, and the values to show back."""
    today = clock.now().date()
    errors: dict = {}
    period = args.get("periode") or "trimestre"
    if period not in PERIODS:
        errors["periode"], period = "Choisissez une période de la liste.", "trimestre"
    start, end = quarter_of(today)
    if period == "trimestre_precedent":
        start, end = quarter_of(start - timedelta(days=1))
    elif period == "douze_mois":
        start, end = today - timedelta(days=364), today
    elif period == "personnalisee":
        chosen_start, chosen_end = _parse_day(args.get("du")), _parse_day(args.get("au"))
        if chosen_start is None:
            errors["du"] = "Indiquez la date de début au format jj/mm/aaaa."
        if chosen_end is None:
            errors["au"] = "Indiquez la date de fin au format jj/mm/aaaa."
        if chosen_start and chosen_end:
            if chosen_end < chosen_start:
                errors["au"] = "La date de fin doit suivre la date de début."
            elif (chosen_end - chosen_start).days > MAX_DAYS:
                errors["au"] = "La période ne peut pas dépasser trois ans."
            else:
                start, end = chosen_start, chosen_end
    departement = args.get("departement") or None
    if departement and departement not in {d["code"] for d in DEPARTEMENTS}:
        errors["departement"], departement = "Choisissez un département de la liste.", None
    network = args.get("reseau") or None
    if network and network not in dict(NETWORKS):
        errors["reseau"], network = "Choisissez un réseau de la liste.", None
    if forced_departement:  # a coordinator's territory, whatever was asked
        departement = forced_departement
        errors.pop("departement", None)
    shown = {"periode": period, "du": args.get("du") or start.isoformat(), "au": args.get("au") or end.isoformat(),
             "departement": departement or "", "reseau": network or ""}
    return Filters(start, end, departement, network), errors, shown


def _figures():
    forced = scope_of(current_user)  # 403 before anything is read
    filters, errors, shown = read_filters(request.args, forced)
    return indicators(current_user, filters), errors, shown, forced


@bp.get("")
@login_required
def index():
    figures, errors, shown, forced = _figures()
    charts = {
        "departements": bar_chart("Personnes reçues par département", figures.by_departement,
                                  "chart-dep"),
        "outcomes": column_chart("Suite donnée aux orientations envoyées", figures.referrals, "chart-ref"),
        "seen": bar_chart("Structures sollicitées par accueil", figures.seen, "chart-seen"),
    }
    query = {k: v for k, v in shown.items() if v}
    response = Response(render_template(
        "indicators/index.html", figures=figures, errors=errors, shown=shown, periods=PERIODS,
        departements=DEPARTEMENTS, networks=NETWORKS, forced=forced, charts=charts, query=query))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.csv")
@login_required
def export_csv():
    figures, _errors, _shown, _forced = _figures()
    return Response("\ufeff" + indicators_csv(figures), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="indicateurs-{figures.filters.start}-{figures.filters.end}.csv"',
        "Cache-Control": "no-store"})


@bp.get("/rapport.pdf")
@login_required
def export_pdf():
    figures, _errors, _shown, _forced = _figures()
    return Response(indicators_pdf(figures), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="indicateurs-{figures.filters.start}-{figures.filters.end}.pdf"',
        "Cache-Control": "no-store"})
