"""Keeping a journey's stored state flat however many passes its loops make.

What a finished step recorded lives in the task rows (`HumanTask.data`); the engine only needs the
pass it is on. So after each advance, a standard loop forgets its finished passes except the last
one (kept so that a journey migration still sees which step it passed), and the inside of finished
passes of looped or multi-instance sub-processes is dropped (their data was merged into the loop
when they ended). The engine counts a loop's passes by the length of a list of their ids: the
stored state keeps that count as a number, and the list is rebuilt on restore."""
from contextlib import contextmanager

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, StandardLoopTask
from SpiffWorkflow.util.task import TaskState

MERGED = "merged"  # the engine's list of a standard loop's finished passes (only its length is read)


def _loops(top):
    for workflow in (top, *top.subprocesses.values()):
        yield from (t for t in workflow.tasks.values() if isinstance(t.task_spec, StandardLoopTask))


@contextmanager
def passes_counted(top):
    """While dumping: each standard loop's list of finished passes as its length."""
    lists = {}
    for loop in _loops(top):
        merged = loop.internal_data.get(MERGED)
        if isinstance(merged, list):
            lists[loop] = merged
            loop.internal_data[MERGED] = len(merged)
    try:
        yield
    finally:
        for loop, merged in lists.items():
            loop.internal_data[MERGED] = merged


def passes_listed(top) -> None:
    """After restoring: each stored count of finished passes as the list the engine reads."""
    for loop in _loops(top):
        count = loop.internal_data.get(MERGED)
        if isinstance(count, int):
            loop.internal_data[MERGED] = [0] * count


def forget_finished_passes(top) -> None:
    """Drop what the finished passes of `top`'s loops (its sub-processes' included) left in the state."""
    _drop_finished_subprocesses(top)
    for loop in list(_loops(top)):
        _drop_finished_iterations(top, loop.workflow, loop)


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
    """Remove the loop's finished passes but the last."""
    passes = [child for child in loop.children if child.task_spec.name == loop.task_spec.task_spec]
    finished = [child for child in passes if child.has_state(TaskState.FINISHED_MASK)]
    for child in finished[:-1]:
        if child.id in top.subprocesses:
            top.delete_subprocess(child)
        workflow._remove_task(child.id)
        if workflow.last_task is child:
            workflow.last_task = loop


def is_last_pass(task) -> bool:
    """Whether `task` is the last pass its standard loop allows (its loopMaximum)."""
    loop = task.parent
    if loop is None or not isinstance(loop.task_spec, StandardLoopTask) or not loop.task_spec.maximum:
        return False
    iteration = task.internal_data.get("iteration")
    return isinstance(iteration, int) and iteration + 1 >= loop.task_spec.maximum
