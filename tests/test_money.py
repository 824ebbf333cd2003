"""Amounts in euros (webapp/money.py) and the CEP funding forms' amount rules: Decimal only, French
input and output, a plan that must add up to the cent."""
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from webapp import clock
from webapp.money import MAX_AMOUNT, euros, parse_amount, plan_figures
from webapp.reference import FUNDERS
from webapp import task_forms

ROOT = Path(__file__).resolve().parent.parent
NBSP, NNBSP = "\u00a0", "\u202f"
KINDS = {code: kind for code, _label, kind, _needs_request in FUNDERS}


# -- reading an amount --------------------------------------------------------------------------

@pytest.mark.parametrize("typed, amount", [
    ("8 400", "8400.00"), ("8 400,50 €", "8400.50"), ("8400.5", "8400.50"), ("8400,5", "8400.50"),
    (f"8{NBSP}400,50{NBSP}€", "8400.50"), (f"8{NNBSP}400", "8400.00"), ("8400 EUR", "8400.00"),
    ("0", "0.00"), (8400, "8400.00"), (Decimal("12.3"), "12.30"), ("1 000 000", "1000000.00"),
])
def test_amounts_typed_the_french_way_are_read(typed, amount):
    value = parse_amount(typed)
    assert isinstance(value, Decimal) and value == Decimal(amount)
    assert str(value) == amount  # always two decimals


@pytest.mark.parametrize("typed", [
    "8400,505", "12.345", "-100", "-0,50", "+100", "huit mille", "8400 euros", "84O0", "", " ", "1,2,3",
    8400.5, 0.1, True, False, None, ["8400"], "1000000,01", "2 000 000",
])
def test_what_is_no_amount_in_euros_and_cents_is_refused(typed):
    """More than two decimals, a sign, letters, a float, a boolean, above the maximum: no amount."""
    assert parse_amount(typed) is None


def test_the_maximum_is_a_million():
    assert parse_amount(str(MAX_AMOUNT)) == MAX_AMOUNT
    assert parse_amount("1000000.01") is None


# -- writing an amount --------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    (Decimal("8400"), f"8{NBSP}400,00{NBSP}€"), (Decimal("8400.5"), f"8{NBSP}400,50{NBSP}€"),
    (Decimal("0"), f"0,00{NBSP}€"), (Decimal("999.99"), f"999,99{NBSP}€"),
    (Decimal("1234567.8"), f"1{NBSP}234{NBSP}567,80{NBSP}€"), (Decimal("-1234.5"), f"-1{NBSP}234,50{NBSP}€"),
    (Decimal("0.005"), f"0,01{NBSP}€"), (Decimal("0.004"), f"0,00{NBSP}€"), (Decimal("2.675"), f"2,68{NBSP}€"),
    (None, "—"),
])
def test_euros_are_written_the_french_way_rounded_half_up(value, shown):
    assert euros(value) == shown


# -- a funding plan ------------------------------------------------------------------------------

def figures(financements, cost="8000", other="400", balance="3200"):
    return plan_figures({"cout_pedagogique": cost, "frais_annexes": other, "solde_cpf": balance,
                         "financements": financements}, KINDS)


def test_a_plan_that_adds_up():
    """8 000 + 400 = 8 400, funded by the CPF (3 200, within its balance) and Transitions Pro (5 200)."""
    plan = figures({"cpf": "3 200", "transitions_pro": "5 200,00"})
    assert plan.problems == {}
    assert plan.total_cost == plan.total_funded == Decimal("8400.00")
    assert plan.remaining == Decimal("0.00")
    assert plan.lines == {"cpf": Decimal("3200.00"), "transitions_pro": Decimal("5200.00")}
    assert list(plan.lines) == ["cpf", "transitions_pro"]  # the order typed


