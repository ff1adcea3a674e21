"""Workflow templates, instances and the durable engine that runs them."""

from workflows.core.errors import NonRetryableError, StepError
from workflows.core.handlers import handler

__all__ = ["handler", "StepError", "NonRetryableError"]
