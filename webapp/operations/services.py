"""The whitelist of operations a diagram's service tasks may name, and the callable handed to
the engine for one journey and actor."""
from ..models import Journey, User
from ..workflow import EngineError
from .cep_services import SERVICES as CEP_SERVICES
from .referral_services import SERVICES as REFERRAL_SERVICES, ServiceContext
from .service_params import DELAY_PARAMETERS, MAX_DELAY_DAYS

SERVICES = {**REFERRAL_SERVICES, **CEP_SERVICES}


def known_services() -> dict[str, dict[str, tuple[int, int]]]:
    """What validation knows of the whitelist: each operation with the bounds of the whole-number
    parameters it reads (its delays in working days)."""
    return {name: {parameter: (1, MAX_DELAY_DAYS) for parameter in DELAY_PARAMETERS.get(name, {})}
            for name in SERVICES}


def services_for(journey: Journey, actor: User | None):
    """The callable handed to the engine for this journey and actor."""
    ctx = ServiceContext(journey, actor, services_for)

    def call(name, params, data):
        if name not in SERVICES:
            raise EngineError(f"Opération de service inconnue : {name}.")
        return SERVICES[name](ctx, params, data)
    return call
