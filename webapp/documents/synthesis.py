"""The synthesis of a CEP accompaniment: situation, project, validation, funding plan, next steps."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from webapp.documents.layout import (DocumentPDF, format_date, format_euros, format_hours, given,
                                     pdf_text)

SYNTHESIS_TITLE = "Synthèse de l'accompagnement — Conseil en évolution professionnelle"
ANONYMOUS = "Personne accompagnée"


@dataclass(frozen=True)
class ProjectDoc:
    """The professional project as the adviser and the person shaped it."""
    target_job_code: str | None = None
    target_job_label: str | None = None
    training_title: str | None = None
    training_organisation: str | None = None
    certification: str | None = None  # e.g. "RNCP34398 — Développeur web et web mobile"
    skills: str = ""
    feasibility: str = ""


@dataclass(frozen=True)
class ValidationDoc:
    """The decision on the project."""
    decision_label: str
    decided_on: date
    reasons: str = ""


@dataclass(frozen=True)
class FundingLineDoc:
    """One funder's share of the plan; granted is None until the funder decides."""
    funder_label: str
    requested: Decimal
    status_label: str
    granted: Decimal | None = None


@dataclass(frozen=True)
class FundingDoc:
    """The funding plan of the training, with its totals as the application computed them."""
    training_cost_teaching: Decimal
    training_cost_other: Decimal
    total: Decimal
    start_date: date | None
    end_date: date | None
    duration_hours: Decimal | int | None
    lines: Sequence[FundingLineDoc]
    total_requested: Decimal
    total_granted: Decimal
    remaining: Decimal  # total − total_granted; negative when funders grant more than the cost

    @classmethod
    def from_lines(cls, training_cost_teaching: Decimal, training_cost_other: Decimal,
                   lines: Sequence[FundingLineDoc], start_date: date | None = None,
                   end_date: date | None = None,
                   duration_hours: Decimal | int | None = None) -> "FundingDoc":
        """A plan whose totals are added up from its costs and lines."""
        total = training_cost_teaching + training_cost_other
        granted = sum((line.granted or Decimal("0") for line in lines), Decimal("0"))
        return cls(training_cost_teaching, training_cost_other, total, start_date, end_date,
                   duration_hours, tuple(lines),
                   sum((line.requested for line in lines), Decimal("0")), granted,
                   total - granted)


@dataclass(frozen=True)
class SynthesisDoc:
    """Everything the synthesis prints; person_name None for an anonymous person."""
    person_name: str | None
    structure_name: str
    structure_address: str
    structure_phone: str
    structure_email: str
    adviser_name: str
    generated_on: date
    situation: str
    request: str
    project: ProjectDoc
    validation: ValidationDoc | None = None
    funding: FundingDoc | None = None
    next_steps: Sequence[str] = ()
    contacts: Sequence[str] = ()


def synthesis_pdf(doc: SynthesisDoc) -> bytes:
    """The synthesis handed to the person at the end (or along) the accompaniment, as PDF bytes."""
    pdf = DocumentPDF(SYNTHESIS_TITLE, doc.structure_name,
                      subject="Conseil en évolution professionnelle")
    pdf.letterhead(doc.structure_name, doc.structure_address, doc.structure_phone,
                   doc.structure_email, right_lines=[f"Le {format_date(doc.generated_on)}"])
    pdf.title_block(SYNTHESIS_TITLE)
    pdf.field("Personne accompagnée :" if doc.person_name else "Bénéficiaire :",
              doc.person_name or ANONYMOUS)
    pdf.field("Conseiller :", doc.adviser_name)
    pdf.field("Document établi le :", format_date(doc.generated_on))

    pdf.heading("Situation de la personne")
    pdf.paragraph(doc.situation)
    pdf.heading("Demande exprimée")
    pdf.paragraph(doc.request)
    _project(pdf, doc.project)
    _validation(pdf, doc.validation)
    _funding(pdf, doc.funding)

    pdf.heading("Plan d'action")
    if doc.next_steps:
        pdf.item_list(doc.next_steps, numbered=True)
    else:
        pdf.paragraph("", empty="Aucune étape n'est encore prévue.")
    if doc.contacts:
        pdf.heading("Contacts utiles")
        pdf.item_list(doc.contacts, numbered=False)
    return pdf.finish()


def _project(pdf: DocumentPDF, project: ProjectDoc):
    pdf.heading("Projet professionnel")
    job = given(project.target_job_label)
    if project.target_job_code and project.target_job_label:
        job = f"{project.target_job_label} (code ROME {project.target_job_code})"
    pdf.field("Métier visé :", job)
    pdf.field("Formation :", project.training_title)
    pdf.field("Organisme de formation :", project.training_organisation)
    pdf.field("Certification :", project.certification or "Aucune certification visée")
    pdf.ln(2)
    pdf.subheading("Compétences acquises et à développer")
    pdf.paragraph(project.skills)
    pdf.subheading("Faisabilité du projet")
    pdf.paragraph(project.feasibility)


def _validation(pdf: DocumentPDF, validation: ValidationDoc | None):
    pdf.heading("Validation du projet")
    if validation is None:
        pdf.paragraph("", empty="Le projet n'a pas encore été validé.")
        return
    pdf.field("Décision :", validation.decision_label)
    pdf.field("Date de la décision :", format_date(validation.decided_on))
    if validation.reasons:
        pdf.ln(1)
        pdf.subheading("Motifs")
        pdf.paragraph(validation.reasons)


def _funding(pdf: DocumentPDF, funding: FundingDoc | None):
    block_height = 75 + 7 * len(funding.lines) if funding else 0
    if block_height < pdf.eph - 20 and pdf.will_page_break(block_height):
        pdf.add_page()  # the plan stays on one page when it can
    pdf.heading("Plan de financement")
    if funding is None:
        pdf.paragraph("", empty="Aucun plan de financement n'a encore été établi.")
        return
    pdf.field("Coût pédagogique :", format_euros(funding.training_cost_teaching))
    pdf.field("Autres frais :", format_euros(funding.training_cost_other))
    pdf.field("Coût total :", format_euros(funding.total))
    pdf.field("Dates de formation :",
              f"du {format_date(funding.start_date)} au {format_date(funding.end_date)}")
    pdf.field("Durée :", format_hours(funding.duration_hours))
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9.5)
    bold = FontFace(emphasis="BOLD", fill_color=(225, 232, 242))
    with pdf.table(col_widths=(62, 36, 36, 36), text_align=("LEFT", "RIGHT", "LEFT", "RIGHT"),
                   headings_style=bold, line_height=5, padding=1) as table:
        table.row(["Financeur", "Montant demandé", "Décision", "Montant accordé"])
        for line in funding.lines:
            table.row([pdf_text(given(line.funder_label)), format_euros(line.requested),
                       pdf_text(given(line.status_label)),
                       "—" if line.granted is None else format_euros(line.granted)])
        total_row = table.row(style=FontFace(emphasis="BOLD"))
        for text in ("Total", format_euros(funding.total_requested), "",
                     format_euros(funding.total_granted)):
            total_row.cell(text)
    pdf.ln(3)
    if pdf.will_page_break(8):
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(pdf.epw - 36, 7, "Reste à financer :", align="R")  # under « Montant accordé »
    pdf.cell(36, 7, format_euros(funding.remaining), align="R", new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.ln(2)
