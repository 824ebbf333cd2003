"""The structures a task's partner fields (`x-source: "partenaires"`) may take, suggestions first."""
from functools import cache
from types import SimpleNamespace

from .referrals import latest_referral, person_view, tried_partners
from .suggestions import partner_choices, partner_ids, partner_structures, suggest_partners
from .tasks import task_data


def structure_label(structure) -> str:
    """How a structure is named in a choice: its name and commune (else its département)."""
    return f"{structure.name} ({structure.commune or structure.departement})"


def partner_options(actor, task, suggest: bool = True, data: dict | None = None) -> dict:
    """{"suggestions": [Suggestion], "choices": [(id, label, group)]} for the task's partner fields.

    Suggestions are ranked with what the actor may see of the person: a receiving structure ranks
    with the fields shared with it only. Structures this journey already tried are not suggested
    (they stay choosable). A receiving structure can only redirect: the structure in charge of the
    journey is then no choice, as the journey refuses to send the person back to it.
    `suggest=False` skips the ranking (a task already done). `data`: the task's engine data when the
    caller already restored the journey (else it is read once, only if needed).
    """
    journey_data = cache(lambda: task_data(task) if data is None else data)
    excluded = _excluded(actor, task)
    cep_only = for_cep(task, journey_data)
    structures = partner_structures(actor)  # read once, for the choices and the suggestions
    choices = [choice for choice in partner_choices(actor, cep_only, structures) if choice[0] not in excluded]
    if not suggest:
        return {"suggestions": [], "choices": choices}
    view = person_view(actor, task.person)
    if view.full:
        person, seen = task.person, journey_data()
    else:
        person = SimpleNamespace(public=view.get("public"), commune_code=view.get("commune_code"))
        seen = {"thematiques": view.get("thematiques")}
    suggestions = suggest_partners(actor, person, seen, exclude=tried_partners(task.journey_id) | excluded,
                                   cep_only=cep_only, structures=structures)
    return {"suggestions": suggestions, "choices": choices}


def allowed_partner_ids(actor, task, data: dict | None = None) -> set[int]:
    """The ids `partner_options` would offer as choices, without reading the structures' details:
    what a submitted choice is checked against."""
    journey_data = cache(lambda: task_data(task) if data is None else data)
    return partner_ids(actor, for_cep(task, journey_data)) - _excluded(actor, task)


def _excluded(actor, task) -> set[int]:
    """A receiving structure cannot send the person back to the structure in charge of the journey."""
    return {task.journey.structure_id} if task.journey.structure_id != actor.structure_id else set()


def for_cep(task, journey_data) -> bool:
    """A referral to a CEP operator: the reception answered « CEP » (its earlier attempts say so
    once the partner's answer has replaced that word in the journey's data)."""
    latest = latest_referral(task.journey_id)
    return latest.purpose == "cep" if latest is not None else journey_data().get("reponse") == "cep"
