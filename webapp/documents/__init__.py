"""PDF documents a CEP adviser hands to a person: the synthesis and the démission-reconversion
attestation (fpdf2, core font Helvetica in windows-1252)."""
from webapp.documents.attestation import (ATTESTATION_TITLE, AttestationDoc, TrainingDoc,
                                          attestation_pdf)
from webapp.documents.layout import format_date, format_euros, pdf_text
from webapp.documents.synthesis import (SYNTHESIS_TITLE, FundingDoc, FundingLineDoc, ProjectDoc,
                                        SynthesisDoc, ValidationDoc, synthesis_pdf)

__all__ = [
    "ATTESTATION_TITLE", "SYNTHESIS_TITLE", "AttestationDoc", "FundingDoc", "FundingLineDoc",
    "ProjectDoc", "SynthesisDoc", "TrainingDoc", "ValidationDoc", "attestation_pdf",
    "format_date", "format_euros", "pdf_text", "synthesis_pdf",
]
