"""Errors raised by the engine facade, with French messages for the people who see them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a definition, located by file and BPMN element id."""
    message: str
    element_id: str | None = None
    file_name: str | None = None
    unfinished: bool = False  # work left to do in the editor (a draft may keep it), not a reason to refuse

    def __str__(self):
        where = f"[{self.element_id}] " if self.element_id else ""
        prefix = f"{self.file_name}: " if self.file_name else ""
        return f"{prefix}{where}{self.message}"


class DefinitionError(Exception):
    """A BPMN/DMN definition was refused; `problems` says why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class EngineError(Exception):
    """The engine could not run a step (refused data, task not ready, broken expression)."""


class TaskNotReady(EngineError):
    """The task is not waiting for a person any more."""
