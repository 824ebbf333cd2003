"""The engine facade: the only package of the application that imports SpiffWorkflow."""
from .definitions import CompiledProcess, compile_files
from .engine import Instance, UserTaskInfo
from .errors import DefinitionError, EngineError, Problem, TaskNotReady

__all__ = ["CompiledProcess", "DefinitionError", "EngineError", "Instance", "Problem",
           "TaskNotReady", "UserTaskInfo", "compile_files"]
