"""Server-rendered screens."""


def init_app(app):
    pass
