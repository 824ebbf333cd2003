"""The request's JSON body read strictly: no NaN or Infinity, no float beyond range, a bounded depth."""
import json
import math

from flask import request

from ..nesting import nesting_depth
from .errors import InvalidRequest

MAX_JSON_DEPTH = 32  # forms nest objects and lists a few levels at most
NOT_JSON = "Le corps de la requête doit être un objet JSON."
TOO_DEEP = f"Le corps JSON est trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus)."


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("non-finite number")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body():
    """The request's JSON: strict JSON only (no NaN, Infinity, numbers beyond a float), nested at most
    MAX_JSON_DEPTH levels; None when the body is not JSON."""
    if not request.is_json:
        return None
    try:
        payload = json.loads(request.get_data(cache=True), parse_float=_finite, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise InvalidRequest(TOO_DEEP) from exc
    except ValueError:
        return None
    if nesting_depth(payload, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InvalidRequest(TOO_DEEP)
    return payload
