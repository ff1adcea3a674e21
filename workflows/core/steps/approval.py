"""``approval``: a human decides (DESIGN §7). Reaching the node opens a task in the reviewers'
inbox (the ``approvals`` app); the decision arrives as a message and picks the port.

The node renders what the task shows when it is reached (title, instructions, context, who may
decide), so the task says what the instance looked like then. Who decides, the form and the
quorum are checked at publish where they are literal; rendered assignees are checked when the
task opens. The decision, the form data, who decided and when become the step's output.

A fifth of the way before ``due_s`` (at most a day before) the holders get a reminder. At
``due_s`` the escalation runs: ``reassign`` hands the task to a group (and keeps waiting),
``notify`` e-mails the holders and an address list (and keeps waiting), ``decide`` closes it
with a stated outcome; with no escalation the node leaves by ``timeout``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import recipients
from ..errors import GraphError
from ..expressions import ExpressionError, render
from ..values import clamp
from .actions import Action, Done, Fail, Message, OpenTask, UpdateTask
from .base import CheckContext, NodeContext, StepType, object_schema, register

OUTCOMES = ("approved", "rejected", "changes")
FIELD_TYPES = ("text", "textarea", "number", "boolean", "choice", "date")
ESCALATIONS = ("reassign", "notify", "decide")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
NAME = re.compile(r"^[\w.@+-]{1,150}$")  # Django's username and group name characters
MAX_FIELDS = 30
MAX_PEOPLE = 50
MAX_TEXT = 20_000  # rendered instructions, characters
REMIND_MAX_S = 86_400

_FIELD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type"],
    "properties": {
        "name": {"type": "string", "title": "Name", "pattern": FIELD_NAME.pattern, "description": "lower-case key in the decision's data"},
        "label": {"type": "string", "maxLength": 200, "title": "Label"},
        "type": {"type": "string", "title": "Type", "enum": list(FIELD_TYPES)},
        "required": {"type": "boolean", "default": False, "title": "Required", "description": "to approve"},
        "help": {"type": "string", "maxLength": 500, "title": "Help text"},
        "min": {"type": "number", "title": "Minimum", "description": "number: the value; text: the length"},
        "max": {"type": "number", "title": "Maximum", "description": "number: the value; text: the length"},
        "choices": {"type": "array", "title": "Choices", "items": {"type": "string", "minLength": 1, "maxLength": 200}, "maxItems": 100},
        "default": {"type": ["string", "number", "boolean"], "title": "Default", "description": "prefilled; may use {{ expressions }}"},
    },
}


@register
class Approval(StepType):
    name = "approval"
    label = "Approval"
    category = "flow"
    description = "A person decides in their inbox: approve, reject or ask for changes, filling a form."
    literal_fields = ("form", "escalation")
    schema = object_schema(
        {
            "title": {"type": "string", "minLength": 1, "maxLength": 500, "title": "Title", "description": "may use {{ expressions }}"},
            "instructions": {"type": "string", "maxLength": MAX_TEXT, "title": "Instructions", "description": "plain text; may use {{ expressions }}"},
            "assignees": {
                "type": "array", "title": "Assignees", "maxItems": MAX_PEOPLE,
                "description": "usernames; a {{ expression }} may give one or a list",
                "items": {"type": "string", "minLength": 1, "maxLength": 500},
            },
            "groups": {
                "type": "array", "title": "Candidate groups", "maxItems": 20,
                "description": "any member may claim the task",
                "items": {"type": "string", "minLength": 1, "maxLength": 150},
            },
            "context": {
                "type": "object", "title": "Context shown", "maxProperties": 30,
                "description": "label → {{ expression }}: what the reviewer sees of the instance",
                "additionalProperties": {"type": "string", "maxLength": 1000},
            },
            "form": {"type": "array", "title": "Form", "items": _FIELD, "maxItems": MAX_FIELDS},
            "quorum": {"type": "integer", "minimum": 1, "maximum": MAX_PEOPLE, "default": 1, "title": "Approvals needed",
                       "description": "N of the assignees must approve"},
            "rejections": {"type": "integer", "minimum": 1, "maximum": MAX_PEOPLE, "default": 1, "title": "Rejections that reject",
                           "description": "1: any rejection rejects"},
            "due_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 366 * 86400, "title": "Due in (s)"},
            "escalation": {
                "type": "object", "title": "When overdue", "additionalProperties": False, "required": ["action"],
                "properties": {
                    "action": {"type": "string", "enum": list(ESCALATIONS), "title": "Action"},
                    "group": {"type": "string", "minLength": 1, "maxLength": 150, "title": "Reassign to group"},
                    "to": {"type": "array", "title": "Also notify", "maxItems": 20, "items": {"type": "string", "minLength": 3, "maxLength": 254}},
                    "outcome": {"type": "string", "enum": list(OUTCOMES), "title": "Decide"},
                },
            },
            "allow_starter": {"type": "boolean", "default": False, "title": "The starter may decide"},
            "outcomes": {"type": "array", "title": "Decisions offered", "items": {"type": "string", "enum": list(OUTCOMES)}, "minItems": 1, "uniqueItems": True,
                         "description": "the default offers all three; each is a port"},
        },
        ["title"],
    )  # fmt: skip

    def ports(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return (*offered(config), "timeout")

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        errors: list[GraphError] = []

        def error(field: str, message: str, code: str = "invalid_config") -> None:
            errors.append(GraphError(code, f"config.{field}: {message}", node_id, f"config.{field}"))

        form = config.get("form")
        seen: set[str] = set()
        for index, field in enumerate(form if isinstance(form, list) else ()):
            if not isinstance(field, Mapping):
                continue
            where = f"form.{index}"
            name, kind = field.get("name"), field.get("type")
            label = f"field {name!r}" if isinstance(name, str) else f"field {index + 1}"
            if kind not in FIELD_TYPES:
                error(f"{where}.type", f"{label} has the unknown type {kind!r}; use one of {', '.join(FIELD_TYPES)}", "unknown_field_type")
            if isinstance(name, str):
                if not FIELD_NAME.match(name):
                    error(f"{where}.name", f"{label}: lower-case letters, digits and _ only, starting with a letter")
                elif name in seen:
                    error(f"{where}.name", f"{label} appears twice")
                seen.add(name)
            low, high = field.get("min"), field.get("max")
            if _number(low) and _number(high) and low > high:
                error(f"{where}.min", f"{label}: the minimum is above the maximum")
            if kind == "choice":
                choices = field.get("choices")
                if not isinstance(choices, list) or not choices:
                    error(f"{where}.choices", f"{label}: a choice field needs its choices")
                elif len(set(choices)) != len(choices):
                    error(f"{where}.choices", f"{label}: a choice appears twice")
            elif "choices" in field:
                error(f"{where}.choices", f"{label}: only a choice field has choices")
        assignees = config.get("assignees") or []
        for index, entry in enumerate(assignees if isinstance(assignees, list) else ()):
            if isinstance(entry, str) and "{{" not in entry and not NAME.match(entry.strip()):
                error(f"assignees.{index}", f"{entry!r} is not a username")
        for index, entry in enumerate(config.get("groups") or []):
            if isinstance(entry, str) and not NAME.match(entry):
                error(f"groups.{index}", f"{entry!r} is not a group name")
        if not assignees and not config.get("groups"):
            error("assignees", "name the assignees or candidate groups who decide")
        quorum = config.get("quorum", 1)
        literal = isinstance(assignees, list) and all(isinstance(a, str) and "{{" not in a for a in assignees)
        if isinstance(quorum, int) and quorum > 1 and literal and assignees and quorum > len(assignees):
            error("quorum", f"{quorum} approvals are needed but only {len(assignees)} assignees are named")
        escalation = config.get("escalation")
        if isinstance(escalation, Mapping):
            action = escalation.get("action")
            if action == "reassign" and not escalation.get("group"):
                error("escalation.group", "name the group the overdue task goes to")
            if action == "decide" and not escalation.get("outcome"):
                error("escalation.outcome", "say which decision is taken when the task is overdue")
            elif action == "decide" and escalation.get("outcome") not in offered(config):
                error("escalation.outcome", f"{escalation.get('outcome')!r} is not one of the decisions this task offers")
            for index, address in enumerate(escalation.get("to") or []):
                if not isinstance(address, str) or not recipients.is_address(address):
                    error(f"escalation.to.{index}", f"{address!r} is not an e-mail address")
            if action == "notify" and not escalation.get("to") and not assignees and not config.get("groups"):
                error("escalation.to", "name who is told that the task is overdue")
            if "due_s" not in config:
                error("due_s", "an escalation needs a due time")
        return errors

    def reached(self, ctx: NodeContext) -> list[Action]:
        config, scope = ctx.config, ctx.scope
        due_s = clamp(config.get("due_s"), self.schema["properties"]["due_s"])
        spec = {
            "title": _text(render(config["title"], scope), 500),
            "instructions": _text(render(config.get("instructions", ""), scope), MAX_TEXT),
            "assignees": _people(render(config.get("assignees") or [], scope)),
            "groups": list(dict.fromkeys(config.get("groups") or [])),
            "context": {str(label): render(expr, scope) for label, expr in (config.get("context") or {}).items()},
            "form": [_with_default(field, scope) for field in config.get("form") or []],
            "outcomes": list(offered(config)),
            "quorum": int(config.get("quorum", 1)),
            "rejections": int(config.get("rejections", 1)),
            "allow_starter": bool(config.get("allow_starter", False)),
            "due_at": ctx.now + due_s if due_s else None,
        }
        if not spec["assignees"] and not spec["groups"]:
            return [Fail.of("NoAssignee", "the approval's assignees rendered to nobody and it names no group")]
        # Reminded a fifth of the way before due (at most a day before): time left to act.
        remind = spec["due_at"] - min(due_s / 5, REMIND_MAX_S) if due_s else None
        return [OpenTask(spec, spec["due_at"], remind)]

    def on_message(self, ctx: NodeContext, message: Message) -> list[Action]:
        if message.kind == "decided":
            outcome = message.data.get("decision")
            if outcome not in offered(ctx.config):
                return [Fail.of("UnexpectedMessage", f"an approval got the decision {outcome!r}")]
            return [Done(dict(message.data), ports=(outcome,))]
        if message.kind == "woken":
            return self.escalate(ctx)
        return [Fail.of("UnexpectedMessage", f"an approval node got a {message.kind!r} message")]

    def escalate(self, ctx: NodeContext) -> list[Action]:
        """The task is overdue: what its escalation says (once: a reassigned task stays open)."""
        escalation = ctx.config.get("escalation") or {}
        action = escalation.get("action")
        if action == "decide":
            outcome = escalation["outcome"]
            output = {"decision": outcome, "data": {}, "by": "", "automatic": True, "reason": "overdue"}
            return [UpdateTask({"close": "escalated", "decision": outcome}), Done(output, ports=(outcome,))]
        if action == "reassign":
            return [UpdateTask({"escalate": "reassign", "group": escalation["group"], "to": list(escalation.get("to") or [])})]
        if action == "notify":
            return [UpdateTask({"escalate": "notify", "to": list(escalation.get("to") or [])})]
        return [UpdateTask({"close": "expired"}), Done({"decision": None, "data": {}, "by": "", "reason": "overdue"}, ports=("timeout",))]


def offered(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The decisions the task offers, in the canonical order (each one a port)."""
    chosen = config.get("outcomes")
    return tuple(o for o in OUTCOMES if o in chosen) if isinstance(chosen, list) and chosen else OUTCOMES


def _with_default(field: Mapping[str, Any], scope: Mapping[str, Any]) -> dict[str, Any]:
    """The field with its default rendered from the instance (a template may prefill a value)."""
    field = dict(field)
    if isinstance(field.get("default"), str):
        field["default"] = render(field["default"], scope)
    return field


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _people(rendered: Any) -> list[str]:
    """Usernames from the rendered assignees: an entry may have given one name or a list."""
    names: list[str] = []
    for entry in rendered if isinstance(rendered, list) else [rendered]:
        for name in entry if isinstance(entry, list) else [entry]:
            if name is None or name == "":
                continue
            if not isinstance(name, str) or not NAME.match(name.strip()):
                raise ExpressionError(f"assignees: {name!r} is not a username")
            names.append(name.strip())
    if len(names) > MAX_PEOPLE:
        raise ExpressionError(f"assignees: {len(names)} people, at most {MAX_PEOPLE}")
    return list(dict.fromkeys(names))
