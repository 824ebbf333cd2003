"""Values a diagram gives its service operations as parameters (spiffworkflow:parameter)."""
from flask import current_app

from ..workflow import EngineError

MAX_DELAY_DAYS = 250  # about a working year
# The delays each operation reads from its service task, with the setting used when the diagram
# sets none; the studio's editor offers them on the operation and on the timers that use its result.
DELAY_PARAMETERS = {
    "orientation.envoyer": {"jours_relance": "REFERRAL_REMINDER_DAYS", "jours_escalade": "REFERRAL_ESCALATION_DAYS",
                            "jours_expiration": "REFERRAL_EXPIRY_DAYS"},
    "orientation.accepter": {"jours_relance": "REFERRAL_REMINDER_DAYS"},
    "cep.enregistrer_plan": {"jours_relance": "FUNDING_DEPOSIT_DAYS"},
    "cep.deposer": {"jours_relance": "FUNDING_REMINDER_DAYS"},
}


def delay_defaults() -> dict[str, dict[str, int]]:
    """{operation: {parameter: working days used when the diagram sets none}}."""
    config = current_app.config
    return {operation: {name: config[setting] for name, setting in names.items()}
            for operation, names in DELAY_PARAMETERS.items()}


def delay_days(params: dict, name: str, setting: str) -> int:
    """A delay in working days set on the service task (parameter `name`, e.g. « jours_escalade »),
    or the setting's value when the diagram gives none: the process owner sets the delays in the studio."""
    value = params.get(name)
    if value is None or value == "":
        return current_app.config[setting]
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit() \
            or not 1 <= int(value) <= MAX_DELAY_DAYS:
        raise EngineError(f"Délai « {name} » invalide ({value!r}) : indiquez dans le diagramme un nombre entier "
                          f"de jours ouvrés entre 1 et {MAX_DELAY_DAYS}.")
    return int(value)
