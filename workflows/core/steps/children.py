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
    published or not); a dynamic one needs its allow-list, whose names must be known. A pinned
    ``version`` must be published by the template it starts (see ``check_pin``)."""
    name = config.get(field)
    if not isinstance(name, str):
        return []
    errors: list[GraphError] = []
    known = ctx.template_names
    allowed = config.get("allowed_workflows")
    dynamic = is_dynamic(name)
    if dynamic:
        if not allowed:
            errors.append(GraphError("invalid_config", "an expression in Workflow needs Allowed workflows: the names it may choose", node_id, "config.allowed_workflows"))
        names = [n for n in allowed or () if isinstance(n, str)]
        where = "config.allowed_workflows"
    else:
        names, where = [name], f"config.{field}"
    startable = []
    for each in names:
        if ctx.template_name is not None and each == ctx.template_name:
            errors.append(GraphError("recursive_workflow", f"{each!r} would start itself: a workflow cannot run itself as its own child", node_id, where))
        elif known is not None and each not in known:
            sample = ", ".join(sorted(known)[:15]) + (", …" if len(known) > 15 else "") if known else "none"
            errors.append(GraphError("unknown_template", f"no published template named {each!r} (published: {sample})", node_id, where))
        else:
            startable.append(each)
    return errors + check_pin(node_id, config, ctx, startable, dynamic=dynamic)


def check_pin(node_id: str, config: Mapping[str, Any], ctx, names: list[str], *, dynamic: bool) -> list[GraphError]:
    """A pinned ``version`` that a template it may start has not published, on ``config.version``.

    A literal Workflow starts that one template: its published versions must include the pin. An
    expression chooses among Allowed workflows when the step runs, and the one pin applies to
    whichever it chooses (the engine starts ``version`` of the chosen name, or fails the step), so
    *every* allowed name must have it published: one that lacks it is refused by name, though
    others have it. Passing because some name has the pin would let publish accept a workflow
    that fails once the data happens to choose another: exactly the failure at run time that
    validation is there to move to design time. (Version numbers belong to one template, so a pin
    beside an expression is rarely what is meant; the error says so and leaves the choice to drop
    the pin or the name.)

    Names already refused (unknown, or this template itself) are not checked again, nor a pin its
    schema refuses (not a whole number of at least 1); without the published versions
    (``ctx.template_versions`` None) nothing is checked, as for names."""
    pin = config.get("version")
    published = ctx.template_versions
    if published is None or type(pin) is not int or pin < 1:
        return []
    errors = []
    for name in dict.fromkeys(names):
        numbers = published.get(name)
        if numbers is None or pin in numbers:
            continue  # a name the checks above did not know (no names given): nothing to compare
        have = _numbers(numbers)
        if dynamic:
            message = f"allowed workflow {name!r} has no published version {pin} (published: {have}); the pinned Version applies to whichever one is chosen"
        else:
            message = f"template {name!r} has no published version {pin} (published: {have})"
        errors.append(GraphError("unknown_version", message, node_id, "config.version"))
    return errors


def _numbers(numbers: frozenset[int] | set[int], shown: int = 12) -> str:
    """``1, 2, 3``; a long history as its first and latest numbers: ``1, 2, 3, …, 98, 99, 100``."""
    ordered = sorted(numbers)
    if not ordered:
        return "none"
    if len(ordered) > shown:
        head, tail = ordered[:3], ordered[-(shown - 3):]
        return ", ".join(map(str, head)) + ", …, " + ", ".join(map(str, tail))
    return ", ".join(map(str, ordered))


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
