"""Numbers read from addresses, query strings and forms: ASCII digits only, bounded to what the
id columns store (PostgreSQL `integer`, 32 bits), so that no odd number reaches a query and turns into a 500."""
import re

from flask import Request, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import BaseConverter, ValidationError

from .errors import DomainError

MAX_ID = 2**31 - 1  # ids are `integer` columns on PostgreSQL
ID_DIGITS = len(str(MAX_ID))
MAX_PAGE = 1_000_000  # far beyond any list, and (page - 1) * per_page stays a small integer
_ID = re.compile(rf"[0-9]{{1,{ID_DIGITS}}}")


class InvalidPage(DomainError):
    """A page number that is not a positive whole number of reasonable size."""
    status = 400


class IdConverter(BaseConverter):
    """`<int:…>` in the app's routes: ASCII digits up to MAX_ID, else the address matches nothing (404).
    Werkzeug's own accepts any Unicode digit ("١٢٣", "１２３") and numbers no id column holds."""
    regex = rf"[0-9]{{1,{ID_DIGITS}}}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        if int(value) > MAX_ID:
            raise ValidationError()
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def record_id(text: str) -> int:
    """An id typed in a form or query string (`type=record_id`): ValueError unless ASCII digits up to
    MAX_ID, so that `request.form.get(name, type=record_id)` gives its default for anything else."""
    if not isinstance(text, str) or not _ID.fullmatch(text.strip()) or int(text) > MAX_ID:
        raise ValueError("not an id")
    return int(text)


def page_number(text: str) -> int:
    """A page number from a query string (`type=page_number`): 1 to MAX_PAGE in ASCII digits, else 400."""
    if isinstance(text, str) and _ID.fullmatch(text.strip()) and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    raise InvalidPage(f"Numéro de page invalide : indiquez un nombre entier entre 1 et {MAX_PAGE:,}."
                      .replace(",", "\u202f"))


class BoundedParameters(ImmutableMultiDict):
    """Query strings and forms where `get(name, type=int)` reads an id (`record_id`): any other text,
    "１２３" or a number no column holds, gives the default like any non-number."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, record_id if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedParameters


def check_page_argument():
    """Before every screen: a `page` in the query string is a page number, else 400 in French (the API
    checks its own with its query schemas, naming each faulty parameter)."""
    if request.args.get("page") and request.blueprint != "api":
        page_number(request.args["page"])


def init_app(app):
    """Make `<int:…>` in every route the bounded converter (before any route is registered), bound the
    numbers read from query strings and forms, and check every `page` argument."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = BoundedRequest
    app.before_request(check_page_argument)
