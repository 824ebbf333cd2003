"""Every path of the CEP journey (processes/cep.bpmn) through the engine facade, with a
save/restore round trip after every step and a fake for the `cep.*` service operations (no
database): the results are those documented in webapp.operations.cep_services."""
import itertools

import pytest

from test_processes import KNOWN_FORMS, round_trip, specs  # noqa: F401 (pytest fixture)
from webapp.operations.cep_services import SERVICES
from webapp.operations.journey_opening import START_DATA
from webapp.workflow import Instance

FAR = "2999-01-05T09:00:00+00:00"
PAST = "2001-01-01T09:00:00+00:00"
LABELS = {"cpf": "CPF (compte personnel de formation du titulaire)",
          "transitions_pro": "Transitions Pro — projet de transition professionnelle (PTP)",
          "abondement_region": "Région Centre-Val de Loire",
          "personne": "Participation de la personne"}
FORMS = {"accueil_individualise": "cep_niveau1.schema.json",
         "accompagnement_personnalise": "cep_niveau2.schema.json",
         "valider_projet": "cep_validation.schema.json",
         "attestation_demission": "cep_attestation_demission.schema.json",
         "plan_financement": "cep_plan_financement.schema.json",
         "preparer_demande": "cep_demande_depot.schema.json",
         "decision_financeur": "cep_decision_financeur.schema.json",
         "confirmer_entree": "cep_entree_formation.schema.json"}
STATUS = {"accorde": "accordee", "partiel": "partielle", "refuse": "refusee"}


class FakeCepServices:
    """The results documented by webapp.operations.cep_services, with no database; records the
    operations called. `depot` is the deadline to deposit each new request (from
    `enregistrer_plan`), `relance` the funder's decision deadline sent back by `deposer`; `entree`
    the training start date sent back by `bilan` when the plan is funded."""

    def __init__(self, relance=FAR, entree=FAR, depot=FAR):
        self.relance, self.entree, self.depot = relance, entree, depot
        self.calls = []
        self.next_id = 0
        self.decisions = []  # the statuses decided on the current plan

    def __call__(self, name, params, data):
        assert name in SERVICES, name  # the diagram only names whitelisted operations
        operation = name.split(".", 1)[1]
        self.calls.append(operation)
        if operation == "valider":
            return data["decision_projet"]
        if operation == "enregistrer_plan":
            self.decisions = []
            new = []
            for code, amount in data["financements"].items():
                if code != "personne":  # the person's own share needs no request
                    self.next_id += 1
                    new.append({"id": self.next_id, "financeur": code, "libelle": LABELS[code],
                                "montant": amount, "relance": self.depot})
            return new
        if operation == "deposer":
            return {"relance": self.relance}
        if operation == "enregistrer_decision":
            self.decisions.append(STATUS[data["decision_financeur"]])
            return self.decisions[-1]
        if operation == "bilan":
            if all(status == "accordee" for status in self.decisions):
                return {"issue": "finance", "entree": self.entree}
            return {"issue": "a_reviser", "entree": None}
        return True


# -- the steps' data ----------------------------------------------------------------------------

def level1(suite, demission=False):
    data = {"date_entretien": "2026-03-02", "situation_professionnelle": "salarie_prive",
            "situation": "Assistante commerciale depuis 12 ans.", "demande": "Se reconvertir dans le soin.",
            "informations_donnees": ["droits_cpf", "ptp"], "demission_reconversion": demission, "suite": suite}
    if suite == "arret":
        data["motif_arret"] = "Raisons personnelles."
    return data


def level2(suite):
    return {"date_seance": "2026-03-09", "metier_cible": "J1501", "formation_visee": "DE aide-soignant",
            "organisme_formation": "IFAS de Tours", "certification": "RNCP35830", "suite": suite}


def validation(decision):
    return {"date_validation": "2026-03-20", "criteres": ["coherence_profil", "debouches", "formation_adaptee"],
            "decision_projet": decision, "motifs": "Projet examiné."}


ATTESTATION = {"demarches_realisees": "Enquêtes métier.", "connaissance_metier": "Stage de 2 semaines.",
               "formation_visee": "DE aide-soignant", "organisme_formation": "IFAS de Tours",
               "programme_formation": "Modules 1 à 10.", "calendrier_formation": "Septembre à juin.",
               "cout_formation": "8400.00", "perspectives_emploi": "Fortes.", "avis": "reel_serieux",
               "lieu_attestation": "Tours", "date_attestation": "2026-03-21"}


