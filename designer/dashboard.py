"""The overview's dashboard: per template, the figures of ``workflows.stats.dashboard`` as text,
links into ``/instances/`` with the matching filters, and a bar chart of runs per day.

The chart is drawn here as the geometry of an inline SVG (rectangles with presentation
attributes), so the page needs no chart library and no script: it stays within the CSP
(``script-src 'self'``, no inline styles), costs nothing in the browser and renders before any
JavaScript would. 14 bars per template is little enough that a library's interactivity (zoom,
hover) would add nothing a ``<title>`` tooltip and a link per bar do not give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from designer.monitor import duration_text
from workflows import stats
from workflows.core.status import InstanceStatus
from workflows.query_checks import ERROR_TYPE_MAX_CHARS, no_control_characters

DAYS = 14
BAR_W, GAP, CHART_H = 12, 3, 44
CHART_W = DAYS * (BAR_W + GAP) - GAP
FAILED = [s.value for s in stats.FAILED_INSTANCE]


@dataclass
class Row:
    template: object
    runs: int
    runs_href: str
    success: str
    success_href: str
    p50: str
    p95: str
    duration_href: str
    running: int
    running_href: str
    failed: int
    failed_href: str
    error_types: list[dict]
    chart: str
    peak: int


def _link(**filters) -> str:
    pairs = [(k, v) for k, values in filters.items() for v in (values if isinstance(values, list) else [values])]
    return f"{reverse('instances')}?{urlencode(pairs)}"


def _chart(days: list[dt.date], counts: dict, template: str, peak: int) -> str:
    """The SVG: a bar per day, completed at the bottom, then failed, then the rest (cancelled,
    running, pending, paused); heights to scale of the template's busiest day, at least 1 px when
    not 0. Each bar links to that day's instances and names its counts in a tooltip.

    Made here with ``format_html`` rather than by template tags: 14 bars of 4 numbers per template
    as template variables cost more in number localisation than the page's queries."""
    bars = []
    for i, day in enumerate(days):
        c = counts.get(day, {"completed": 0, "failed": 0, "other": 0})
        x, bottom, rects = i * (BAR_W + GAP), CHART_H, []
        for kind in ("completed", "failed", "other"):
            if c[kind]:
                height = max(1, round(c[kind] / peak * CHART_H))
                bottom -= height
                rects.append((kind, x, bottom, BAR_W, height))
        bars.append(
            format_html(
                '<a href="{}" data-testid="day-bar"><title>{}</title><rect class="bar-hit" x="{}" y="0" width="{}" height="{}"/>{}</a>',
                _link(template=template, started_from=day.isoformat(), started_to=day.isoformat()),
                f"{day.isoformat()}: {c['completed']} completed, {c['failed']} failed, {c['other']} other",
                x, BAR_W, CHART_H, format_html_join("", '<rect class="bar-{}" x="{}" y="{}" width="{}" height="{}"/>', rects),
            )
        )
    return format_html(
        '<svg class="runs-chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="Runs per day of {name}, busiest day {peak}">'
        '<line class="axis" x1="0" y1="{h}" x2="{w}" y2="{h}"/>{bars}</svg>',
        w=CHART_W, h=CHART_H, name=template, peak=peak, bars=format_html_join("", "{}", ((b,) for b in bars)),
    )


def _error_types(found: list[dict], template: str, window: dict) -> list[dict]:
    """Each error type's count, linking to those failures: the failed statuses and the window of the
    template's failed count, so the list shows as many rows as the line says. A type the list's
    filter would refuse (control characters: a handler's odd name) gets no link rather than a 400."""
    out = []
    for e in found:
        href = None
        if e["type"] and len(e["type"]) <= ERROR_TYPE_MAX_CHARS:
            try:
                no_control_characters(e["type"])
                href = _link(template=template, status=FAILED, error_type=e["type"], **window)
            except ValidationError:
                pass
        out.append({**e, "href": href})
    return out


def _seconds(value: float | None) -> str:
    return "—" if value is None else duration_text(value)


def totals(rows: list[Row], *, today: dt.date | None = None) -> list[dict]:
    """The headline over all templates, summed from the rows (no query): runs, failures, running now."""
    window = {"started_from": first_day(today).isoformat(), "started_to": (today or timezone.localdate()).isoformat()}
    return [
        {"key": "runs", "label": f"runs in {DAYS} days", "value": sum(r.runs for r in rows), "href": _link(**window)},
        {"key": "failed", "label": "failed", "value": sum(r.failed for r in rows), "href": _link(status=FAILED, **window)},
        {"key": "running", "label": "running now", "value": sum(r.running for r in rows), "href": _link(status=InstanceStatus.RUNNING.value)},
    ]


def first_day(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) - dt.timedelta(days=DAYS - 1)


def overview(templates, *, today: dt.date | None = None) -> list[Row]:
    """A row per template of ``templates``, over the last ``DAYS`` calendar days."""
    today = today or timezone.localdate()
    first = first_day(today)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    figures = stats.dashboard(since)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    window = {"started_from": first.isoformat(), "started_to": today.isoformat()}
    rows = []
    for template in templates:
        found = figures.get(template.pk, {})
        figure = found.get("stats") or {}
        by_status = figure.get("by_status", {})
        counts = found.get("days", {})
        peak = max((sum(c.values()) for c in counts.values()), default=0)
        rate = figure.get("success_rate")
        name = template.name
        rows.append(
            Row(
                template=template,
                runs=figure.get("total", 0),
                runs_href=_link(template=name, **window),
                success="—" if rate is None else f"{rate:.0%}" if rate in (0, 1) else f"{rate:.1%}",
                success_href=_link(template=name, status=InstanceStatus.COMPLETED.value, **window),
                p50=_seconds(figure.get("p50_duration_s")),
                p95=_seconds(figure.get("p95_duration_s")),
                duration_href=_link(template=name, **window, sort="-duration"),
                running=found.get("running", 0),
                running_href=_link(template=name, status=InstanceStatus.RUNNING.value),
                failed=sum(by_status.get(s, 0) for s in FAILED),
                failed_href=_link(template=name, status=FAILED, **window),
                error_types=_error_types(found.get("error_types", []), name, window),
                chart=_chart(days, counts, name, peak) if peak else "",
                peak=peak,
            )
        )
    return rows
