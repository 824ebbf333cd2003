"""The CEP adviser's part of the attestation of a démission-reconversion project."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf.enums import MethodReturnValue, XPos, YPos

from webapp.documents.layout import (DocumentPDF, format_date, format_euros, format_hours, given,
                                     pdf_text)

ATTESTATION_TITLE = ("Attestation du caractère réel et sérieux du projet de reconversion "
                     "professionnelle")
LEGAL_FRAME = (
    "Ce document est établi par le conseiller en évolution professionnelle dans le cadre du "
    "dispositif démission-reconversion prévu à l'article L5422-1 du code du travail ; il "
    "accompagne la demande d'attestation du caractère réel et sérieux du projet présentée par "
    "le salarié à la commission paritaire interprofessionnelle régionale."
)
SIGNATURE_HEIGHT = 62


@dataclass(frozen=True)
class TrainingDoc:
    """The training the project relies on."""
    title: str
    organisation: str
    programme: str = ""
    calendar: str = ""  # rhythm, sessions, alternance… in the adviser's words
    start_date: date | None = None
    end_date: date | None = None
    cost: Decimal | None = None
    duration_hours: Decimal | int | None = None


@dataclass(frozen=True)
class AttestationDoc:
    """Everything the adviser's attestation prints."""
    person_name: str
    structure_name: str
    structure_address: str
    structure_phone: str
    structure_email: str
    adviser_name: str
    issued_on: date
    target_job_label: str | None
    steps_taken: str
    knowledge_of_job: str
    training: TrainingDoc
    job_prospects: str
    opinion: str
    signature_place: str
    signature_date: date


def attestation_pdf(doc: AttestationDoc) -> bytes:
    """The adviser's attestation for a démission-reconversion project, as PDF bytes."""
    pdf = DocumentPDF(ATTESTATION_TITLE, doc.structure_name,
                      subject="Dispositif démission-reconversion")
    pdf.letterhead(doc.structure_name, doc.structure_address, doc.structure_phone,
                   doc.structure_email, right_lines=[f"Le {format_date(doc.issued_on)}"])
    pdf.title_block(ATTESTATION_TITLE)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 4.5, pdf_text(LEGAL_FRAME), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.field("Salarié :", doc.person_name or "Personne accompagnée")
    pdf.field("Projet :", doc.target_job_label)
    pdf.field("Conseiller :", doc.adviser_name)
    pdf.field("Structure :", doc.structure_name)

    pdf.heading("Démarches réalisées")
    pdf.paragraph(doc.steps_taken)
    pdf.heading("Connaissance du métier visé")
    pdf.paragraph(doc.knowledge_of_job)
    _training(pdf, doc.training)
    pdf.heading("Perspectives d'emploi")
    pdf.paragraph(doc.job_prospects)
    _keep_opinion_with_signature(pdf, doc.opinion)
    pdf.heading("Avis du conseiller en évolution professionnelle")
    pdf.paragraph(doc.opinion)
    _signature(pdf, doc)
    return pdf.finish()


def _training(pdf: DocumentPDF, training: TrainingDoc):
    pdf.heading("Formation envisagée")
    pdf.field("Intitulé :", training.title)
    pdf.field("Organisme :", training.organisation)
    if training.start_date or training.end_date:
        pdf.field("Dates :", f"du {format_date(training.start_date)} "
                             f"au {format_date(training.end_date)}")
    if training.duration_hours is not None:
        pdf.field("Durée :", format_hours(training.duration_hours))
    pdf.field("Coût :", None if training.cost is None else format_euros(training.cost))
    pdf.ln(2)
    if training.calendar:
        pdf.subheading("Calendrier")
        pdf.paragraph(training.calendar)
    pdf.subheading("Programme")
    pdf.paragraph(training.programme)


def _keep_opinion_with_signature(pdf: DocumentPDF, opinion: str):
    """A new page before the opinion when the opinion and the signature fit together on one."""
    pdf.set_font("Helvetica", "", 10)
    height = pdf.multi_cell(0, pdf.LINE, pdf_text(given(opinion)), dry_run=True,
                            output=MethodReturnValue.HEIGHT)
    needed = 15 + height + SIGNATURE_HEIGHT
    if needed < pdf.eph - 20 and pdf.will_page_break(needed):
        pdf.add_page()


def _signature(pdf: DocumentPDF, doc: AttestationDoc):
    """« Fait à …, le … » and a framed area for the adviser's signature, never split."""
    if pdf.will_page_break(SIGNATURE_HEIGHT):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, pdf.LINE, pdf_text(f"Fait à {given(doc.signature_place)}, "
                                         f"le {format_date(doc.signature_date)}"),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    left = pdf.w - pdf.r_margin - 85
    pdf.set_x(left)
    pdf.multi_cell(85, pdf.LINE, "Le conseiller en évolution professionnelle", align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(left)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(85, pdf.LINE, pdf_text(given(doc.adviser_name)), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(left)
    pdf.set_font("Helvetica", "I", 9)
    pdf.cell(85, pdf.LINE, "Signature et cachet de la structure", new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.rect(left, pdf.get_y() + 1, 85, 30)
    pdf.set_y(pdf.get_y() + 32)