def plan(financements, decision="soumettre"):
    data = {"formation_visee": "DE aide-soignant", "date_debut": "2026-09-01", "date_fin": "2027-06-30",
            "cout_pedagogique": "8000.00", "frais_annexes": "400.00", "solde_cpf": "3200.00",
            "financements": financements, "decision_plan": decision}
    if decision == "arret":
        data["motif_arret"] = "Plus disponible."
    return data


BOTH = {"cpf": "3200.00", "transitions_pro": "5200.00"}
PREPARE = {"pieces": ["devis", "programme"], "date_depot": "2026-04-01", "reference_dossier": "D-1"}
GRANTED = {"decision_financeur": "accorde", "date_decision": "2026-05-01"}
PARTIAL = {"decision_financeur": "partiel", "montant_accorde": "3000.00", "date_decision": "2026-05-01"}
ENTERED = {"entree": "confirmee", "date_entree": "2026-09-01"}
STOPPED = {"entree": "arret", "motif_arret": "A trouvé un emploi."}


# -- driving the instance -----------------------------------------------------------------------

class Drive:
    """A CEP instance driven step by step, with a dump/restore round trip after each one."""

    def __init__(self, specs, services=None, demission=None):
        self.spec = specs["cep"]
        self.services = services or FakeCepServices()
        start = {**START_DATA["cep"], "demission_reconversion": demission}
        self.instance = self._round_trip(Instance.start(self.spec, start, services=self.services))

    def _round_trip(self, instance):
        assert not instance.stalled()
        return round_trip(self.spec, instance, self.services)

    def ready(self):
        tasks = self.instance.ready_user_tasks()
        for task in tasks:
            assert task.role == "conseiller_cep" and task.form == FORMS[task.bpmn_id] in KNOWN_FORMS
        return tasks

    def do(self, bpmn_id, data, detail=None):
        """Complete the one ready task with that id (and that funder label, if given)."""
        [task] = [t for t in self.ready() if t.bpmn_id == bpmn_id and (detail is None or t.detail == detail)]
        self.instance.complete(task.uuid, data)
        self.instance = self._round_trip(self.instance)
        return task

    def requests(self, bpmn_id, order, data_for):
        """Complete the parallel funding tasks at that step, in the order of their funder codes."""
        shown = {t.detail: t for t in self.ready() if t.bpmn_id == bpmn_id}
        assert set(shown) == {LABELS[code] for code in order}
        for code in order:
            self.do(bpmn_id, data_for(code), detail=LABELS[code])

    def fund(self, financements, order, decision_for=lambda code: GRANTED):
        self.do("plan_financement", plan(financements))
        self.requests("preparer_demande", order, lambda code: PREPARE)
        self.requests("decision_financeur", list(reversed(order)), decision_for)

    def ended(self, end_event):
        assert self.instance.ready_user_tasks() == []
        assert self.instance.completed and self.instance.end_event() == end_event
        assert not self.instance.stalled() and self.instance.next_timer_at() is None


def to_validation(drive, demission=False):
    drive.do("accueil_individualise", level1("validation", demission))
    drive.do("valider_projet", validation("valide"))


def funded_calls(requests: int) -> list:
    return ["enregistrer_plan", *["deposer"] * requests, *["enregistrer_decision"] * requests, "bilan"]


# -- the paths ----------------------------------------------------------------------------------

@pytest.mark.parametrize("suite, end_event, calls", [("fin", "fin_information", []),
                                                      ("arret", "fin_arret", ["arreter"])])
def test_level_one_ends_the_journey(specs, suite, end_event, calls):
    """Does a level-1 answer « réponse apportée » or « arrêt » end the journey at once?"""
    drive = Drive(specs)
    assert [(t.bpmn_id, t.title) for t in drive.ready()] == [("accueil_individualise", "Accueil individualisé (niveau 1)")]
    drive.do("accueil_individualise", level1(suite))
    drive.ended(end_event)
    assert drive.services.calls == calls


