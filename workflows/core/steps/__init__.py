"""Built-in node types. Importing this package registers them in ``step_types``."""

from . import approval, condition, end, http, loop, map, notify, signal, subworkflow, switch, task, transform, wait  # noqa: F401  (registration)
from .base import (
    CheckContext,
    Outcome,
    StepContext,
    StepType,
    StepTypeRegistry,
    register,
    step_types,
)

__all__ = ["CheckContext", "Outcome", "StepContext", "StepType", "StepTypeRegistry", "register", "step_types"]
