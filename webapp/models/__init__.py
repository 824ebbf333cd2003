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
    "ApiToken", "AuditEvent", "BassinCommune", "ContactRequest", "DefinitionDraft", "DefinitionVersion",
    "DocumentationResource", "Followup", "FollowupAnswer", "FollowupOptOutLink", "Funder", "FundingPlan",
    "FundingRequest", "HumanTask", "Journey", "JourneyMigration", "OutboxMessage", "Person", "PersonAccess",
    "PersonSearchTerm", "Referral", "ResourceGiven", "SignInThrottle", "Structure", "SupportEvent",
    "SupportRegistration", "Territory", "User", "WorkerHeartbeat",
]
