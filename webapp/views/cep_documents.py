"""CEP documents downloaded from the dossier: the synthesis with its action plan and the
démission-reconversion attestation, as PDF; each download is audited."""
from flask import Blueprint, Response
from flask_login import current_user, login_required

from ..documents import attestation_pdf, synthesis_pdf
from ..errors import Forbidden
from ..extensions import db
from ..operations import audit
from ..queries.cep_documents import attestation_for, cep_journey_for, synthesis_for

bp = Blueprint("cep_documents", __name__)


def _require_cep_adviser():
    if not current_user.has_role("conseiller_cep"):
        raise Forbidden("Réservé aux conseillers et conseillères en évolution professionnelle.")


def _download(content: bytes, file_name: str, journey_id: int, person_id: int, summary: str) -> Response:
    """The PDF as an attachment, never cached; the download is recorded and committed."""
    audit.record(current_user, "cep.document_downloaded", summary, kind="read", person_id=person_id,
                 journey_id=journey_id)
    db.session.commit()
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"})


@bp.get("/cep/parcours/<int:journey_id>/synthese.pdf")
@login_required
def synthesis(journey_id):
    _require_cep_adviser()
    doc = synthesis_for(current_user, journey_id)
    person_id = cep_journey_for(current_user, journey_id).person_id
    return _download(synthesis_pdf(doc), f"synthese-cep-{journey_id}.pdf", journey_id, person_id,
                     "Synthèse CEP téléchargée")


@bp.get("/cep/parcours/<int:journey_id>/attestation.pdf")
@login_required
def attestation(journey_id):
    _require_cep_adviser()
    doc = attestation_for(current_user, journey_id)
    person_id = cep_journey_for(current_user, journey_id).person_id
    return _download(attestation_pdf(doc), f"attestation-demission-reconversion-{journey_id}.pdf",
                     journey_id, person_id, "Attestation de démission-reconversion téléchargée")

