"""Server-rendered screens, in French."""
from . import auth, errors, journeys, people, security, tasks


def init_app(app):
    security.init_app(app)
    errors.init_app(app)
    for module in (auth, tasks, journeys, people):
        app.register_blueprint(module.bp)
