"""Database models, one module per noun."""
from .audit import AuditEvent
from .contact_requests import ContactRequest
from .definitions import DefinitionDraft, DefinitionVersion, JourneyMigration
from .documentation import DocumentationResource, ResourceGiven
from .followups import Followup, FollowupAnswer, FollowupOptOutLink
from .funding import Funder, FundingPlan, FundingRequest
from .journeys import Journey
from .outbox import OutboxMessage
from .people import Person, PersonAccess, PersonSearchTerm
from .referrals import Referral
from .structures import BassinCommune, Structure, Territory
from .support_programme import SupportEvent, SupportRegistration
from .tasks import HumanTask
from .users import ApiToken, SignInThrottle, User
from .workers import WorkerHeartbeat

__all__ = [
    "ApiToken", "AuditEvent", "BassinCommune", "DefinitionDraft", "DefinitionVersion", "Funder", "FundingPlan", "FundingRequest",
    "HumanTask", "Journey", "JourneyMigration",
    "OutboxMessage", "Person", "PersonAccess", "PersonSearchTerm", "Referral", "SignInThrottle", "Structure",
    "Territory", "User", "WorkerHeartbeat",
]
__all__ += ["ContactRequest"]  # requests to be contacted from the public page
__all__ += ["SupportEvent", "SupportRegistration"]  # the support programme
__all__ += ["Followup", "FollowupAnswer", "FollowupOptOutLink"]  # the follow-up months after a service
__all__ += ["DocumentationResource", "ResourceGiven"]  # the documentation library
