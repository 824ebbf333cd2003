"""Server-rendered screens, in French."""
from . import audit as audit_trail
from . import documentation, followups, health, indicators, operations_status, public, rights, support_programme
from . import identity as regional_identity
from . import (auth, cep, cep_documents, coordination, decisions, directory, errors, home, journeys, messages, people, referrals,
               security, studio, studio_diagram, studio_editor, studio_forms, studio_migrations, tasks, territories,
               vendor)


def init_app(app):
    security.init_app(app)
    errors.init_app(app)
    for module in (auth, home, tasks, journeys, people, referrals, messages, directory, coordination,
                   territories, decisions, cep, cep_documents, studio, studio_editor, studio_migrations, studio_diagram,
                   studio_forms, vendor):
        app.register_blueprint(module.bp)
    app.register_blueprint(audit_trail.bp)  # also writes the audit entries kept for the end of each request
    app.register_blueprint(rights.bp)  # the person's rights: access export, soon anonymised
    app.register_blueprint(health.bp)  # /health for load balancers and monitoring
    app.register_blueprint(operations_status.bp)  # « Exploitation »: the worker's lag, regional admin
    app.register_blueprint(followups.bp)  # « Suivi de satisfaction »: /suivi/<token>, signed out
    app.register_blueprint(regional_identity.bp)  # « Identité régionale »: name, logo, colours; `identity` in templates
    app.register_blueprint(support_programme.bp)  # « Programme de professionnalisation »
    app.register_blueprint(public.bp)  # « Trouver une structure »: the public page, no sign-in
    app.register_blueprint(indicators.bp)  # « Indicateurs »: shared figures, pilote and coordinateur
    app.register_blueprint(documentation.bp)  # « Documentation »: the library of resources