def test_empty_and_zero_lines_are_no_funders():
    plan = figures({"cpf": "3200", "transitions_pro": "5200", "abondement_region": "", "personne": "0"})
    assert plan.problems == {} and list(plan.lines) == ["cpf", "transitions_pro"]


def test_a_plan_that_misses_an_amount_names_it():
    plan = figures({"cpf": "3200", "transitions_pro": "4800"})
    message = plan.problems["financements"]
    assert f"il manque 400,00{NBSP}€" in message
    assert f"8{NBSP}400,00{NBSP}€ à financer" in message and f"8{NBSP}000,00{NBSP}€ prévus" in message


def test_a_plan_that_asks_too_much():
    plan = figures({"cpf": "3200", "transitions_pro": "5200", "personne": "100"})
    assert "dépasse le coût" in plan.problems["financements"]
    assert f"(100,00{NBSP}€ de trop)" in plan.problems["financements"]


def test_the_cpf_is_asked_no_more_than_its_balance():
    plan = figures({"cpf": "4200", "transitions_pro": "4200"}, balance="3200")
    message = plan.problems["financements"]
    assert f"4{NBSP}200,00{NBSP}€" in message and f"solde est de 3{NBSP}200,00{NBSP}€" in message


def test_the_cpf_needs_its_balance():
    plan = figures({"cpf": "3200", "transitions_pro": "5200"}, balance="")
    assert plan.problems == {"solde_cpf": "Indiquez le solde CPF de la personne : le plan mobilise son CPF."}


def test_no_balance_is_needed_without_the_cpf():
    assert figures({"transitions_pro": "8400"}, balance="").problems == {}


def test_an_unknown_funder_is_refused():
    plan = figures({"cpf": "3200", "mecene": "5200"})
    assert plan.problems["financements"] == "Financeur inconnu ou désactivé : mecene."


def test_a_plan_without_funder_is_refused():
    assert figures({}).problems["financements"] == "Indiquez au moins un financeur et son montant."


def test_unreadable_costs_and_lines_name_their_field():
    plan = figures({"cpf": "3200,505"}, cost="huit mille", other="-4", balance="beaucoup")
    assert set(plan.problems) == {"cout_pedagogique", "frais_annexes", "solde_cpf", "financements"}
    assert "3200,505" in plan.problems["financements"]


def test_cents_add_up_exactly():
    """Sums of cents that floats get wrong (0.1 + 0.1 + 0.1 != 0.3) add up exactly."""
    assert 0.1 + 0.1 + 0.1 != 0.3  # what the plan must not do
    plan = figures({"cpf": "0,10", "abondement_region": "0.10", "personne": "0,1"}, cost="0,20", other="0,10",
                   balance="0,10")
    assert plan.problems == {}
    assert plan.total_funded == plan.total_cost == Decimal("0.30")
    many = figures({"cpf": "1 111,11", "transitions_pro": "3 333,33", "abondement_region": "2 222,22",
                    "personne": "1 733,34"}, cost="8 000,00", other="400,00", balance="1 111,11")
    assert many.problems == {} and many.remaining == Decimal("0.00")


# -- through the forms --------------------------------------------------------------------------

def form(name):
    return task_forms.expand(json.loads((ROOT / "forms" / name).read_text(encoding="utf-8")))


def plan_form_data(**changes):
    start = clock.now().date() + timedelta(days=60)
    data = {"formation_visee": "DE aide-soignant", "organisme_formation": "IFAS de Tours",
            "date_debut": start.isoformat(), "date_fin": (start + timedelta(days=300)).isoformat(),
            "duree_heures": 1540, "cout_pedagogique": "8000.00", "frais_annexes": "400.00", "solde_cpf": "3200.00",
            "financements": {"cpf": "3200.00", "transitions_pro": "5200.00"}, "decision_plan": "soumettre"}
    data.update(changes)
    return data


def test_the_plan_form_accepts_a_plan_that_adds_up(ctx):
    assert task_forms.validate(form("cep_plan_financement.schema.json"), plan_form_data()) == {}


