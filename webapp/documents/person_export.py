"""The right-of-access document: what a structure holds about a person, readable, in French."""
from datetime import date, datetime

from .layout import DocumentPDF, format_date

IDENTITY_LABELS = (("numero_dossier", "Numéro de dossier"), ("prenom", "Prénom"), ("nom", "Nom"),
                   ("annee_naissance", "Année de naissance"), ("telephone", "Téléphone"),
                   ("email", "Courriel"), ("public", "Public"), ("commune", "Commune"),
                   ("cree_le", "Dossier ouvert le"), ("cree_par", "Par la structure"),
                   ("dernier_contact", "Dernier contact"), ("anonymise_le", "Anonymisé le"))


def _moment(text: str | None) -> str:
    """An ISO date or date-time as « 12 mars 2026 » (UTC dates are enough for this document)."""
    if not text:
        return "Non renseigné"
    try:
        return format_date(datetime.fromisoformat(text).date())
    except ValueError:
        return format_date(date.fromisoformat(text))


def person_export_pdf(data: dict) -> bytes:
    """The export as an A4 PDF: identity, journeys and steps, referrals, plans, messages, accesses."""
    pdf = DocumentPDF("Données détenues sur la personne", data["structure"] or "",
                      "Droit d'accès (article 15 du RGPD)")
    pdf.title_block("Données détenues sur la personne")
    pdf.paragraph(f"Document établi le {_moment(data['genere_le'])} par {data['demande_par']} "
                  f"({data['structure']}), à la demande de la personne (droit d'accès, article 15 du RGPD).")
    person = data["personne"]
    pdf.heading("Identité et situation")
    for key, label in IDENTITY_LABELS:
        value = person.get(key)
        if key in ("cree_le", "dernier_contact", "anonymise_le"):
            if key == "anonymise_le" and not value:
                continue
            value = _moment(value)
        pdf.field(label, value)
    if data["dossiers_fusionnes"]:
        pdf.field("Dossiers regroupés", ", ".join(f"n°{n}" for n in data["dossiers_fusionnes"]))
    _journeys(pdf, data["parcours"])
    _referrals(pdf, data["orientations"])
    _plans(pdf, data["plans_de_financement"])
    _messages(pdf, data["messages"])
    _accesses(pdf, data["acces_et_modifications"])
    return pdf.finish()


def _journeys(pdf, journeys):
    pdf.heading("Parcours et étapes")
    if not journeys:
        pdf.paragraph("Aucun parcours dans cette structure.")
    for journey in journeys:
        pdf.subheading(f"{journey['parcours']} (n°{journey['numero']}) — {journey['etat']}")
        pdf.field("Commencé le", _moment(journey["debut"]))
        if journey["fin"]:
            pdf.field("Terminé le", _moment(journey["fin"]))
        if journey["issue"]:
            pdf.field("Issue", journey["issue"])
        for step in journey["etapes"]:
            done = f", le {_moment(step['terminee_le'])}" if step["terminee_le"] else ""
            by = f" par {step['par']}" if step["par"] else ""
            pdf.subheading(f"• {step['etape']} : {step['etat']}{done}{by}")
            for row in step["donnees"]:
                pdf.field(row["champ"], row["valeur"])
        pdf.ln(2)


def _referrals(pdf, referrals):
    pdf.heading("Orientations et partage des données")
    if not referrals:
        pdf.paragraph("Aucune orientation.")
    for referral in referrals:
        pdf.subheading(f"De {referral['de']} vers {referral['vers']} — {referral['etat']}")
        pdf.field("Envoyée le", _moment(referral["envoyee_le"]))
        pdf.field("Personne informée", "Oui" if referral["personne_informee"] else "Non")
        pdf.field("Données partagées", ", ".join(referral["donnees_partagees"]) or "Aucune")
        for key, value in referral["valeurs_partagees"].items():
            pdf.field(f"  {key}", ", ".join(map(str, value)) if isinstance(value, list) else value)
        for key, label in (("motif", "Motif"), ("reponse", "Réponse du partenaire"),
                           ("commentaire_premier_contact", "Premier contact")):
            if referral[key]:
                pdf.field(label, referral[key])
        pdf.ln(2)


def _plans(pdf, plans):
    if not plans:
        return
    pdf.heading("Plans de financement")
    for plan in plans:
        pdf.subheading(f"Plan n°{plan['numero']} — {plan['etat']} : {plan['formation'] or 'formation'}")
        for request in plan["demandes"]:
            granted = f", accordé {request['montant_accorde']} €" if request["montant_accorde"] else ""
            pdf.field(request["financeur"], f"demandé {request['montant_demande']} €{granted} ({request['etat']})")


def _messages(pdf, messages):
    pdf.heading("Messages au sujet de la personne")
    if not messages:
        pdf.paragraph("Aucun message.")
    for message in messages:
        pdf.subheading(f"{_moment(message['le'])} — à {message['destinataire']} : {message['objet']}")
        pdf.paragraph(message["texte"], empty="")


def _accesses(pdf, events):
    pdf.heading("Qui a consulté ou modifié le dossier")
    if not events:
        pdf.paragraph("Aucune entrée.")
    pdf.item_list([f"{_moment(e['le'])} — {e['type']} — {e['action']} — {e['par'] or 'traitement automatique'}"
                   f" ({e['structure'] or 'SPRO'})" for e in events], numbered=False)
