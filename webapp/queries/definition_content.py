"""What a completion needs of a published definition version (its specs and forms), read once per
process: versions are immutable, so a journey step does not read hundreds of kilobytes of specs,
diagram and forms from the database every time."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from ..extensions import db
from ..models import DefinitionVersion


@dataclass(frozen=True)
class VersionContent:
    """A published version's engine specs and forms (read-only: shared by the process's threads)."""
    id: int
    spec_json: str
    forms: dict


def version_content(version_id: int, checksum: str, published_at: datetime) -> VersionContent:
    """The content of a version; keyed by its checksum and publication time too, so that a reused id
    (a test database emptied and filled again) never serves another version's content."""
    return _cached(version_id, checksum, published_at)


@lru_cache(maxsize=128)
def _cached(version_id: int, _checksum: str, _published_at: datetime) -> VersionContent:
    version = db.session.get(DefinitionVersion, version_id)
    return VersionContent(id=version.id, spec_json=version.spec_json, forms=dict(version.forms or {}))