def test_the_plan_form_gives_french_messages_on_the_right_fields(ctx):
    schema = form("cep_plan_financement.schema.json")
    errors = task_forms.validate(schema, plan_form_data(financements={"cpf": "3200.00", "transitions_pro": "4800.00"}))
    assert list(errors) == ["financements"] and f"il manque 400,00{NBSP}€" in errors["financements"]
    errors = task_forms.validate(schema, plan_form_data(cout_pedagogique="huit mille"))
    assert errors["cout_pedagogique"] == "Saisissez un montant en euros, par exemple 8 400 ou 8 400,50."
    errors = task_forms.validate(schema, plan_form_data(solde_cpf="1000.00"))
    assert list(errors) == ["financements"] and "Le CPF est sollicité" in errors["financements"]
    errors = task_forms.validate(schema, plan_form_data(financements={"mecene": "8400.00"}))
    assert errors["financements"] == "Financeur inconnu ou désactivé : mecene."
    start = clock.now().date() + timedelta(days=60)
    errors = task_forms.validate(schema, plan_form_data(date_fin=(start - timedelta(days=1)).isoformat()))
    assert errors == {"date_fin": "La date de fin précède la date de début."}
    stop = {"decision_plan": "arret", "motif_arret": "Plus disponible.", "cout_pedagogique": "8000.00"}
    assert task_forms.validate(schema, stop) == {}  # a person who stops needs no plan that adds up


def test_the_plan_form_knows_the_active_funders(ctx):
    """The funders' amounts come from the database: one field per active funder, labelled."""
    funders = form("cep_plan_financement.schema.json")["properties"]["financements"]["properties"]
    assert list(funders) == [code for code, *_rest in FUNDERS]
    assert funders["cpf"]["title"] == "CPF (compte personnel de formation du titulaire)"
    assert funders["personne"]["x-kind"] == "personne"


def test_amounts_typed_the_french_way_are_stored_as_text_with_cents(ctx):
    schema = form("cep_plan_financement.schema.json")
    cleaned = task_forms.clean(schema, plan_form_data(cout_pedagogique="8 000", frais_annexes="400,5",
                                                      financements={"cpf": "3 200,50", "transitions_pro": "5 200",
                                                                    "abondement_region": ""}))
    assert cleaned["cout_pedagogique"] == "8000.00" and cleaned["frais_annexes"] == "400.50"
    assert cleaned["financements"] == {"cpf": "3200.50", "transitions_pro": "5200.00"}
    assert task_forms.clean(schema, {"solde_cpf": "beaucoup"})["solde_cpf"] == "beaucoup"  # left for the message


@pytest.mark.parametrize("granted, refused", [("5200.00", True), ("5 300", True), ("0", True),
                                              ("5199.99", False), ("2 600,50", False)])
def test_a_partial_grant_lies_below_the_amount_asked(ctx, granted, refused):
    schema = form("cep_decision_financeur.schema.json")
    context = {"sollicitation": {"montant": "5200.00"}}
    data = {"decision_financeur": "partiel", "montant_accorde": granted,
            "date_decision": clock.now().date().isoformat()}
    errors = task_forms.validate(schema, data, context=context)
    if refused:
        assert list(errors) == ["montant_accorde"]
    else:
        assert errors == {}
    if granted in ("5200.00", "5 300"):
        assert errors["montant_accorde"].startswith(f"Un accord partiel est inférieur au montant demandé (5{NBSP}200,00{NBSP}€)")


def test_a_partial_grant_needs_its_amount(ctx):
    schema = form("cep_decision_financeur.schema.json")
    errors = task_forms.validate(schema, {"decision_financeur": "partiel",
                                          "date_decision": clock.now().date().isoformat()},
                                 context={"sollicitation": {"montant": "5200.00"}})
    assert errors == {"montant_accorde": "Ce champ est obligatoire."}
