"""The built files of the front-end packages the studio's editors load (bpmn-js, dmn-js), served
by the app itself from the npm install: no CDN, works offline. Only their `dist/` folders are
reachable."""
import posixpath

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
PACKAGES = ("bpmn-js", "dmn-js")
ONE_DAY = 24 * 3600


@bp.get("/<package>/<path:filename>")
def asset(package, filename):
    filename = posixpath.normpath(filename)
    if package not in PACKAGES or not filename.startswith("dist/"):
        abort(404)
    folder = f"{current_app.config['VENDOR_DIR']}/{package}"
    return send_from_directory(folder, filename, max_age=ONE_DAY)
