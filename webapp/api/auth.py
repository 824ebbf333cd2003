"""Bearer-token authentication (the only way into the API) and the token endpoint."""
from flask import current_app, g, request

from ..extensions import db, limiter
from ..operations import audit, sign_in
from ..operations.users import authenticate, issue_token, revoke_token, user_for_token
from .blueprint import bp, public
from .errors import Unauthorized, error_response, write_transaction
from .openapi import doc
from .schemas import TokenRequest, TokenSchema, load_body


def current_actor():
    """The user the bearer token belongs to."""
    return g.api_user


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_public", False):
        return
    token = _bearer()
    if not token:
        raise Unauthorized("Authentification requise : envoyez un jeton dans l'en-tête "
                           "« Authorization: Bearer … ».")
    user = user_for_token(token)
    if user is None:
        raise Unauthorized("Jeton invalide ou expiré : demandez-en un nouveau.")
    g.api_user = user


@bp.post("/auth/token")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@public
@doc("Obtenir un jeton d'accès", tag="Authentification", body=TokenRequest, response=TokenSchema,
     errors=(400, (401, "Identifiant ou mot de passe incorrect."), 429))
def token():
    """Échange un identifiant et un mot de passe contre un jeton porteur à durée limitée."""
    body = load_body(TokenRequest())  # the same per-account throttle as the login screen
    wait = sign_in.wait_seconds(body["username"], request.remote_addr)
    user = None if wait else authenticate(body["username"], body["password"])
    if user is None:
        if not wait:
            wait = sign_in.record_failure(body["username"], request.remote_addr)
            db.session.commit()
        if wait:
            return error_response(429, sign_in.wait_message(wait), headers=[("Retry-After", str(wait))])
        raise Unauthorized("Identifiant ou mot de passe incorrect.")
    sign_in.record_success(body["username"])
    with write_transaction():
        value, row = issue_token(user, current_app.config["API_TOKEN_HOURS"])
        audit.record(user, "token.issued", "Jeton d'accès à l'API délivré", kind="auth", detail={"token_id": row.id})
    return TokenSchema().dump({"token": value, "expires_at": row.expires_at})


@bp.delete("/auth/token")
@doc("Révoquer son jeton d'accès", tag="Authentification", status=204, errors=(401,))
def revoke():
    """Met fin au jeton porteur présenté avant son expiration (par exemple à la fin d'un traitement)."""
    with write_transaction():
        row = revoke_token(_bearer())
        audit.record(g.api_user, "token.revoked", "Jeton d'accès à l'API révoqué", kind="auth",
                     detail={"token_id": row.id if row else None})
    return "", 204