@pytest.mark.parametrize("order", list(itertools.permutations(["cpf", "transitions_pro"])))
def test_validation_without_level_two_then_funded_and_entered(specs, order):
    """A mature project goes straight to validation, then the plan's two requests run in parallel
    (done in either order, each titled with its funder), both granted: training start, entry."""
    drive = Drive(specs)
    to_validation(drive)
    assert [t.bpmn_id for t in drive.ready()] == ["plan_financement"]
    drive.do("plan_financement", plan(BOTH))
    tasks = drive.ready()
    assert sorted((t.bpmn_id, t.title, t.detail) for t in tasks) == sorted(
        ("preparer_demande", "Préparer et déposer la demande", LABELS[code]) for code in order)
    drive.do("preparer_demande", PREPARE, detail=LABELS[order[0]])
    assert sorted(t.bpmn_id for t in drive.ready()) == ["decision_financeur", "preparer_demande"]
    drive.do("decision_financeur", GRANTED, detail=LABELS[order[0]])
    assert [(t.bpmn_id, t.detail) for t in drive.ready()] == [("preparer_demande", LABELS[order[1]])]
    drive.do("preparer_demande", PREPARE, detail=LABELS[order[1]])
    drive.do("decision_financeur", GRANTED, detail=LABELS[order[1]])
    assert [t.bpmn_id for t in drive.ready()] == ["confirmer_entree"]
    assert drive.instance.next_timer_at().isoformat() == FAR.replace("+00:00", "")
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")
    assert drive.services.calls == ["valider", "enregistrer_plan", "deposer", "enregistrer_decision",
                                    "deposer", "enregistrer_decision", "bilan", "entree"]


def test_level_two_sessions_and_a_project_to_rework(specs):
    """Three level-2 sessions (one loop task each), a validation « à retravailler » that brings a
    fourth session, then the project validated: the plan comes next."""
    drive = Drive(specs)
    drive.do("accueil_individualise", level1("accompagnement"))
    for n, suite in enumerate(["poursuivre", "poursuivre", "validation"]):
        [task] = drive.ready()
        assert (task.bpmn_id, task.iteration) == ("accompagnement_personnalise", n)
        drive.do("accompagnement_personnalise", level2(suite))
    drive.do("valider_projet", validation("a_retravailler"))
    assert [t.bpmn_id for t in drive.ready()] == ["accompagnement_personnalise"]
    drive.do("accompagnement_personnalise", level2("validation"))
    drive.do("valider_projet", validation("valide"))
    assert [t.bpmn_id for t in drive.ready()] == ["plan_financement"]
    assert drive.services.calls == ["valider", "valider"]


def test_a_project_not_validated_ends_the_journey(specs):
    drive = Drive(specs)
    drive.do("accueil_individualise", level1("accompagnement"))
    drive.do("accompagnement_personnalise", level2("validation"))
    drive.do("valider_projet", validation("non_valide"))
    drive.ended("fin_non_valide")
    assert drive.services.calls == ["valider"]


def test_resignation_for_retraining_asks_for_the_attestation_before_the_plan(specs):
    """When level 1 says démission-reconversion, the attestation comes before the plan."""
    drive = Drive(specs)
    to_validation(drive, demission=True)
    assert [t.bpmn_id for t in drive.ready()] == ["attestation_demission"]
    drive.do("attestation_demission", ATTESTATION)
    assert [t.bpmn_id for t in drive.ready()] == ["plan_financement"]
    drive.fund(BOTH, ["cpf", "transitions_pro"])
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")


def test_a_partial_grant_brings_a_revised_plan(specs):
    """A partial grant makes the plan one to revise: a second plan (the loop's next iteration)
    asks the missing amount, it is granted, the person enters training."""
    drive = Drive(specs)
    to_validation(drive)
    drive.fund(BOTH, ["transitions_pro", "cpf"], lambda code: PARTIAL if code == "transitions_pro" else GRANTED)
    [task] = drive.ready()
    assert task.bpmn_id == "plan_financement"
    drive.fund({"transitions_pro": "3000.00", "abondement_region": "2200.00", "cpf": "3200.00"},
               ["abondement_region", "cpf", "transitions_pro"])
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")
    assert drive.services.calls == ["valider", *funded_calls(2), *funded_calls(3), "entree"]


