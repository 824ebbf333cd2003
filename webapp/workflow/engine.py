"""Running workflow instances: start, restore, list ready user tasks, complete, fire timers, dump."""
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from . import clock as _clock  # noqa: F401  (timers follow the application's clock)
from .bounds import StepBudget, check_instance_count
from .errors import EngineError, TaskNotReady
from .expressions import SafeScriptEngine
from .loops import forget_finished_passes, is_last_pass, passes_counted, passes_listed

FORM_PROPERTY = "formJsonSchemaFilename"
DUE_PROPERTY = "dueInWorkingDays"
STRUCTURE_PROPERTY = "structureFromData"  # expression over task data giving the owning structure id
TITLE_PROPERTY = "titleFromData"  # expression over task data completing the task's title


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """A workflow's state without its specs, restored onto the cached spec objects.

    Specs live in definition versions: turning them into dicts on every dump (to drop them)
    and rebuilding them from dicts on every restore was most of the cost of both."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:  # a full serialization, specs included
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_STATE_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(
    {**SPIFF_CONFIG, BpmnWorkflow: _StateOnlyWorkflowConverter}))
_ENGINE = SafeScriptEngine()


def dump_specs(spec, subprocess_specs) -> str:
    """Serialize a process spec and the specs it calls, for storage in a definition version."""
    registry = _SERIALIZER.registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
    })


@lru_cache(maxsize=64)
def _load_specs(spec_json: str):
    """Restore (and cache) the spec objects of a definition version; specs are immutable."""
    raw = json.loads(spec_json)
    registry = _SERIALIZER.registry
    spec = registry.restore(raw["spec"])
    subs = {name: registry.restore(s) for name, s in raw["subprocess_specs"].items()}
    _bound_multi_instances(spec, subs)
    return spec, subs


def _bound_multi_instances(spec, subs):
    """Make each multi-instance activity count its instances before creating them (bounds.py)."""
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, MultiInstanceTask) and "_update_hook" not in vars(task_spec):
                task_spec._update_hook = _counting_hook(task_spec, task_spec._update_hook)


def _counting_hook(spec, create_instances):
    def hook(my_task):
        inner = my_task.workflow.spec.task_specs.get(spec.task_spec)
        check_instance_count(spec, _instance_count(spec, my_task), getattr(inner, "bpmn_name", None))
        return create_instances(my_task)
    return hook


def _instance_count(spec, my_task):
    """How many instances the activity is about to create; None when the engine will refuse it anyway.

    Read before the task inherits its data (that happens inside the hook): from its parent's."""
    source = my_task.parent or my_task
    try:
        if spec.data_input is not None:
            collection = spec.data_input.get(source)
            return len(collection) if hasattr(collection, "__len__") else None
        cardinality = my_task.workflow.script_engine.evaluate(source, spec.cardinality)
        return cardinality if isinstance(cardinality, int) else None
    except EngineError:
        raise
    except Exception:
        return None


@dataclass(frozen=True)
class UserTaskInfo:
    """What the application needs to know about a user task waiting for a person."""
    uuid: str
    bpmn_id: str
    title: str
    role: str
    form: str | None
    due_in_working_days: int | None
    iteration: int | None
    structure_ref: object = None  # value of the data key named by structureFromData, if any
    detail: str | None = None  # what titleFromData gives (e.g. the funder of a funding request)
    last_pass: bool = False  # the last pass its loop allows (loopMaximum): the journey moves on after it


def _evaluate_quietly(expression: str, data: dict):
    """A task property's expression over the task data; None when it cannot be evaluated."""
    try:
        return _ENGINE.environment.evaluate(expression, data)
    except Exception:
        return None


def _check_data(data: dict):
    bad = [k for k in data if not isinstance(k, str) or k.startswith("_")]
    if bad:
        raise EngineError(f"Noms de données interdits : {', '.join(map(str, bad))}.")


