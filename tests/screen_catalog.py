"""Every screen of the app, with the data that fills it: shared by the browser pass
(test_browser.py) and the screen-text checks (test_accessibility.py)."""
from cep_steps import decide, level1, open_cep, plan, submit_all, validate_project
from followup_steps import questionnaire_token
from conftest import get_user
from sqlalchemy import select
from test_orientation import RECEIVER, SENDER, open_tasks, send, start_referral, structure, welcome

from webapp import clock, demo_documentation, demo_support_programme
from webapp.extensions import db
from webapp.models import Territory
from webapp.operations.journeys import start_journey
from webapp.operations.workers import beat


def stage_screens(app) -> dict:
    """A person referred from the Mission Locale to the CIO, and one more reception waiting."""
    with app.app_context():
        journey = start_referral()
        send(journey)
        answer_task = open_tasks(journey, "cio-orleans")[0]
        waiting = start_journey(get_user(SENDER), "accueil")
        db.session.commit()
        choosing = start_referral(person=welcome(prenom="Inès", nom="Dupuis"))  # waits at the partner choice
        bassin = db.session.scalar(select(Territory).where(Territory.kind == "bassin").order_by(Territory.code))
        cep = open_cep()  # a CEP at the APEC de Tours: a partial grant, the revised plan to build
        level1(cep, suite="validation")
        validate_project(cep)
        plan(cep, {"cpf": "3200", "transitions_pro": "5200"})
        submit_all(cep)
        decide(cep, "CPF", "accorde")
        decide(cep, "Transitions", "partiel", "4000")
        session = open_cep()  # another one at its first session
        level1(session)
        beat("serveur-worker:4242", clock.now())  # a live worker for « Exploitation »
        documentation = demo_documentation.scene_ids()  # the library's demo resources, one overdue
        programme = demo_support_programme.scene_ids()  # the support programme's events
        scene_extra = {"followup": questionnaire_token()}  # a follow-up questionnaire sent
        return scene_extra | {"cep_person": cep.person_id, "cep_plan": open_tasks(cep)[0].id,
                "cep_session": open_tasks(session)[0].id,"person": journey.person_id, "answer_task": answer_task.id, "receiver": RECEIVER,
                "welcome_task": open_tasks(waiting)[0].id, "structure": structure("cio-orleans").id,
                "choice_task": open_tasks(choosing)[0].id, "other_person": waiting.person_id,
                "bassin": bassin.code, "documentation_fresh": documentation["fresh"],
                "documentation_late": documentation["late"], **programme}


# Screens drawn by JavaScript after the page loads: what shows they are ready (for the browser pass).
READY = {"studio-editeur": "#editeur[data-ready]", "studio-carte": "#carte .djs-container svg",
         "studio-comparer": ".djs-container svg", "studio-formulaire": "#fe-apercu .field",
         "studio-table": "#te-table .tjs-table"}


