"""What a completion needs of a published definition version (its specs and forms), read once per
process: versions are immutable, so a journey step does not read hundreds of kilobytes of specs,
diagram and forms from the database every time."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select

from ..extensions import db
from ..models import DefinitionVersion
from .definitions import is_current


@dataclass(frozen=True)
class VersionContent:
    """A published version's engine specs, forms and XML (read-only: shared by the process's threads)."""
    id: int
    spec_json: str
    forms: dict
    xml: str  # the BPMN or DMN document (a decision table is evaluated from it)
    name: str = ""  # as people read it (« Parcours « Accueil » démarré »)


def version_content(version_id: int, checksum: str, published_at: datetime) -> VersionContent:
    """The content of a version; keyed by its checksum and publication time too, so that a reused id
    (a test database emptied and filled again) never serves another version's content."""
    return _cached(version_id, checksum, published_at)


@lru_cache(maxsize=128)
def _cached(version_id: int, _checksum: str, _published_at: datetime) -> VersionContent:
    version = db.session.get(DefinitionVersion, version_id)
    return VersionContent(id=version.id, spec_json=version.spec_json, forms=dict(version.forms or {}),
                          xml=version.bpmn_xml, name=version.name)


_KEY = (DefinitionVersion.id, DefinitionVersion.checksum, DefinitionVersion.published_at)


def content_of(version_id: int) -> VersionContent:
    """A version's content: one light statement (its key) per session, the rest from the cache."""
    keys = db.session.info.setdefault("version_keys", {})
    if version_id not in keys:
        keys[version_id] = tuple(db.session.execute(select(*_KEY).where(DefinitionVersion.id == version_id)).one())
    return version_content(*keys[version_id])


def current_content(process_key: str, kind: str = "bpmn") -> VersionContent | None:
    """The content of the version new journeys (or suggestions) use, if any: as `content_of`."""
    row = db.session.execute(select(*_KEY).where(is_current(process_key, kind))).first()
    return version_content(*row) if row is not None else None


def task_form(task) -> dict | None:
    """A task's form ({schema, ui}) as the version it waits on (or was done on) defines it."""
    return content_of(task.definition_version_id).forms.get(task.form_key or "")
