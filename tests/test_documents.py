"""The CEP documents read back with pypdf: figures, labels, anonymity, pagination, odd characters."""
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from webapp.documents import (AttestationDoc, FundingDoc, FundingLineDoc, ProjectDoc,
                              SynthesisDoc, TrainingDoc, ValidationDoc, attestation_pdf,
                              format_euros, synthesis_pdf)

NEXT_STEPS = ("Déposer la demande de financement sur Mon Compte Formation",
              "Rencontrer l'organisme de formation avant le 15 mai",
              "Faire le point avec la conseillère après la réponse de la Région")


def read(pdf: bytes) -> tuple[PdfReader, str]:
    """The document and its text, no-break spaces read as spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text.replace("\xa0", " ")


def funding(lines=None) -> FundingDoc:
    lines = lines if lines is not None else (
        FundingLineDoc("Région Centre-Val de Loire", Decimal("5200.00"), "Accordé",
                       Decimal("5200.00")),
        FundingLineDoc("Compte personnel de formation", Decimal("3200.00"), "En attente", None),
    )
    return FundingDoc.from_lines(Decimal("8000.00"), Decimal("400.00"), lines,
                                 date(2025, 9, 1), date(2026, 6, 30), 450)


def synthesis(**changes) -> SynthesisDoc:
    values = dict(
        person_name="Marie Lefèvre",
        structure_name="Maison de l'emploi du Loiret",
        structure_address="12 rue Jeanne d'Arc, 45000 Orléans",
        structure_phone="02 38 00 00 00",
        structure_email="cep@mde-loiret.fr",
        adviser_name="Julien Moreau",
        generated_on=date(2025, 3, 14),
        situation="Aide-soignante en CDI depuis huit ans, souhaite quitter le soin.",
        request="Construire un projet de reconversion vers le numérique.",
        project=ProjectDoc(
            target_job_code="M1805", target_job_label="Développeuse web",
            training_title="Titre professionnel Développeur web et web mobile",
            training_organisation="AFPA Orléans",
            certification="RNCP37674 — Développeur web et web mobile",
            skills="Rigueur, travail en équipe ; à développer : JavaScript.",
            feasibility="Projet réaliste : marché porteur dans le Loiret."),
        validation=ValidationDoc("Projet validé", date(2025, 4, 2),
                                 "Enquêtes métier et immersion concluantes."),
        funding=funding(),
        next_steps=NEXT_STEPS,
        contacts=("Transitions Pro Centre-Val de Loire — 02 38 00 11 22",),
    )
    values.update(changes)
    return SynthesisDoc(**values)


def attestation(**changes) -> AttestationDoc:
    values = dict(
        person_name="Karim Benali",
        structure_name="Cap Emploi Cher", structure_address="3 place de la Nation, 18000 Bourges",
        structure_phone="02 48 00 00 00", structure_email="cep@capemploi18.fr",
        adviser_name="Sophie Durand", issued_on=date(2025, 5, 20),
        target_job_label="Électricien du bâtiment",
        steps_taken="Quatre entretiens, deux enquêtes métier, une immersion de cinq jours.",
        knowledge_of_job="Conditions de travail, salaires et risques connus du salarié.",
        training=TrainingDoc(
            title="Titre professionnel Électricien d'équipement du bâtiment",
            organisation="GRETA Cher", programme="Courants forts, habilitation électrique.",
            calendar="Cinq jours par semaine, stage de quatre semaines en entreprise.",
            start_date=date(2025, 10, 6), end_date=date(2026, 4, 24),
            cost=Decimal("9850.50"), duration_hours=Decimal("805")),
        job_prospects="Métier en tension dans le Cher : nombreuses offres.",
        opinion="Le projet est cohérent, réaliste et préparé.",
        signature_place="Bourges", signature_date=date(2025, 5, 20),
    )
    values.update(changes)
    return AttestationDoc(**values)


def test_synthesis_prints_the_project_the_funding_plan_and_the_action_plan():
    reader, text = read(synthesis_pdf(synthesis()))

    assert "Synthèse de l'accompagnement" in text
    assert "Marie Lefèvre" in text and "Maison de l'emploi du Loiret" in text
    assert "Développeuse web (code ROME M1805)" in text
    assert "RNCP37674" in text and "Projet validé" in text and "2 avril 2025" in text
    assert "Coût total : 8 400,00 €" in text
    for label in ("Financeur", "Montant demandé", "Décision", "Montant accordé"):
        assert label in text
    assert "Région Centre-Val de Loire" in text and "Compte personnel de formation" in text
    assert "5 200,00 €" in text and "3 200,00 €" in text
    assert "Reste à financer : 3 200,00 €" in text
    for number, step in enumerate(NEXT_STEPS, start=1):
        assert f"{number}. {step}" in text
    assert "Transitions Pro Centre-Val de Loire" in text
    assert reader.metadata.title.startswith("Synthèse de l'accompagnement")
    assert reader.metadata.author == "Maison de l'emploi du Loiret"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_synthesis_of_an_anonymous_person_names_nobody():
    _, text = read(synthesis_pdf(synthesis(person_name=None)))
    assert "Personne accompagnée" in text
    assert "Lefèvre" not in text


def test_synthesis_says_what_is_not_decided_yet():
    _, text = read(synthesis_pdf(synthesis(validation=None, funding=None, next_steps=())))
    assert "Le projet n'a pas encore été validé." in text
    assert "Aucun plan de financement n'a encore été établi." in text
    assert "Reste à financer" not in text


def test_long_synthesis_paginates_with_page_numbers():
    long_text = ("Parcours détaillé de la personne, étape par étape. " * 100)[:5000]
    lines = [FundingLineDoc(f"Financeur numéro {i}", Decimal("100.00"), "Accordé",
                            Decimal("100.00")) for i in range(1, 16)]
    doc = synthesis(situation=long_text, request=long_text,
                    project=ProjectDoc(skills="x" * 5000, feasibility=long_text),
                    funding=funding(lines), next_steps=[long_text[:600]] * 12)
    reader, text = read(synthesis_pdf(doc))

    pages = len(reader.pages)
    assert pages > 1
    for number in range(1, pages + 1):
        assert f"Page {number} / {pages}" in reader.pages[number - 1].extract_text()
    assert "Financeur numéro 15" in text
    assert "Total 1 500,00 € 1 500,00 €" in text
    assert "Reste à financer : 6 900,00 €" in text


def test_granting_more_than_the_cost_prints_a_negative_remaining_amount():
    lines = (FundingLineDoc("Région Centre-Val de Loire", Decimal("9000"), "Accordé",
                            Decimal("9000")),)
    _, text = read(synthesis_pdf(synthesis(funding=funding(lines))))
    assert "Reste à financer : -600,00 €" in text


@pytest.mark.parametrize("amount, expected", [
    (Decimal("8400"), "8\u00a0400,00\u00a0€"),
    (Decimal("1234567.891"), "1\u00a0234\u00a0567,89\u00a0€"),
    (Decimal("0.005"), "0,01\u00a0€"),
    (Decimal("2.675"), "2,68\u00a0€"),
    (Decimal("999.994"), "999,99\u00a0€"),
    (Decimal("999.995"), "1\u00a0000,00\u00a0€"),
    (Decimal("-1200.5"), "-1\u00a0200,50\u00a0€"),
    (Decimal("-0.001"), "0,00\u00a0€"),
    (Decimal("0"), "0,00\u00a0€"),
])
def test_euros_are_written_the_french_way(amount, expected):
    assert format_euros(amount) == expected


def test_characters_outside_windows_1252_do_not_stop_the_document():
    odd = "Objectif ≥ 80 % 🚀 — délai\u202f: 3 mois → ✓ ŝ ā"
    doc = synthesis(person_name="Zoë Ångström 😀", situation=odd,
                    next_steps=[odd], project=ProjectDoc(target_job_label="Métier ≠ soin"))
    _, text = read(synthesis_pdf(doc))
    assert "Objectif >= 80 %" in text
    assert "délai : 3 mois -> v s a" in text
    assert "Zoë Ångström" in text and "Métier != soin" in text

    _, text = read(attestation_pdf(attestation(opinion=odd, person_name="Zoë 😀")))
    assert "Objectif >= 80 %" in text


def test_attestation_states_the_legal_frame_the_training_and_leaves_room_to_sign():
    reader, text = read(attestation_pdf(attestation()))

    assert "Attestation du caractère réel et sérieux du projet de reconversion" in text
    assert "L5422-1 du code du travail" in text and "démission-reconversion" in text
    assert "Karim Benali" in text and "Électricien du bâtiment" in text
    assert "GRETA Cher" in text and "9 850,50 €" in text
    assert "du 6 octobre 2025 au 24 avril 2026" in text and "805 h" in text
    assert "Fait à Bourges, le 20 mai 2025" in text
    assert "Signature et cachet de la structure" in text
    assert reader.metadata.author == "Cap Emploi Cher"
    assert f"Page 1 / {len(reader.pages)}" in text


def test_long_attestation_paginates_and_keeps_the_signature_block_whole():
    long_text = ("Démarche menée et analysée avec le salarié. " * 120)[:5000]
    doc = attestation(steps_taken=long_text, knowledge_of_job=long_text, opinion=long_text)
    reader, _ = read(attestation_pdf(doc))

    assert len(reader.pages) > 1
    last = reader.pages[-1].extract_text()
    assert "Fait à Bourges" in last and "Signature et cachet de la structure" in last
    assert f"Page {len(reader.pages)} / {len(reader.pages)}" in last