def test_a_plan_paid_by_the_person_alone_sends_no_request(specs):
    """With only the person's share, no request is prepared: straight to the training start."""
    drive = Drive(specs)
    to_validation(drive)
    drive.do("plan_financement", plan({"personne": "8400.00"}))
    assert [t.bpmn_id for t in drive.ready()] == ["confirmer_entree"]
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")
    assert drive.services.calls == ["valider", "enregistrer_plan", "bilan", "entree"]


def test_stopping_at_the_plan(specs):
    drive = Drive(specs)
    to_validation(drive)
    drive.do("plan_financement", plan(BOTH, decision="arret"))
    drive.ended("fin_arret")
    assert drive.services.calls == ["valider", "arreter"]


def test_stopping_at_the_training_start(specs):
    drive = Drive(specs)
    to_validation(drive)
    drive.fund(BOTH, ["cpf", "transitions_pro"])
    drive.do("confirmer_entree", STOPPED)
    drive.ended("fin_arret")
    assert drive.services.calls == ["valider", *funded_calls(2), "arreter"]


def test_a_funder_without_decision_is_reminded_once(specs):
    """Past the decision deadline, the reminder is signalled once and the decision stays to record."""
    drive = Drive(specs, FakeCepServices(relance=PAST))
    to_validation(drive)
    drive.do("plan_financement", plan({"transitions_pro": "8400.00"}))
    drive.do("preparer_demande", PREPARE)
    for _ in range(2):
        drive.instance.fire_timers()
        drive.instance = drive._round_trip(drive.instance)
    assert drive.services.calls.count("relancer_demande") == 1
    assert drive.services.calls[-1] == "relancer_demande"
    assert [(t.bpmn_id, t.detail) for t in drive.ready()] == [("decision_financeur", LABELS["transitions_pro"])]
    drive.do("decision_financeur", GRANTED)
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")


def test_a_request_not_deposited_in_time_is_reminded_once(specs):
    """Past the deposit deadline, the reminder is signalled once and the preparation stays to do."""
    drive = Drive(specs, FakeCepServices(depot=PAST))
    to_validation(drive)
    drive.do("plan_financement", plan({"transitions_pro": "8400.00"}))
    for _ in range(2):
        drive.instance.fire_timers()
        drive.instance = drive._round_trip(drive.instance)
    assert drive.services.calls.count("relancer_depot") == 1
    assert [(t.bpmn_id, t.detail) for t in drive.ready()] == [("preparer_demande", LABELS["transitions_pro"])]
    drive.do("preparer_demande", PREPARE)
    drive.do("decision_financeur", GRANTED)
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")


def test_the_training_start_is_reminded_once(specs):
    """Once the training start date has passed, the reminder to confirm the entry goes out once and
    the confirmation stays to do."""
    drive = Drive(specs, FakeCepServices(entree=PAST))
    to_validation(drive)
    drive.fund(BOTH, ["cpf", "transitions_pro"])
    for _ in range(2):
        drive.instance.fire_timers()
        drive.instance = drive._round_trip(drive.instance)
    assert drive.services.calls.count("rappeler_entree") == 1
    assert [t.bpmn_id for t in drive.ready()] == ["confirmer_entree"]
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")


def test_fifty_revisions_keep_the_state_flat(specs):
    """50 revised plans (each partly granted) then a funded one: the journey still ends at the
    training entry, never stalls, and its stored state stays the size of the first revision's but
    for the digits of its revision counters?"""
    drive = Drive(specs)
    to_validation(drive)
    sizes = {}
    for n in range(1, 51):
        [task] = drive.ready()
        assert task.bpmn_id == "plan_financement"
        drive.fund({"transitions_pro": "8400.00"}, ["transitions_pro"], lambda code: PARTIAL)
        sizes[n] = len(drive.instance.dump())
    print(f"\nCEP state after 1, 10, 50 revisions: {sizes[1]}, {sizes[10]}, {sizes[50]} characters")
    drive.fund({"transitions_pro": "8400.00"}, ["transitions_pro"])
    drive.do("confirmer_entree", ENTERED)
    drive.ended("fin_entree_formation")
    assert drive.services.calls.count("enregistrer_plan") == 51
    assert sizes[50] - sizes[1] <= 12, f"the state grows with the revisions: {sizes}"