class Instance:
    """One workflow instance; the only object the application uses to drive the engine."""

    def __init__(self, workflow: BpmnWorkflow, spec_json: str, services=None):
        self._wf = workflow
        self._spec_json = spec_json
        # services(operation_name, params, data) -> JSON-able result, for service tasks
        workflow.spro_services = services

    @classmethod
    def start(cls, spec_json: str, data: dict | None = None, services=None) -> "Instance":
        spec, subs = _load_specs(spec_json)
        wf = BpmnWorkflow(spec, subs, script_engine=_ENGINE)
        if data:
            _check_data(data)
            wf.data.update(data)
            for task in wf.tasks.values():
                if task.state & (TaskState.READY | TaskState.COMPLETED):
                    task.data.update(data)
        instance = cls(wf, spec_json, services)
        instance._advance()
        return instance

    @classmethod
    def restore(cls, spec_json: str, state: str, services=None) -> "Instance":
        spec, subs = _load_specs(spec_json)
        dct = json.loads(state)
        if dct.get(_SERIALIZER.VERSION_KEY) == _SERIALIZER.VERSION:
            dct.pop(_SERIALIZER.VERSION_KEY)
            wf = _STATE_SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subs)
        else:  # an older format: migrate it the library's way, specs included
            dct["spec"] = _SERIALIZER.registry.convert(spec)
            dct["subprocess_specs"] = {n: _SERIALIZER.registry.convert(s) for n, s in subs.items()}
            _SERIALIZER.migrate(dct)
            wf = _SERIALIZER.from_dict(dct)
            _bound_multi_instances(wf.spec, wf.subprocess_specs)
        wf.script_engine = _ENGINE
        passes_listed(wf)
        return cls(wf, spec_json, services)

    def dump(self) -> str:
        """Serialize the instance state without its spec (specs live in definition versions)."""
        with passes_counted(self._wf):
            return _STATE_SERIALIZER.serialize_json(self._wf)

    # -- reading -------------------------------------------------------------------
    def _all_tasks(self):
        """Every task of the instance and its subprocesses (no depth-limited iterator)."""
        yield from self._wf.tasks.values()
        for sub in self._wf.subprocesses.values():
            yield from sub.tasks.values()

    def ready_user_tasks(self) -> list[UserTaskInfo]:
        found = []
        for task in self._all_tasks():
            if task.state != TaskState.READY or not task.task_spec.manual:
                continue
            spec = task.task_spec
            props = (getattr(spec, "extensions", None) or {}).get("properties", {})
            due = props.get(DUE_PROPERTY)
            structure_key, title_key = props.get(STRUCTURE_PROPERTY), props.get(TITLE_PROPERTY)
            detail = _evaluate_quietly(title_key, task.data) if title_key else None
            found.append(UserTaskInfo(
                uuid=str(task.id), bpmn_id=spec.bpmn_id, title=spec.bpmn_name or spec.bpmn_id,
                role=spec.lane or "conseiller", form=props.get(FORM_PROPERTY),
                due_in_working_days=int(due) if due and str(due).isdigit() else None,
                iteration=task.internal_data.get("iteration"),
                structure_ref=_evaluate_quietly(structure_key, task.data) if structure_key else None,
                detail=str(detail)[:120] if detail not in (None, "") else None,
                last_pass=is_last_pass(task),
            ))
        return found

    @property
    def data(self) -> dict:
        return dict(self._wf.data)

    def task_data(self, task_uuid: str) -> dict:
        return dict(self._get(task_uuid).data)

    @property
    def completed(self) -> bool:
        return self._wf.completed

    def _end_spec(self):
        for task in self._wf.tasks.values():
            if isinstance(task.task_spec, EndEvent) and task.state == TaskState.COMPLETED:
                return task.task_spec
        return None

    def end_event(self) -> str | None:
        """The BPMN id of the top process's end event that was reached, if any."""
        spec = self._end_spec()
        return spec.bpmn_id if spec else None

    def end_event_label(self) -> str | None:
        """The name of that end event, as the diagram shows it."""
        spec = self._end_spec()
        return (spec.bpmn_name or spec.bpmn_id) if spec else None

    def stalled(self) -> bool:
        """True when nothing can move any more but no end event was reached: an incident."""
        if self._wf.completed:
            return self.end_event() is None
        # A READY engine task left after the engine ran is one it will never run (depth limit).
        return not any(t.state & (TaskState.WAITING | TaskState.STARTED)
                       or (t.state == TaskState.READY and t.task_spec.manual) for t in self._all_tasks())

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer is due (naive UTC), if any, subprocesses included."""
        due = []
        for task in self._all_tasks():
            definition = getattr(task.task_spec, "event_definition", None)
            if task.state != TaskState.WAITING or not isinstance(definition, TimerEventDefinition):
                continue
            value = task._get_internal_data("event_value")
            if isinstance(value, dict):  # a cycle: its next occurrence, while occurrences remain
                value = value.get("next") if value.get("cycles") != 0 else None
            if not isinstance(value, str):
                continue
            try:
                when = TimerEventDefinition.get_datetime(value)
            except ValueError:
                continue
            due.append(when.astimezone(timezone.utc).replace(tzinfo=None))
        return min(due) if due else None

    # -- acting --------------------------------------------------------------------
    def _get(self, task_uuid: str):
        try:
            task = self._wf.get_task_from_id(UUID(task_uuid))
        except Exception:
            task = None
        if task is None:
            raise TaskNotReady("Cette tâche n'existe pas dans ce parcours.")
        return task

    def complete(self, task_uuid: str, data: dict) -> None:
        """Complete a READY user task with the submitted data, then run the engine on."""
        _check_data(data)
        task = self._get(task_uuid)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady("Cette tâche n'attend plus de réponse.")
        task.data.update(data)
        try:
            task.run()
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"Le moteur a refusé l'étape : {exc}") from exc
        self._advance()

    def signal_task(self, task_uuid: str, signal_name: str, values: dict) -> None:
        """Interrupt a waiting user task through its signal boundary event, handing `values` to the
        branch that follows (e.g. a coordinator's reassignment)."""
        _check_data(values)
        task = self._get(task_uuid)
        boundary = [t for t in task.parent.children if t is not task and t.state == TaskState.WAITING
                    and isinstance(getattr(t.task_spec, "event_definition", None), SignalEventDefinition)
                    and t.task_spec.event_definition.name == signal_name]
        if task.state != TaskState.READY or not boundary:
            raise TaskNotReady("Cette étape ne peut plus être interrompue.")
        self._wf.catch(BpmnEvent(boundary[0].task_spec.event_definition))
        # The caught boundary event inherited the interrupted task's data when it became ready:
        # the values go in after that, so that a value an earlier attempt left under the same
        # name (a partner's redirection target, an earlier reason) cannot override them.
        for caught in boundary:
            caught.data.update(values)
        self._advance()
        if task.state == TaskState.READY:
            raise EngineError("Le signal n'a pas interrompu l'étape.")

    def fire_timers(self) -> None:
        self._wf.refresh_timers()
        self._advance()

    def _advance(self):
        """Run the engine until only people or timers can move the journey, within the step budget.

        Past the budget (or past the instances a multi-instance may create) JourneyBoundExceeded
        is raised: the caller keeps nothing of this advance (an incident, or a refused step)."""
        budget = StepBudget()
        try:
            self._wf.do_engine_steps(will_complete_task=budget.spend)
            self._wf.refresh_timers()
            self._wf.do_engine_steps(will_complete_task=budget.spend)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"Le moteur n'a pas pu avancer : {exc}") from exc
        self._prune()

    def _prune(self):
        """Forget the finished passes of loops: the stored state stays flat (loops.py)."""
        forget_finished_passes(self._wf)
