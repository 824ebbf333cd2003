"""JSON API under /api/v1."""


def init_app(app):
    pass
