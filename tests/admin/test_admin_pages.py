"""The Django admin, opened page by page as a logged-in admin, over data the engine really made:
a completed instance (whose output carries markup), a failed one, a waiting one with a timer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.engine.conftest import drain_all
from tests.factories import (
    TemplateFactory,
    UserFactory,
    VersionFactory,
    chain_graph,
    role_group,
)
from workflows import authoring, engine
from workflows.models import Event, Instance, StepRun, Template, TemplateVersion, Timer
from workflows.roles import OPERATORS

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"
MODELS = ("template", "templateversion", "instance", "steprun", "event", "timer")


def graph(nodes, edges=()):
    return {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": t, "label": label, "config": c} for n, t, label, c in nodes],
        "edges": [{"id": f"e{i}", "source": a, "target": b, "port": "out"} for i, (a, b) in enumerate(edges)],
    }


def run(name: str, input: dict | None = None) -> Instance:
    instance, _ = engine.start_instance(name, input=input or {})
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


@dataclass
class World:
    completed: Instance
    failed: Instance
    waiting: Instance
    draft: TemplateVersion
    published: TemplateVersion


@pytest.fixture
def world() -> World:
    published = VersionFactory(
        template=TemplateFactory(name="rota", title="Rota", tags=["demo", "scheduling"]),
        graph=chain_graph("prepare", "publish_rota", input={"label": XSS}),
    )
    draft = VersionFactory(template=published.template, status=TemplateVersion.Status.DRAFT, graph=chain_graph("prepare"), checksum="")
    failing = VersionFactory(
        template=TemplateFactory(name="doomed"),
        graph=graph([("boom", "task", "Explode", {"handler": "demo.fail", "input": {"retryable": False, "message": "kaput"}})]),
    )
    pausing = VersionFactory(
        template=TemplateFactory(name="patient"),
        graph=graph(
            [("start", "task", "Start", {"handler": "demo.noop"}), ("hold", "wait", "Hold on", {"for_s": 600})],
            [("start", "hold")],
        ),
    )
    world = World(
        completed=run("rota", {"who": XSS}),
        failed=run(failing.template.name),
        waiting=run(pausing.template.name),
        draft=draft,
        published=published,
    )
    assert (world.completed.status, world.failed.status, world.waiting.status) == ("completed", "failed", "running")
    assert Timer.objects.filter(instance=world.waiting, kind="wait").exists()
    return world


def changelist(model: str) -> str:
    return reverse(f"admin:workflows_{model}_changelist")


def change(obj) -> str:
    return reverse(f"admin:workflows_{obj._meta.model_name}_change", args=[obj.pk])


def result_rows(html: str) -> str:
    """The changelist's result table, without the filter sidebar (which names every option)."""
    start = html.index('<table id="result_list">')
    return html[start : html.index("</table>", start)]


def assert_no_raw_markup(html: str) -> None:
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x onerror" not in html


# --- every page opens ---------------------------------------------------------------------------


def test_the_index_lists_every_workflows_model(admin_client, world):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    for model in MODELS:
        assert changelist(model) in response.content.decode()
    assert admin_client.get(reverse("admin:app_list", args=["workflows"])).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_each_changelist_opens_plain_searched_and_by_date(admin_client, world, model):
    year = timezone.now().year
    date_field = {"template": "created_at", "templateversion": "created_at", "instance": "created_at", "steprun": "scheduled_at", "event": "created_at", "timer": "due_at"}[model]
    for query in ("", "?q=rota", "?q=zzz-nothing", f"?{date_field}__year={year}", "?o=-1"):
        response = admin_client.get(changelist(model) + query)
        assert response.status_code == 200, f"{model}{query}"  # a bad lookup would redirect with ?e=1


@pytest.mark.parametrize(
    ("model", "query", "present", "absent"),
    [
        ("instance", "?status__exact=failed", "doomed", "rota"),
        ("instance", "?started_as=no", "doomed", None),
        ("steprun", "?status__exact=failed", "boom", "publish_rota"),
        ("steprun", "?attempts=first", "boom", None),
        ("event", "?type__exact=instance_failed", "doomed", "patient"),
        ("timer", "?kind__exact=wait", "hold", None),
        ("template", "?archived=no", "doomed", None),
        ("templateversion", "?status__exact=draft", "rota", "doomed"),
    ],
)
def test_a_filter_narrows_the_list(admin_client, world, model, query, present, absent):
    response = admin_client.get(changelist(model) + query)
    assert response.status_code == 200
    rows = result_rows(response.content.decode())
    assert present in rows
    if absent:
        assert absent not in rows


