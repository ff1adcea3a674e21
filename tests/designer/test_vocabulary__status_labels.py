"""One word per status: the pages (workflows/presenters.py STATUS_LABEL) and the designer's canvas
(designer/frontend/src/canvas/look.tsx STATUS_LABEL) say the same, and no page shows a raw value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.core.status import InstanceStatus, StepStatus
from workflows.models import Instance
from workflows.presenters import STATUS_LABEL

LOOK = Path(__file__).resolve().parents[2] / "designer" / "frontend" / "src" / "canvas" / "look.tsx"


def designer_labels() -> dict[str, str]:
    source = LOOK.read_text()
    table = re.search(r"export const STATUS_LABEL: Record<string, string> = \{(.*?)\n\}", source, re.S)
    assert table, "look.tsx has no STATUS_LABEL table"
    entries = [line.strip() for line in table.group(1).strip().splitlines()]
    pairs = [re.fullmatch(r"(\w+): '([^'\\]*)',?", line) for line in entries]
    assert all(pairs), f"an entry of look.tsx's STATUS_LABEL is not `key: 'Label',`: {entries}"
    return {m.group(1): m.group(2) for m in pairs}


def test_the_pages_and_the_designer_use_the_same_words_for_every_status():
    assert STATUS_LABEL == designer_labels()


def test_every_instance_and_step_status_has_a_word():
    assert {s.value for s in InstanceStatus} | {s.value for s in StepStatus} <= set(STATUS_LABEL)


@pytest.mark.django_db
def test_the_list_and_the_overview_say_timed_out_in_words(operator):
    name = VersionFactory(template__name="billing", graph=chain_graph("a")).template.name
    instance, _ = engine.start_instance(name)
    Instance.objects.filter(pk=instance.pk).update(status=InstanceStatus.TIMED_OUT)

    page = operator.get("/instances/?status=timed_out").content.decode()
    assert re.search(r'data-testid="chip-timed_out"><span class="status status-timed_out">Timed out</span>', page)
    assert re.search(r'data-testid="chip-pending"><span class="status status-pending">Not started</span>', page)
    assert '<span class="status status-timed_out">Timed out</span></td>' in page  # the row's badge
    assert ", timed out shown" in page
    visible = re.sub(r"<[^>]+>", " ", page)  # text, not attributes or test ids
    assert "timed_out" not in visible

    overview = operator.get("/").content.decode()
    assert '<span class="status status-timed_out">Timed out</span>' in overview
    assert "timed_out" not in re.sub(r"<[^>]+>", " ", overview)
