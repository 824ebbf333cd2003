"""Keeping a journey's stored state flat however many passes its loops make.

What a finished step recorded lives in the task rows (`HumanTask.data`); the engine only needs the
pass it is on. So after each advance, a standard loop forgets its finished passes except the last
one (kept so that a journey migration still sees which step it passed), and the inside of finished
passes of looped or multi-instance sub-processes is dropped (their data was merged into the loop
when they ended). The engine counts a loop's passes by the length of a list of their ids: the ids
are replaced by 0: three characters per pass, at most 1 500 at the loop ceiling (500 passes)."""
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, StandardLoopTask
from SpiffWorkflow.util.task import TaskState


def forget_finished_passes(top) -> None:
    """Drop what the finished passes of `top`'s loops (its sub-processes' included) left in the state."""
    _drop_finished_subprocesses(top)
    for workflow in (top, *top.subprocesses.values()):
        for task in [t for t in workflow.tasks.values() if isinstance(t.task_spec, StandardLoopTask)]:
            _drop_finished_iterations(top, workflow, task)


def _drop_finished_subprocesses(top) -> None:
    """The sub-process of a finished pass of a loop or multi-instance activity, and its data."""
    for owner_id, sub in list(top.subprocesses.items()):
        if owner_id not in top.subprocesses or not sub.completed:
            continue  # deleted with the pass holding it, or still running
        owner = top.get_task_from_id(owner_id)
        if owner is None or owner.state != TaskState.COMPLETED or owner.parent is None \
                or not isinstance(owner.parent.task_spec, LoopTask):
            continue
        top.delete_subprocess(owner)
        owner.data = {}


def _drop_finished_iterations(top, workflow, loop) -> None:
    """Remove the loop's finished passes but the last, and count its passes with zeros."""
    passes = [child for child in loop.children if child.task_spec.name == loop.task_spec.task_spec]
    finished = [child for child in passes if child.has_state(TaskState.FINISHED_MASK)]
    for child in finished[:-1]:
        if child.id in top.subprocesses:
            top.delete_subprocess(child)
        workflow._remove_task(child.id)
        if workflow.last_task is child:
            workflow.last_task = loop
    merged = loop.internal_data.get("merged")
    if merged and any(entry != 0 for entry in merged):
        loop.internal_data["merged"] = [0] * len(merged)


def is_last_pass(task) -> bool:
    """Whether `task` is the last pass its standard loop allows (its loopMaximum)."""
    loop = task.parent
    if loop is None or not isinstance(loop.task_spec, StandardLoopTask) or not loop.task_spec.maximum:
        return False
    iteration = task.internal_data.get("iteration")
    return isinstance(iteration, int) and iteration + 1 >= loop.task_spec.maximum