def test_searching_instances_by_a_piece_of_their_id_finds_them(admin_client, world):
    piece = str(world.failed.pk)[:8]
    rows = result_rows(admin_client.get(changelist("instance") + f"?q={piece}").content.decode())
    assert piece in rows and str(world.completed.pk)[:8] not in rows


def test_each_object_page_opens(admin_client, world):
    objects = [
        world.published.template,
        world.published,
        world.draft,
        world.completed,
        world.failed,
        world.waiting,
        StepRun.objects.filter(instance=world.failed).first(),
        StepRun.objects.filter(instance=world.completed, node_id="prepare").get(),
        Event.objects.filter(instance=world.completed).first(),
        Event.objects.filter(instance=world.completed, type="instance_completed").get(),
        Timer.objects.get(instance=world.waiting),
    ]
    for obj in objects:
        response = admin_client.get(change(obj))
        assert response.status_code == 200, obj
        assert "<img src=x onerror" not in response.content.decode(), obj


def test_a_template_can_be_added_and_read_only_models_cannot(admin_client, world):
    assert admin_client.get(reverse("admin:workflows_template_add")).status_code == 200
    form = {"name": "new-flow", "title": "New flow", "description": "", "tags": '["ops"]', "example_input": ""}
    management = {"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}  # the (read-only) versions inline
    response = admin_client.post(reverse("admin:workflows_template_add"), {**form, **management})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Template.objects.get(name="new-flow")
    assert (created.tags, created.example_input) == (["ops"], {})  # an emptied JSON box means the default
    draft = created.draft()  # as from the API or the designer: a new template has its first draft
    assert (draft.number, draft.graph["nodes"], draft.created_by.is_superuser) == (1, [], True)
    for model in ("templateversion", "instance", "steprun", "event", "timer"):
        assert admin_client.get(reverse(f"admin:workflows_{model}_add")).status_code == 403


# --- what the pages show -------------------------------------------------------------------------


def test_the_instance_page_shows_its_steps_events_and_pretty_json_read_only(admin_client, world):
    html = admin_client.get(change(world.completed)).content.decode()
    for node in ("prepare", "publish_rota"):
        assert node in html
    for event_type in ("instance_running", "step_running", "step_completed", "instance_completed"):
        assert event_type in html
    assert '<pre class="fd-json">' in html
    assert "&quot;label&quot;: &quot;&lt;img src=x onerror=alert(1)&gt;&quot;" in html  # indented, escaped
    assert_no_raw_markup(html)
    for step in world.completed.steps.all():
        assert change(step) in html  # each step run links to its own page
    assert '<span class="fd-badge fd-completed">completed</span>' in html
    assert 'name="_save"' not in html and "<textarea" not in html  # a read-only view, no form to save
    assert "Cancel instance" not in html and "Retry from the failed steps" not in html


def test_the_failed_instance_shows_its_error_and_offers_retry(admin_client, world):
    html = admin_client.get(change(world.failed)).content.decode()
    assert "kaput" in html and "fd-error-type" in html
    assert "Retry from the failed steps" in html and "Cancel instance" not in html
    step = world.failed.steps.get()
    step_html = admin_client.get(change(step)).content.decode()
    assert '<pre class="fd-traceback">' in step_html and "StepError" in step_html


def test_the_waiting_instance_offers_cancel_and_its_timer_is_listed(admin_client, world):
    html = admin_client.get(change(world.waiting)).content.decode()
    assert "Cancel instance" in html and "so far" in html
    timers = admin_client.get(changelist("timer")).content.decode()
    assert "hold" in timers and "in 9 min" in timers


def test_the_template_list_shows_latest_version_draft_and_instance_count(admin_client, world):
    html = admin_client.get(changelist("template")).content.decode()
    assert f'href="{change(world.published)}">v{world.published.number}</a>' in html
    assert f"?template__id__exact={world.published.template.pk}" in html
    page = admin_client.get(change(world.published.template)).content.decode()
    assert change(world.published) in page and change(world.draft) in page  # versions inline, linked
    assert world.published.checksum[:12] in page


def test_a_published_version_is_read_only_and_a_draft_is_editable(admin_client, world):
    published = admin_client.get(change(world.published)).content.decode()
    assert '<pre class="fd-json">' in published and 'name="graph"' not in published
    assert_no_raw_markup(published)
    assert admin_client.post(change(world.published), {"graph": "{}", "change_note": "sneaky"}).status_code == 403
    draft = admin_client.get(change(world.draft)).content.decode()
    assert 'name="graph"' in draft and "valid: ready to publish" in draft
    assert f'name="revision" value="{world.draft.revision}"' in draft
    response = admin_client.post(change(world.draft), {"graph": '{"version": 1, "nodes": [], "edges": []}', "change_note": "emptied"})
    assert response.status_code == 302
    revision = world.draft.revision
    world.draft.refresh_from_db()
    assert world.draft.change_note == "emptied" and world.draft.status == "draft"
    assert world.draft.revision == revision + 1  # saved by authoring.save_draft, as the designer saves


def test_a_draft_saved_elsewhere_since_the_form_opened_is_not_overwritten(admin_client, world):
    loaded = world.draft.revision
    authoring.save_draft(world.draft.template, chain_graph("a", "b"))  # the designer autosaves meanwhile
    form = {"graph": '{"version": 1, "nodes": [], "edges": []}', "change_note": "mine", "revision": str(loaded)}
    response = admin_client.post(change(world.draft), form)
    assert response.status_code == 200
    assert "Someone saved this draft since you opened it" in response.content.decode()
    world.draft.refresh_from_db()
    assert [n["id"] for n in world.draft.graph["nodes"]] == ["a", "b"] and world.draft.change_note != "mine"


def test_a_draft_graph_the_database_cannot_store_is_refused_on_its_field(admin_client, world):
    response = admin_client.post(change(world.draft), {"graph": '{"version": 1, "nodes": [], "edges": [], "x": "\\u0000"}', "change_note": ""})
    assert response.status_code == 200
    assert "NUL" in response.content.decode()
    world.draft.refresh_from_db()
    assert "x" not in world.draft.graph


def test_an_invalid_draft_shows_what_publishing_would_refuse_and_its_nodes_escaped(admin_client, world):
    world.draft.graph = graph([("odd", "task", XSS, {"handler": "no.such.handler"})])
    world.draft.save()
    html = admin_client.get(change(world.draft)).content.decode()
    assert "no.such.handler" in html and "ready to publish" not in html
    assert '<ul class="fd-errors">' in html
    assert '<table class="fd-nodes">' in html
    assert_no_raw_markup(html)


def test_a_long_history_shows_the_latest_rows_inline_and_links_to_the_rest(admin_client, world, monkeypatch):
    from workflows import admin as workflows_admin

    monkeypatch.setattr(workflows_admin, "INLINE_LIMIT", 2)
    html = admin_client.get(change(world.completed)).content.decode()
    assert "the lists below show the latest 2 of each" in html
    shown = re.findall(r'href="/admin/workflows/event/(\d+)/change/"', html)
    latest = world.completed.events.order_by("-seq").values_list("pk", flat=True)[:2]
    assert sorted(map(int, shown)) == sorted(latest)
    assert len(re.findall(r'href="/admin/workflows/steprun/(\d+)/change/"', html)) == 2
    assert f"/admin/workflows/event/?instance__id__exact={world.completed.pk}" in html


def test_an_xss_label_in_a_template_title_is_escaped_in_lists(admin_client, world):
    TemplateFactory(name="evil", title=XSS)
    assert_no_raw_markup(admin_client.get(changelist("template")).content.decode())


def test_the_instance_list_costs_the_same_queries_for_more_rows(admin_client, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(changelist("instance")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for _ in range(4):
        run("rota")
    assert count() == before


@pytest.mark.parametrize("model", ("steprun", "event", "timer", "templateversion", "template"))
def test_other_lists_cost_the_same_queries_for_more_rows(admin_client, world, model):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(changelist(model)).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    run("patient")  # adds step runs, events and a timer
    VersionFactory(template=TemplateFactory())
    assert count() == before


# --- actions through the engine ------------------------------------------------------------------


def act(client, action: str, *instances: Instance):
    data = {"action": action, "_selected_action": [str(i.pk) for i in instances], "index": 0}
    return client.post(changelist("instance"), data, follow=True)


def test_cancelling_a_running_instance_goes_through_the_engine(admin_client, world):
    response = act(admin_client, "cancel_instances", world.waiting)
    assert response.status_code == 200
    world.waiting.refresh_from_db()
    assert world.waiting.status == "cancelled"
    assert Event.objects.filter(instance=world.waiting, type="instance_cancelled").exists()
    assert not Timer.objects.filter(instance=world.waiting).exists()
    assert "Cancelled 1 instance: patient" in response.content.decode()
    history = admin_client.get(reverse("admin:workflows_instance_history", args=[world.waiting.pk])).content.decode()
    assert "Cancelled through the engine." in history


def test_cancelling_a_completed_instance_is_refused_with_the_engines_reason(admin_client, world):
    events = world.completed.events.count()
    response = act(admin_client, "cancel_instances", world.completed, world.waiting)
    html = response.content.decode()
    world.completed.refresh_from_db()
    assert world.completed.status == "completed" and world.completed.events.count() == events
    assert "was not cancelled: the instance is already completed" in html
    assert 'class="warning"' in html
    assert "Cancelled 1 instance" in html  # the other one was


def test_retrying_a_failed_instance_schedules_a_new_attempt(admin_client, world):
    response = act(admin_client, "retry_instances", world.failed, world.completed)
    world.failed.refresh_from_db()
    assert world.failed.status == "running"
    assert list(world.failed.steps.order_by("attempt").values_list("attempt", "status")) == [(1, "failed"), (2, "scheduled")]
    html = response.content.decode()
    assert "Retried 1 instance: doomed" in html
    assert "was not retried: the instance is completed; only a failed instance can be retried" in html


def test_the_buttons_on_the_instance_page_call_the_engine_and_come_back(admin_client, world):
    url = reverse("admin:workflows_instance_retry", args=[world.failed.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    assert response.status_code == 302 and response["Location"] == change(world.failed)
    world.failed.refresh_from_db()
    assert world.failed.status == "running"
    response = admin_client.post(reverse("admin:workflows_instance_cancel", args=[world.failed.pk]), follow=True)
    world.failed.refresh_from_db()
    assert world.failed.status == "cancelled"
    assert "Cancelled 1 instance" in response.content.decode()


def test_a_staff_operator_can_use_the_actions_and_others_cannot(client, world):
    # Viewing is not controlling: see tests/security/test_access__instance_control.py.
    operator = UserFactory(username="olga", is_staff=True)
    operator.groups.add(role_group(OPERATORS))
    client.force_login(operator)
    html = client.get(changelist("instance")).content.decode()
    assert "cancel_instances" in html and "retry_instances" in html
    act(client, "cancel_instances", world.waiting)
    world.waiting.refresh_from_db()
    assert world.waiting.status == "cancelled"

    outsider = UserFactory(username="oscar", is_staff=False)
    client.force_login(outsider)
    response = client.post(reverse("admin:workflows_instance_cancel", args=[world.failed.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    world.failed.refresh_from_db()
    assert world.failed.status == "failed"


def test_engine_faults_are_listed_with_their_instance_error_and_next_try(admin_client, world):
    from workflows import faults

    try:
        raise ValueError("the version's graph cannot be parsed")
    except ValueError as exc:
        faults.record("timer", 42, exc, instance_id=world.waiting.pk)
        faults.record("timer", 42, exc, instance_id=world.waiting.pk)
    html = admin_client.get(changelist("fault")).content.decode()
    assert "ValueError" in html and change(world.waiting) in html
    fault = world.waiting.faults.get()
    assert fault.attempts == 2 and fault.retry_at > fault.last_at
    page = admin_client.get(change(fault)).content.decode()
    assert '<pre class="fd-traceback">' in page and "cannot be parsed" in page
