"""Domain exceptions raised by operations and queries; views/errors.py turns them into answers."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """Absent, or outside the user's structure (both answer 404: no existence leak)."""
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """Someone else got there first: task completed, claimed, or the journey moved on."""
    status = 409


class InvalidData(DomainError):
    """Submitted data does not satisfy the form; `fields` maps field names to messages."""
    status = 422
