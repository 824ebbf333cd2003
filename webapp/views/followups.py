"""The follow-up questionnaire, signed out (`/suivi/<token>`), and the dossier's consent to it."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..models.followups import COMMENT_MAX, FOUND_CHOICES
from ..operations.followups import check_answer, record_answer, refuse_contact, set_consent
from ..queries.followups import link_state, opt_out_known

bp = Blueprint("followups", __name__)

CLOSED_PAGES = {
    "unknown": (404, "Lien inconnu",
                "Ce lien de questionnaire n'existe pas. Vérifiez qu'il a été copié en entier depuis le message reçu."),
    "answered": (410, "Questionnaire déjà rempli",
                 "Vous avez déjà répondu à ce questionnaire : chaque lien ne sert qu'une fois. Merci pour votre réponse !"),
    "expired": (410, "Lien expiré",
                "Ce lien n'est plus valable : le délai pour répondre est dépassé. Merci tout de même de l'attention "
                "portée à ce message."),
    "refused": (410, "Questionnaire fermé",
                "Vous avez demandé à ne plus être contacté·e par le SPRO : ce questionnaire est fermé et aucun autre "
                "message ne vous sera envoyé."),
}


def _rate_limit():
    return current_app.config["FOLLOWUP_RATE_LIMIT"]


@bp.after_request
def _private(response):
    """Public pages reached by a personal link: never cached, and the link never sent as a referrer."""
    if request.path.startswith("/suivi/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _closed(state: str):
    status, title, message = CLOSED_PAGES[state]
    return render_template("followups/closed.html", title=title, message=message, alert=True), status


@bp.route("/suivi/<token>", methods=["GET", "POST"])
@limiter.limit(_rate_limit)
def questionnaire(token):
    link = link_state(token)
    if link.state != "open":
        return _closed(link.state)
    values, errors = {}, {}
    if request.method == "POST":
        values, errors = check_answer(request.form)
        if not errors:
            if not record_answer(link.followup.id, values):  # spent or expired meanwhile
                db.session.rollback()
                return _closed(link_state(token).state)
            db.session.commit()
            return redirect(url_for("followups.thanks")), 303
    return render_template("followups/questionnaire.html", token=token, structure_name=link.structure_name,
                           values=values, errors=errors, found_choices=FOUND_CHOICES,
                           comment_max=COMMENT_MAX), 422 if errors else 200


@bp.get("/suivi/merci")
@limiter.limit(_rate_limit)
def thanks():
    return render_template("followups/closed.html", title="Merci pour votre réponse",
                           message="Vos réponses sont enregistrées, sans votre nom. Elles aident les structures du "
                                   "réseau à améliorer leur accueil.", refuse_hint=True)


@bp.route("/suivi/<token>/refus", methods=["GET", "POST"])
@limiter.limit(_rate_limit)
def refuse(token):
    if request.method == "GET":
        return render_template("followups/refuse.html", token=token) if opt_out_known(token) else _closed("unknown")
    if not refuse_contact(token):
        db.session.rollback()
        return _closed("unknown")
    db.session.commit()
    return render_template("followups/closed.html", title="C'est noté",
                           message="Le SPRO ne vous contactera plus pour vous demander votre avis. Si vous revenez "
                                   "dans une structure du réseau, vous pourrez changer d'avis auprès d'elle.")


@bp.post("/personnes/<int:person_id>/suivi-satisfaction")
@login_required
def consent(person_id):
    agreed = request.form.get("accord") == "oui"
    set_consent(current_user, person_id, agreed)
    db.session.commit()
    flash("Accord enregistré : la personne recevra un questionnaire par courriel après la fin du service."
          if agreed else "Enregistré : la personne ne recevra pas de questionnaire de suivi.", "success")
    return redirect(url_for("people.show", person_id=person_id) + "#suivi-satisfaction"), 303


@bp.app_template_global()
def followup_consent_state(person) -> dict:
    """The dossier's « Suivi de satisfaction » section reads this (templates/followups/_consent.html)."""
    from ..queries.followups import consent_state
    return consent_state(person)
