"""Bearer-token authentication (the only way into the API) and the token endpoint."""
from flask import current_app, g, request

from ..extensions import limiter
from ..operations import audit
from ..operations.users import authenticate, issue_token, user_for_token
from .blueprint import bp, public
from .errors import Unauthorized, write_transaction
from .openapi import doc
from .schemas import TokenRequest, TokenSchema, load_body


def current_actor():
    """The user the bearer token belongs to."""
    return g.api_user


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_public", False):
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authentification requise : envoyez un jeton dans l'en-tête "
                           "« Authorization: Bearer … ».")
    user = user_for_token(token.strip())
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
    from ..operations import sign_in  # the same per-account throttle as the login screen
    from ..extensions import db
    from .errors import error_response
    body = load_body(TokenRequest())
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
