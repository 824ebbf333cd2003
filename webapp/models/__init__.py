"""Database models, one module per noun."""
from .audit import AuditEvent
from .definitions import DefinitionVersion
from .journeys import Journey
from .people import Person
from .structures import Structure, Territory
from .tasks import HumanTask
from .users import ApiToken, User

__all__ = [
    "ApiToken", "AuditEvent", "DefinitionVersion", "HumanTask", "Journey",
    "Person", "Structure", "Territory", "User",
]
