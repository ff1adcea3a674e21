"""The designer's Schedules panel: an operator creates a schedule for the open template, sees the
server's error on the cron field, then its next five fire times in the schedule's zone; pauses it;
an analyst who is not an operator reads the schedules without the buttons."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from tests.factories import VersionFactory, chain_graph
from workflows.models import Schedule
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def template(db):
    return VersionFactory(template__name="nightly-report", template__title="Nightly report", number=1, graph=chain_graph("collect", "send")).template


def test_an_operator_creates_a_schedule_and_sees_its_next_fire_times(page_for, template):
    page = open_editor(page_for("otto", ANALYSTS, OPERATORS), "nightly-report")
    page.get_by_test_id("tab-schedules").click()
    panel = page.get_by_test_id("schedules")
    expect(panel.get_by_test_id("schedules-empty")).to_be_visible()
    panel.get_by_test_id("btn-new-schedule").click()
    panel.get_by_test_id("schedule-name").fill("nightly")
    panel.get_by_test_id("schedule-cron").fill("61 * * * *")
    panel.get_by_test_id("schedule-timezone").fill("Europe/Paris")
    panel.get_by_test_id("schedule-input").fill('{"full": true}')
    panel.get_by_test_id("btn-save-schedule").click()
    expect(panel.get_by_test_id("schedule-error-cron")).to_contain_text("minute: '61' is not valid here")
    expect(panel.get_by_test_id("schedule-cron")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "designer-schedules-error")
    assert not Schedule.objects.exists()

    panel.get_by_test_id("schedule-cron").fill("0 2 * * *")
    panel.get_by_test_id("btn-save-schedule").click()
    card = panel.get_by_test_id("schedule-nightly")
    expect(card).to_be_visible()
    fires = card.get_by_test_id("schedule-fires").locator("li")
    expect(fires).to_have_count(5)
    for text in fires.all_inner_texts():
        assert re.fullmatch(r"\w{3} \d{4}-\d{2}-\d{2} 02:00 \+0[12]:00", text), text
    expect(card).to_contain_text("0 2 * * *")
    expect(card).to_contain_text("Europe/Paris")
    stored = Schedule.objects.get()
    assert (stored.template, stored.input, stored.created_by.username) == (template, {"full": True}, "otto")
    screenshot(page, "designer-schedules")

    card.get_by_test_id("btn-pause-nightly").click()
    expect(card.locator(".fd-pill").first).to_have_text("paused")
    assert not Schedule.objects.get().enabled


def test_an_analyst_reads_the_schedules_without_the_buttons(page_for, template):
    from workflows import schedules

    schedules.create(name="weekly", template=template, cron="0 6 * * 1", timezone="UTC")
    page = open_editor(page_for("ana", ANALYSTS), "nightly-report")
    page.get_by_test_id("tab-schedules").click()
    card = page.get_by_test_id("schedule-weekly")
    expect(card.get_by_test_id("schedule-fires").locator("li")).to_have_count(5)
    expect(page.get_by_test_id("btn-new-schedule")).to_have_count(0)
    expect(card.get_by_test_id("btn-pause-weekly")).to_have_count(0)
    expect(page.get_by_test_id("schedules")).to_contain_text("Only operators can create or change schedules.")
