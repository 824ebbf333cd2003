"""The public page « Trouver une structure » (no sign-in) and its « Être recontacté·e » form.

Abuse guards on the contact form: CSRF, a rate limit per address (`PUBLIC_CONTACT_RATE_LIMIT`),
a honeypot field that people never see (filled = dropped without a word), and a signed time of
display, carried forward when the form is shown again: a form sent back sooner than
`PUBLIC_CONTACT_MIN_SECONDS` is shown again (422, nothing stored, never « envoyée ») to be checked
and sent anew; one older than `PUBLIC_CONTACT_MAX_AGE_SECONDS` (or forged) too, with a new time.
"""
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from .. import clock
from ..errors import InvalidData, NotFound
from ..extensions import db, limiter
from ..operations.contact_requests import (CONSENT_TEXT, EMAIL_MAX, MESSAGE_MAX, NAME_MAX, PHONE_MAX, check,
                                           request_contact)
from ..queries import public_finder
from .errors import TITLES

bp = Blueprint("public", __name__)

HONEYPOT = "site_web"
DEFAULT_RATE_LIMIT = "10 per hour"
DEFAULT_MIN_SECONDS = 4
DEFAULT_MAX_AGE_SECONDS = 4 * 3600
RATE_LIMITED = ("Trop de demandes ont été envoyées depuis votre connexion. Réessayez dans une heure, "
                "ou appelez directement la structure : ses coordonnées sont sur la page de recherche.")
EXPIRED = "Le formulaire a expiré : vérifiez vos réponses et envoyez-le de nouveau."
TOO_FAST = ("Votre demande n'a pas été envoyée : elle est partie très vite après l'ouverture de la page. "
            "Vérifiez vos réponses, puis envoyez-la de nouveau.")
LIMITS = {"nom": NAME_MAX, "email": EMAIL_MAX, "telephone": PHONE_MAX, "message": MESSAGE_MAX}
SEARCH_KEYS = ("commune", "public", "besoin")


@bp.record_once
def _template_helpers(state):
    """Task pages show the visitor's request (public/_task_request.html) through this helper."""
    state.app.jinja_env.globals["public_contact_request"] = \
        lambda journey_id: public_finder.request_for_journey(current_user, journey_id)
    state.app.jinja_env.filters["public_need_label"] = lambda code: dict(public_finder.needs()).get(code, code)


def _setting(name: str, default):
    return current_app.config.get(name, default)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="spro-public-contact")


def _stamp() -> str:
    """The signed moment the form was drawn (application clock)."""
    return _serializer().dumps(clock.now().isoformat(timespec="seconds"))


def _age_seconds(stamp: str) -> float | None:
    """Seconds since the form was drawn, or None when the stamp is missing or forged."""
    try:
        drawn = datetime.fromisoformat(_serializer().loads(stamp or ""))
    except (BadSignature, ValueError, TypeError):
        return None
    return (clock.now() - drawn).total_seconds()


def _search_args(source) -> dict:
    return {key: (source.get(key) or "").strip()[:120] for key in SEARCH_KEYS}


@bp.get("/trouver")
def find():
    """The search form and, once a commune is given, the nearest suitable structures."""
    args = _search_args(request.args)
    place = results = None
    choices, errors = [], {}
    if "commune" in request.args:
        if not args["commune"]:
            errors["commune"] = "Indiquez votre commune ou son code postal."
        else:
            place = public_finder.place_of(args["commune"])
            if place is None:
                choices = public_finder.choices_for(args["commune"])
                if not choices:
                    errors["commune"] = ("Commune inconnue en Centre-Val de Loire : vérifiez son nom ou "
                                         "saisissez son code postal, par exemple 45000.")
        if args["public"] and args["public"] not in dict(public_finder.publics()):
            errors["public"] = "Choisissez une situation de la liste."
        if args["besoin"] and args["besoin"] not in dict(public_finder.needs()):
            errors["besoin"] = "Choisissez un besoin de la liste."
        if place is not None and not errors:
            results = public_finder.find_structures(place, args["public"] or None, args["besoin"] or None)
    return render_template("public/find.html", args=args, place=place, results=results, choices=choices,
                           errors=errors, publics=public_finder.publics(), needs=public_finder.needs()), \
        422 if errors else 200


def _structure_or_404(structure_id: int):
    structure = public_finder.public_structure(structure_id)
    if structure is None:
        raise NotFound("Cette structure n'existe pas ou n'accueille pas de public.")
    return structure


def _contact_page(structure, values, errors=None, form_error=None, status=200, stamp=None):
    """The form; `stamp` is the verified display time of a form shown again (else a new one)."""
    return render_template("public/contact.html", structure=structure, values=values, errors=errors or {},
                           form_error=form_error, stamp=stamp or _stamp(), consent=CONSENT_TEXT,
                           limits=LIMITS, honeypot=HONEYPOT, search=_search_args(values)), status


@bp.get("/trouver/<int:structure_id>/recontact")
def contact(structure_id):
    structure = _structure_or_404(structure_id)
    return _contact_page(structure, _search_args(request.args))


def _rate_limit() -> str:
    return _setting("PUBLIC_CONTACT_RATE_LIMIT", DEFAULT_RATE_LIMIT)


@bp.post("/trouver/<int:structure_id>/recontact")
@limiter.limit(_rate_limit, methods=["POST"])
def send(structure_id):
    structure = _structure_or_404(structure_id)
    form = request.form
    stamp = form.get("depuis", "")
    age = _age_seconds(stamp)
    values = {key: form.get(key, "") for key in ("nom", "email", "telephone", "message", "consentement",
                                                 *SEARCH_KEYS)}
    if form.get(HONEYPOT):
        current_app.logger.info("Demande de recontact écartée (champ piège rempli)")
        return redirect(url_for("public.sent", structure_id=structure.id), 303)
    if age is None or age > _setting("PUBLIC_CONTACT_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS):
        return _contact_page(structure, values, form_error=EXPIRED, status=422)
    if age < _setting("PUBLIC_CONTACT_MIN_SECONDS", DEFAULT_MIN_SECONDS):
        # Maybe a robot, maybe a quick person: nothing is stored and the page says so.
        current_app.logger.info("Demande de recontact non enregistrée (envoi trop rapide), formulaire réaffiché")
        return _contact_page(structure, values, errors=check(values)[1], form_error=TOO_FAST, status=422,
                             stamp=stamp if age >= 0 else None)
    try:
        request_contact(structure.id, values)
    except InvalidData as exc:
        db.session.rollback()
        return _contact_page(structure, values, errors=exc.fields, status=422, stamp=stamp)
    db.session.commit()
    return redirect(url_for("public.sent", structure_id=structure.id), 303)


@bp.get("/trouver/<int:structure_id>/envoyee")
def sent(structure_id):
    structure = _structure_or_404(structure_id)
    return render_template("public/sent.html", structure=structure)


@bp.errorhandler(429)
def _too_many(_exc):
    return render_template("error.html", status=429, title=TITLES[429], message=RATE_LIMITED), 429, \
        {"Retry-After": "3600"}
