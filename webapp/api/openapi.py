"""The OpenAPI 3 document, generated from the API's routes and their marshmallow schemas."""
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from .blueprint import bp, public
from .errors import HTTP_MESSAGES
from .schemas import ErrorSchema, TaskSchema

_META = "api_doc"
_PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
ERROR_DESCRIPTIONS = {
    **HTTP_MESSAGES,
    401: "Jeton absent, invalide ou expiré.",
    404: "Introuvable, ou hors de votre structure.",
    409: "Conflit : déjà traitée, prise par quelqu'un d'autre, ou modifiée en même temps.",
    422: "Données du formulaire invalides : message par champ dans « errors ».",
}


def doc(summary: str, *, tag: str, body=None, query=None, response=None, status: int = 200,
        errors=()):
    """Describe a view for the OpenAPI document (schemas are marshmallow classes; `errors` holds
    status codes or (code, description) pairs)."""
    def decorate(view):
        setattr(view, _META, {"summary": summary, "tag": tag, "body": body, "query": query,
                              "response": response, "status": status, "errors": errors})
        return view
    return decorate


def _json(schema) -> dict:
    return {"application/json": {"schema": schema if schema is not None else {"type": "object"}}}


def _operation(endpoint: str, view, meta: dict, path_params: list) -> dict:
    operation = {
        "operationId": endpoint.split(".", 1)[1], "summary": meta["summary"], "tags": [meta["tag"]],
        "description": inspect.getdoc(view) or "",
        "parameters": [{"in": "path", "name": name, "required": True,
                        "schema": {"type": "integer" if conv == "int" else "string"}}
                       for conv, name in path_params],
        "responses": {str(meta["status"]): {"description": "Succès", "content": _json(meta["response"])}},
    }
    if meta["query"] is not None:
        operation["parameters"].append({"in": "query", "schema": meta["query"]})
    if meta["body"] is not None:
        operation["requestBody"] = {"required": True, "content": _json(meta["body"])}
    errors = dict(e if isinstance(e, tuple) else (e, ERROR_DESCRIPTIONS[e]) for e in meta["errors"])
    if getattr(view, "api_public", False):
        operation["security"] = []
    else:
        errors.setdefault(401, ERROR_DESCRIPTIONS[401])
    for code in sorted(errors):
        operation["responses"][str(code)] = {"description": errors[code], "content": _json("Error")}
    return operation


def build_spec(app) -> dict:
    """Walk the blueprint's routes and describe each documented one."""
    spec = APISpec(title="SPRO — API des parcours", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], security=[{"bearer": []}],
                   info={"description": "Tâches, parcours et dossiers du SPRO. Authentification par "
                                        "jeton porteur obtenu sur /api/v1/auth/token."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Task", schema=TaskSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, _META, None)
        if not rule.endpoint.startswith(bp.name + ".") or meta is None:
            continue
        path_params = _PARAM.findall(rule.rule)
        operations = {method.lower(): _operation(rule.endpoint, view, meta, path_params)
                      for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}
        spec.path(path=_PARAM.sub(r"{\2}", rule.rule), operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
@public
@doc("Document OpenAPI de l'API", tag="Documentation")
def openapi_document():
    """Ce document : chemins, schémas des requêtes et des réponses, codes d'erreur."""
    cache = current_app.extensions.setdefault("spro_api", {})
    if "openapi" not in cache:
        cache["openapi"] = build_spec(current_app)
    return cache["openapi"]
