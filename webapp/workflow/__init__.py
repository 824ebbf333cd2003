"""The engine facade: the only package of the application that imports SpiffWorkflow."""
from .decisions import decide, decision_key
from .bounds import JourneyBoundExceeded
from .definitions import CompiledProcess, compile_files
from .engine import Instance, UserTaskInfo
from .errors import DefinitionError, EngineError, Problem, TaskNotReady
from .migration import Obstacle, VersionDiff, version_diff

__all__ = ["CompiledProcess", "DefinitionError", "EngineError", "Instance", "JourneyBoundExceeded", "Obstacle", "Problem",
           "TaskNotReady", "UserTaskInfo", "VersionDiff", "compile_files", "decide", "decision_key", "set_clock",
           "version_diff"]


def set_clock(provider) -> None:
    """Make the engine's timers read `provider()` (naive UTC) instead of the system clock."""
    from .clock import set_provider
    set_provider(provider)
