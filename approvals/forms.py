"""The decision form generated from an approval node's field list: one Django form serves the
task page and the API's ``/decide/``, so both validate alike, on the server.

Required fields are required to approve; a rejection or a request for changes needs a comment
instead (the reviewer says why) and only checks the values that were given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from .models import Task

TEXT_MAX = 2_000
TEXTAREA_MAX = 20_000
COMMENT_MAX = 5_000


def _field(spec: dict[str, Any], required: bool) -> forms.Field:
    kind = spec["type"]
    common = {"label": spec.get("label") or spec["name"].replace("_", " ").capitalize(), "help_text": spec.get("help", ""), "required": required}
    default = spec.get("default")
    if kind == "boolean" and isinstance(default, str):  # a checkbox would show any text but "" as ticked
        default = default.strip().lower() in ("true", "1", "yes", "on")
    if default is not None:
        common["initial"] = default
    low, high = spec.get("min"), spec.get("max")
    if kind in ("text", "textarea"):
        cap = TEXT_MAX if kind == "text" else TEXTAREA_MAX
        widget = forms.Textarea(attrs={"rows": 4}) if kind == "textarea" else forms.TextInput()
        return forms.CharField(min_length=int(low) if low is not None else None, max_length=min(int(high), cap) if high is not None else cap, widget=widget, **common)
    if kind == "number":
        return forms.FloatField(min_value=low, max_value=high, widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if kind == "boolean":
        return forms.BooleanField(**common)  # required: must be ticked
    if kind == "choice":
        choices = [("", "—")] + [(c, c) for c in spec.get("choices") or []]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    raise ValueError(f"unknown field type {kind!r}")  # publish refuses these (``approval.check``)


class DecisionForm(forms.Form):
    """``decision`` and ``comment`` plus the task's own fields (``fields``); ``outcomes`` limits the
    decisions offered (None: all)."""

    decision = forms.ChoiceField(choices=Task.Decision.choices)
    comment = forms.CharField(required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, fields: list[dict[str, Any]], outcomes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if outcomes:
            self.fields["decision"].choices = [(value, label) for value, label in Task.Decision.choices if value in outcomes]
        self.specs = {spec["name"]: spec for spec in fields}
        approving = (self.data.get("decision") if self.is_bound else "approved") in ("approved", None)
        for name, spec in self.specs.items():
            self.fields[f"f_{name}"] = _field(spec, required=bool(spec.get("required")) and approving)
        self.order_fields([f"f_{n}" for n in self.specs] + ["comment", "decision"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") in ("rejected", "changes") and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Say why: a rejection or a request for changes needs a comment.")
        return cleaned

    def values(self) -> dict[str, Any]:
        """The form's data as JSON values (the step's output), keyed by field name."""
        result: dict[str, Any] = {}
        for name in self.specs:
            value = self.cleaned_data.get(f"f_{name}")
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            if value not in (None, ""):
                result[name] = value
        return result


def from_api(data: dict[str, Any], fields: list[dict[str, Any]], outcomes: list[str] | None = None) -> DecisionForm:
    """The same form bound to an API body: ``{decision, comment?, data: {field: value}}``."""
    values = data.get("data") if isinstance(data.get("data"), dict) else {}
    bound: dict[str, Any] = {"decision": data.get("decision", ""), "comment": data.get("comment", "")}
    for spec in fields:
        value = values.get(spec["name"])
        if spec["type"] == "boolean":
            if value:  # an unticked box is absent, as in a browser's POST
                bound[f"f_{spec['name']}"] = "on"
        elif value is not None:
            bound[f"f_{spec['name']}"] = value if isinstance(value, str) else str(value)
    return DecisionForm(bound, fields=fields, outcomes=outcomes)


def field_errors(form: DecisionForm) -> dict[str, list[str]]:
    """Errors keyed as the API names the fields (``data.amount``, ``comment``)."""
    errors: dict[str, list[str]] = {}
    for key, messages in form.errors.items():
        name = f"data.{key[2:]}" if key.startswith("f_") else key
        errors[name] = [str(m) for m in messages]
    return errors