def screens(scene) -> list[tuple[str | None, str, str]]:
    """(user, name, path) of every screen; user None = signed out."""
    person, structure = scene["person"], scene["structure"]
    return [
        (None, "connexion", "/login"),
        (None, "trouver", "/trouver?commune=Orl%C3%A9ans&public=scolaire&besoin=choisir-un-metier"),
        (None, "trouver-recontact", f"/trouver/{structure}/recontact?commune=Orl%C3%A9ans"),
        (None, "trouver-envoyee", f"/trouver/{structure}/envoyee"),
        (None, "suivi-questionnaire", f"/suivi/{scene['followup']}"),
        (None, "suivi-refus", f"/suivi/{scene['followup']}/refus"),
        (None, "suivi-merci", "/suivi/merci"),
        ("claire.martin", "accueil", "/"),
        ("claire.martin", "mes-taches", "/taches?scope=mine"),
        ("claire.martin", "file", "/taches?scope=queue"),
        ("claire.martin", "tache-accueil", f"/taches/{scene['welcome_task']}"),
        ("claire.martin", "dossier", f"/personnes/{person}"),
        ("claire.martin", "personnes", "/personnes"),
        ("claire.martin", "personnes-recherche", "/personnes?q=Durand"),
        ("claire.martin", "nouvel-accueil", "/accueil/nouveau?prenom=L%C3%A9a&nom=Durand"),
        ("claire.martin", "fusion", f"/personnes/{person}/fusionner"),
        ("claire.martin", "fusion-comparaison", f"/personnes/{person}/fusionner?autre_id={scene['other_person']}"),
        ("claire.martin", "choix-partenaire", f"/taches/{scene['choice_task']}"),
        ("claire.martin", "orientations-envoyees", "/orientations/envoyees"),
        ("claire.martin", "annuaire", "/annuaire"),
        ("claire.martin", "annuaire-fiche", f"/annuaire/{structure}"),
        ("claire.martin", "territoires", "/territoires"),
        ("claire.martin", "bassin", f"/territoires/bassins/{scene['bassin']}"),
        ("claire.martin", "erreur-404", "/taches/999999"),
        ("claire.martin", "erreur-403", "/coordination"),
        ("isabelle.roux", "tache-orientation", f"/taches/{scene['answer_task']}"),
        ("isabelle.roux", "orientations-recues", "/orientations/recues"),
        ("isabelle.roux", "messages", "/messages"),
        ("isabelle.roux", "dossier-partage", f"/personnes/{person}"),
        ("olivier.lambert", "coordination", "/coordination"),
        ("olivier.lambert", "orientations-territoire", "/orientations/territoire"),
        ("olivier.lambert", "indicateurs-territoire", "/indicateurs?periode=douze_mois"),
        ("julien.mercier", "indicateurs", "/indicateurs"),
        ("julien.mercier", "table-decision", "/pilotage/decisions/orientation_partenaire"),
        ("julien.mercier", "studio", "/pilotage/"),
        ("julien.mercier", "studio-parcours", "/pilotage/parcours/accueil"),
        ("julien.mercier", "studio-editeur", "/pilotage/parcours/orientation/editeur"),
        ("julien.mercier", "studio-carte", "/pilotage/parcours/accueil/carte"),
        ("julien.mercier", "studio-comparer", "/pilotage/parcours/accueil/comparer"),
        ("julien.mercier", "studio-formulaires", "/pilotage/parcours/accueil/formulaires"),
        ("julien.mercier", "studio-formulaire", "/pilotage/parcours/accueil/formulaires/accueil_analyse.schema.json"),
        ("julien.mercier", "studio-table", "/pilotage/tables/orientation_partenaire/editeur"),
        ("nathalie.bernard", "annuaire-nouvelle", "/annuaire/nouvelle"),
        ("nathalie.bernard", "annuaire-modifier", f"/annuaire/{structure}/modifier"),
        ("nathalie.bernard", "annuaire-import", "/annuaire/importer"),
        ("nathalie.bernard", "bassin-admin", f"/territoires/bassins/{scene['bassin']}"),
        ("nathalie.bernard", "journal-acces", "/administration/journal"),
        ("nathalie.bernard", "exploitation", "/administration/exploitation"),
        ("nathalie.bernard", "identite", "/administration/identite"),
        ("claire.martin", "a-anonymiser", "/personnes/a-anonymiser"),
        ("claire.martin", "donnees-personne", f"/personnes/{person}/donnees"),
        ("nathalie.bernard", "financeurs", "/cep/financeurs"),
        ("nathalie.bernard", "financeur-nouveau", "/cep/financeurs/nouveau"),
        ("sophie.marchand", "cep-parcours", "/cep/"),
        ("sophie.marchand", "cep-financements", "/cep/financements"),
        ("sophie.marchand", "cep-seance", f"/taches/{scene['cep_session']}"),
        ("sophie.marchand", "cep-plan-revise", f"/taches/{scene['cep_plan']}"),
        ("sophie.marchand", "cep-dossier", f"/personnes/{scene['cep_person']}"),
        ("claire.martin", "programme", "/programme"),
        ("claire.martin", "programme-passes", "/programme?vue=passes"),
        ("claire.martin", "programme-evenement", f"/programme/{scene['programme_upcoming']}"),
        ("nadia.haddad", "programme-liste-attente", f"/programme/{scene['programme_full']}"),
        ("nathalie.bernard", "programme-nouveau", "/programme/nouveau"),
        ("nathalie.bernard", "programme-inscrits", f"/programme/{scene['programme_full']}"),
        ("nathalie.bernard", "programme-modifier", f"/programme/{scene['programme_upcoming']}/modifier"),
        ("nathalie.bernard", "programme-presences", f"/programme/{scene['programme_past']}/presences"),
        ("olivier.lambert", "programme-participation", "/programme/participation"),
        ("isabelle.roux", "documentation", "/documentation"),
        ("isabelle.roux", "documentation-recherche", "/documentation?q=formation&public=salarie"),
        ("isabelle.roux", "documentation-fiche", f"/documentation/{scene['documentation_fresh']}"),
        ("olivier.lambert", "documentation-a-reviser", "/documentation"),
        ("olivier.lambert", "documentation-fiche-a-reviser", f"/documentation/{scene['documentation_late']}"),
        ("olivier.lambert", "documentation-nouvelle", "/documentation/nouvelle"),
        ("olivier.lambert", "documentation-modifier", f"/documentation/{scene['documentation_late']}/modifier"),
    ]
