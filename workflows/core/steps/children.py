"""What the node types that start child workflows share: choosing the child's template (a literal
name, or a ``{{ expression }}`` picking one name from an allow-list: "a child workflow by data
type"), the config fields that say so, and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphError
from ..expressions import ExpressionError, render

NAME_PATTERN = "^[-a-zA-Z0-9_]+$"

CHILD_PROPERTIES: dict[str, Any] = {
    "workflow": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "title": "Workflow",
        "description": "the child template's name, or a {{ expression }} choosing one of the allowed names",
        "x-widget": "template",
    },
    "allowed_workflows": {
        "type": "array",
        "title": "Allowed workflows",
        "description": "the names a {{ expression }} in Workflow may choose",
        "items": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100, "x-widget": "template"},
        "uniqueItems": True,
        "maxItems": 50,
    },
    "version": {
        "type": "integer",
        "minimum": 1,
        "title": "Version",
        "description": "pin a published version; empty: the latest published",
        "x-widget": "template-version",
    },
}


def is_dynamic(name: Any) -> bool:
    return isinstance(name, str) and "{{" in name


def check_child(node_id: str, config: Mapping[str, Any], ctx, *, field: str = "workflow") -> list[GraphError]:
    """A literal name must be a known template other than this one (the one being validated,
    published or not); a dynamic one needs its allow-list, whose names must be known."""
    name = config.get(field)
    if not isinstance(name, str):
        return []
    errors: list[GraphError] = []
    known = ctx.template_names
    allowed = config.get("allowed_workflows")
    if is_dynamic(name):
        if not allowed:
            errors.append(GraphError("invalid_config", "an expression in Workflow needs Allowed workflows: the names it may choose", node_id, "config.allowed_workflows"))
        names = [n for n in allowed or () if isinstance(n, str)]
        where = "config.allowed_workflows"
    else:
        names, where = [name], f"config.{field}"
    for each in names:
        if ctx.template_name is not None and each == ctx.template_name:
            errors.append(GraphError("recursive_workflow", f"{each!r} would start itself: a workflow cannot run itself as its own child", node_id, where))
        elif known is not None and each not in known:
            sample = ", ".join(sorted(known)[:15]) + (", …" if len(known) > 15 else "") if known else "none"
            errors.append(GraphError("unknown_template", f"no published template named {each!r} (published: {sample})", node_id, where))
    return errors


def choose(config: Mapping[str, Any], scope: Mapping[str, Any]) -> str:
    """The child template's name, checked against the allow-list when it was computed."""
    name = config["workflow"]
    if not is_dynamic(name):
        return name
    chosen = render(name, scope)
    allowed = config.get("allowed_workflows") or []
    if not isinstance(chosen, str) or chosen not in allowed:
        raise ExpressionError(f"config.workflow chose {chosen!r}, which is not one of the allowed workflows ({', '.join(allowed) or 'none'})")
    return chosen


def envelope(config: Mapping[str, Any], scope: Mapping[str, Any], child_input: Any) -> dict[str, Any]:
    """A child step's input: which workflow it starts, which version, with what."""
    return {"workflow": choose(config, scope), "version": config.get("version"), "input": child_input}


def child_failure_message(data: Mapping[str, Any]) -> tuple[str, str]:
    error = data.get("error") or {}
    status = data.get("status", "failed")
    kind = str(error.get("type") or "ChildFailed")
    text = str(error.get("message") or f"the child workflow ended {status}")
    return kind, f"child workflow {str(data.get('child', ''))[:8]} ended {status}: {text}"
