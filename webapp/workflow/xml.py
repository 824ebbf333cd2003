"""Hardened parsing of uploaded BPMN/DMN XML: no DTD, no entities, no network, bounded size."""
from lxml import etree

from .errors import DefinitionError, Problem

MAX_XML_BYTES = 1_000_000


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )


# What to fix, by the start of the parser's (English) message; never shown as such.
_ADVICE = (
    (("Opening and ending tag mismatch", "EndTag", "Premature end of data", "expected '>'"),
     "une balise n'est pas refermée ou l'est mal : vérifiez que chaque balise ouverte a sa balise de fin."),
    (("xmlParseEntityRef", "EntityRef", "Entity '"),
     "un caractère & est écrit seul : écrivez &amp; dans les textes."),
    (("Start tag expected", "Document is empty", "Extra content at the end"),
     "le fichier ne contient pas un document XML complet : enregistrez-le de nouveau depuis l'éditeur."),
    (("AttValue", "attributes construct error", "Couldn't find end of Start Tag", "Specification mandates value"),
     "un attribut est mal écrit : vérifiez les guillemets autour de ses valeurs."),
    (("Unescaped '<'", "StartTag: invalid element name"),
     "un caractère < est écrit seul dans un texte : écrivez &lt;."),
)


def _advice(message: str) -> str:
    for starts, advice in _ADVICE:
        if any(start in message for start in starts):
            return advice
    return "vérifiez sa syntaxe, ou enregistrez-le de nouveau depuis un éditeur BPMN ou DMN."


def parse_xml(content: bytes | str, file_name: str | None = None, max_bytes: int = MAX_XML_BYTES):
    """Parse XML text safely and return the root element, or raise DefinitionError."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > max_bytes:
        raise DefinitionError([Problem(
            f"Fichier trop volumineux ({len(content) // 1000} ko, maximum {max_bytes // 1000} ko) : "
            "allégez-le (documentation, commentaires) avant de le déposer.", file_name=file_name)])
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise DefinitionError([Problem(
            "Déclaration DOCTYPE ou ENTITY refusée : un fichier BPMN ou DMN n'en contient jamais ; "
            "retirez-la du début du fichier.",
            file_name=file_name)])
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise DefinitionError([Problem(
            f"XML mal formé : le fichier n'est pas un XML valide (ligne {exc.lineno}) : {_advice(exc.msg or '')}",
            file_name=file_name)]) from None
    if root.getroottree().docinfo.doctype:
        raise DefinitionError([Problem("Déclaration DOCTYPE refusée : retirez-la du début du fichier.",
                                       file_name=file_name)])
    return root
