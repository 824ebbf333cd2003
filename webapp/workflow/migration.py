"""Moving a waiting instance onto a newer version of its process, when what it reached did not change.

The comparison is SpiffWorkflow's SpecDiff (task specs aligned by BPMN id, then by position; an
aligned spec is changed when any of its serialized attributes differs, its flows included). An
instance can move when none of the tasks it completed or waits at (its own or its sub-processes')
is changed or removed: the same test as Spiff's WorkflowDiff, restricted to reached tasks, because
the steps still to come are predicted again from the new version.

The move itself does not use Spiff's `migrate_workflow`: that resets every READY and WAITING task
(`reset_branch`), which empties its data and internal data (a loop iteration's number, a waiting
timer's deadline) and gives it its parent's data again. Here the reached tasks keep their ids,
data and deadlines; only their spec objects are swapped for the new version's (identical) ones, and
the predicted branches are dropped and predicted again from the new specs.
"""
import json
from dataclasses import dataclass
from functools import lru_cache

from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.util.task import TaskState

from .engine import _SERIALIZER, Instance, _load_specs

REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
WAITING_AT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
TOP = None  # the key of the top process in a VersionDiff (sub-processes go by their spec name)


@dataclass(frozen=True)
class Obstacle:
    """A reached step that stops an instance from moving: its name, whether it is still waiting
    there, and « modifiée » or « supprimée »."""
    name: str
    waiting: bool
    change: str
    person_step: bool = False  # a user task, the step people know by its name
    on_diagram: bool = True  # False for the engine's own joins and splits, named after their step


class VersionDiff:
    """What changed between the specs of two versions of one process, sub-processes included."""

    def __init__(self, old_json: str, new_json: str):
        old_spec, old_subs = _load_specs(old_json)
        new_spec, new_subs = _load_specs(new_json)
        self.new_json, self.new_spec, self.new_subs = new_json, new_spec, new_subs
        registry = _SERIALIZER.registry
        diffs = {TOP: SpecDiff(registry, old_spec, new_spec)}
        diffs.update({name: SpecDiff(registry, spec, new_subs[name]) if name in new_subs else None
                      for name, spec in old_subs.items()})
        self.old_specs = {TOP: old_spec, **old_subs}
        # {process: {old task spec name: new task spec}} and {process: {old task spec name: change}}
        self.alignment, self.blocked = {}, {}
        for process, diff in diffs.items():
            if diff is None:
                continue
            self.alignment[process] = {old.name: new for old, new in diff.alignment.items() if new is not None}
            blocked = {spec.name: "modifiée" for spec in diff.changed}
            blocked.update({spec.name: "supprimée" for spec in diff.removed})
            self.blocked[process] = blocked

    def obstacle(self, process, spec_name: str, state: int) -> Obstacle | None:
        """Why a task of `process` in `state` stops the move, or None."""
        if not state & REACHED:
            return None
        if process not in self.alignment:  # the whole sub-process is gone from the new version
            change = "supprimée"
        elif spec_name in self.blocked[process]:
            change = self.blocked[process][spec_name]
        elif spec_name not in self.alignment[process]:  # a spec the comparison could not place
            change = "supprimée"
        else:
            return None
        spec = self.old_specs.get(process)
        task_spec = spec.task_specs.get(spec_name) if spec is not None else None
        return Obstacle(name=_step_name(spec, task_spec, spec_name), waiting=bool(state & WAITING_AT),
                        change=change, person_step=bool(getattr(task_spec, "manual", False)),
                        on_diagram=getattr(task_spec, "bpmn_id", None) is not None)

    def _first(self, found: list[Obstacle]) -> Obstacle | None:
        """The obstacle to name: where the instance waits before what it passed, a person's step first."""
        return min(found, key=lambda o: (not o.waiting, not o.person_step, not o.on_diagram), default=None)

    def obstacle_in_state(self, state: str) -> Obstacle | None:
        """The first obstacle of a stored state, read from its JSON alone (nothing restored)."""
        dct = json.loads(state)
        found = [o for o in (self.obstacle(TOP, t["task_spec"], t["state"]) for t in dct["tasks"].values()) if o]
        for sub in dct.get("subprocesses", {}).values():
            found += [o for o in (self.obstacle(sub["spec"], t["task_spec"], t["state"])
                                  for t in sub["tasks"].values()) if o]
        return self._first(found)

    def obstacle_in(self, instance: Instance) -> Obstacle | None:
        """The first obstacle of a restored instance (the check made again under the journey's lock)."""
        wf = instance._wf
        found = [o for o in (self.obstacle(TOP, t.task_spec.name, t.state) for t in wf.tasks.values()) if o]
        for sub in wf.subprocesses.values():
            found += [o for o in (self.obstacle(sub.spec.name, t.task_spec.name, t.state)
                                  for t in sub.tasks.values()) if o]
        return self._first(found)

    def migrate(self, instance: Instance, services=None) -> Instance:
        """The instance on the new version; call only when `obstacle_in(instance)` is None."""
        wf = instance._wf
        wf.spec, wf.subprocess_specs = self.new_spec, dict(self.new_subs)
        _realign(wf, self.alignment[TOP])
        for sub in wf.subprocesses.values():
            name = sub.spec.name
            sub.spec = self.new_subs[name]
            _realign(sub, self.alignment[name])
        return Instance(wf, self.new_json, services)


def _step_name(process_spec, task_spec, spec_name: str) -> str:
    """A step's name as the diagram shows it; the engine's own specs (a boundary event's split or
    join, a process's start and end joins) go by their step's or their process's name."""
    if getattr(task_spec, "bpmn_id", None):
        return task_spec.bpmn_name or task_spec.bpmn_id
    owner = process_spec.task_specs.get(spec_name.split(".")[0]) if process_spec is not None else None
    if getattr(owner, "bpmn_id", None):
        return owner.bpmn_name or owner.bpmn_id
    if process_spec is not None:
        return process_spec.description or process_spec.name
    return spec_name


def _realign(workflow, alignment: dict) -> None:
    """Swap each task's spec for the new version's, then predict again what is still to come."""
    for task in workflow.tasks.values():
        new = alignment.get(task.task_spec.name)
        if new is not None:
            task.task_spec = new
    frontier = [task for task in workflow.tasks.values() if task.state & PREDICTED
                and (task.parent is None or not task.parent.state & PREDICTED)]
    for task in frontier:
        if task.id not in workflow.tasks:
            continue
        task._drop_children(force=True)
        task.task_spec._predict(task, mask=PREDICTED)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


@lru_cache(maxsize=8)
def version_diff(old_json: str, new_json: str) -> VersionDiff:
    """The (cached) comparison of two versions' specs; versions are immutable."""
    return VersionDiff(old_json, new_json)
