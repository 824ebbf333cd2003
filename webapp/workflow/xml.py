"""Hardened parsing of uploaded BPMN/DMN XML: no DTD, no entities, no network, bounded size."""
from lxml import etree

from .errors import DefinitionError, Problem

MAX_XML_BYTES = 1_000_000


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )


def parse_xml(content: bytes | str, file_name: str | None = None, max_bytes: int = MAX_XML_BYTES):
    """Parse XML text safely and return the root element, or raise DefinitionError."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > max_bytes:
        raise DefinitionError([Problem(
            f"Fichier trop volumineux ({len(content)} octets, maximum {max_bytes}).", file_name=file_name)])
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise DefinitionError([Problem(
            "Déclaration DOCTYPE ou ENTITY refusée : un fichier BPMN n'en contient jamais.",
            file_name=file_name)])
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise DefinitionError([Problem(f"XML mal formé : {exc.msg} (ligne {exc.lineno}).",
                                       file_name=file_name)]) from None
    if root.getroottree().docinfo.doctype:
        raise DefinitionError([Problem("Déclaration DOCTYPE refusée.", file_name=file_name)])
    return root
