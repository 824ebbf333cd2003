"""Amounts in euros as Decimal (never floats), and the arithmetic of a CEP funding plan."""
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000")  # no training plan of the service comes near a million euros
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^\d+([.,]\d{1,2})?$")
NBSP = "\u00a0"


def parse_amount(text) -> Decimal | None:
    """« 8 400 », « 8400,5 », « 8 400,50 € » or "8400.50" as Decimal; None when it is no amount
    in euros and cents (more than two decimals, a sign, letters, a float)."""
    if isinstance(text, bool) or not isinstance(text, (str, int, Decimal)):
        return None
    raw = _SPACES.sub("", str(text)).removesuffix("€").removesuffix("EUR")
    if not _AMOUNT.match(raw):
        return None
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return value.quantize(CENT) if value <= MAX_AMOUNT else None


def amount_text(value: Decimal) -> str:
    """How an amount is stored in task data: "8400.00" (JSON has no decimal type)."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def euros(value: Decimal | None) -> str:
    """« 8 400,00 € », as French readers write amounts."""
    if value is None:
        return "—"
    value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"


def typed_amount(value):
    """An amount as a French person types it in a form (« 8 400,50 »); anything else unchanged."""
    amount = parse_amount(value) if isinstance(value, str) else None
    if amount is None:
        return value
    return euros(amount).replace(NBSP, " ").removesuffix(" €")


@dataclass
class PlanFigures:
    """What a plan adds up to, and what is wrong with it (French messages by field)."""
    total_cost: Decimal = Decimal("0.00")
    total_funded: Decimal = Decimal("0.00")
    lines: dict = field(default_factory=dict)  # funder code -> Decimal, in the order typed
    problems: dict = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        return self.total_cost - self.total_funded


def plan_figures(data: dict, funders: dict) -> PlanFigures:
    """Check a funding plan as typed: costs, CPF balance and one amount per funder.

    `data` holds cout_pedagogique, frais_annexes, solde_cpf and financements ({funder code:
    amount}); `funders` maps the active funder codes to their kind. A plan is consistent when
    every amount reads as euros and cents, the funders' amounts add up exactly to the cost (the
    person's own share is a funder line), and the CPF is not asked for more than its balance."""
    figures = PlanFigures()
    problems = figures.problems
    teaching = parse_amount(data.get("cout_pedagogique"))
    other = parse_amount(data.get("frais_annexes")) if data.get("frais_annexes") not in (None, "") \
        else Decimal("0.00")
    if teaching is None:
        problems["cout_pedagogique"] = "Saisissez le coût pédagogique en euros, par exemple 8 400 ou 8 400,50."
    elif teaching <= 0:
        problems["cout_pedagogique"] = "Le coût pédagogique doit être supérieur à zéro."
    if other is None:
        problems["frais_annexes"] = "Saisissez les frais annexes en euros, ou laissez le champ vide."
    balance = None
    if data.get("solde_cpf") not in (None, ""):
        balance = parse_amount(data.get("solde_cpf"))
        if balance is None:
            problems["solde_cpf"] = "Saisissez le solde CPF en euros, par exemple 3 200."
    lines = data.get("financements") or {}
    if not isinstance(lines, dict):
        problems["financements"] = "Indiquez un montant par financeur."
        return figures
    for code, raw in lines.items():
        if raw in (None, ""):
            continue
        if code not in funders:
            problems["financements"] = f"Financeur inconnu ou désactivé : {code}."
            continue
        amount = parse_amount(raw)
        if amount is None:
            problems["financements"] = f"Montant illisible pour un financeur : « {raw} » (euros et centimes)."
        elif amount > 0:
            figures.lines[code] = amount
    if problems:
        return figures
    figures.total_cost = teaching + other
    figures.total_funded = sum(figures.lines.values(), Decimal("0.00"))
    if not figures.lines:
        problems["financements"] = "Indiquez au moins un financeur et son montant."
    elif figures.remaining > 0:
        problems["financements"] = (
            f"Le plan ne couvre pas le coût : {euros(figures.total_cost)} à financer, "
            f"{euros(figures.total_funded)} prévus, il manque {euros(figures.remaining)}. Ajoutez un "
            "financeur ou la participation de la personne.")
    elif figures.remaining < 0:
        problems["financements"] = (
            f"Le plan dépasse le coût : {euros(figures.total_funded)} prévus pour "
            f"{euros(figures.total_cost)} à financer ({euros(-figures.remaining)} de trop).")
    cpf = sum((a for c, a in figures.lines.items() if funders.get(c) == "cpf"), Decimal("0.00"))
    if cpf and balance is None:
        problems["solde_cpf"] = "Indiquez le solde CPF de la personne : le plan mobilise son CPF."
    elif cpf and cpf > balance:
        problems["financements"] = (f"Le CPF est sollicité pour {euros(cpf)} mais son solde est de "
                                    f"{euros(balance)} : demandez le reste à un autre financeur.")
    return figures
