"""Templates from files: what ``workflow load`` and the demo set-up use."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workflows import services
from workflows.core.graph import behaviour_checksum
from workflows.models import Template, TemplateVersion


def load_template(data: Any, *, change_note: str = "", user=None) -> tuple[TemplateVersion, bool]:
    """Create or update a template from ``{name, title, description?, tags?, graph}`` and publish
    the graph unless the latest version already has the same behaviour. Returns (version, changed)."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("graph"), dict):
        raise ValueError("a template file is a JSON object with 'name' (slug), 'title' and 'graph'")
    with transaction.atomic():
        template, _ = Template.objects.get_or_create(
            name=data["name"], defaults={"title": data.get("title") or data["name"], "owner": user}
        )
        template.title = data.get("title") or template.title
        template.description = data.get("description", template.description)
        template.tags = data.get("tags", template.tags)
        template.example_input = data.get("example_input", template.example_input)
        template.save()
        latest = template.latest_published()
        if latest and latest.checksum == behaviour_checksum(data["graph"]) and not template.draft():
            return latest, False
        version = services.publish(template, graph=data["graph"], change_note=change_note or data.get("change_note", ""), user=user)
    return version, True
