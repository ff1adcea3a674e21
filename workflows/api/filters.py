from __future__ import annotations

from datetime import timezone

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from workflows import lineage
from workflows.core.status import InstanceStatus, StepStatus, choices
from workflows.models import Instance, StepRun, Template


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC: offsets PostgreSQL cannot take (e.g. -22:12) and
    moments outside years 1-9999 are refused as a 400, not passed on to fail as a 500."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(timezone.utc)
            except (OverflowError, ValueError):
                raise ValidationError({self.field_name: ["is out of the supported range"]}) from None
        return super().filter(qs, value)


@extend_schema_field(OpenApiTypes.UUID)
class InstanceIdFilter(django_filters.ModelChoiceFilter):
    """An instance by its id (an unknown one is a 400 naming the parameter, not an empty list that hides a typo)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Instance.objects.all(), **kwargs)


class InstanceFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(field_name="template__name", help_text="template name")
    status = django_filters.MultipleChoiceFilter(choices=choices(InstanceStatus))
    priority_min = django_filters.NumberFilter(field_name="priority", lookup_expr="gte")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    business_key = django_filters.CharFilter()
    include_tests = django_filters.BooleanFilter(method="with_tests", help_text="include designer test runs (left out by default)")
    parent = InstanceIdFilter(method="children_of", help_text="the instances this one's steps started (test runs too)")

    class Meta:
        model = Instance
        fields = ["template", "status", "priority_min", "created_after", "created_before", "business_key", "include_tests"]

    @property
    def qs(self):
        queryset = super().qs
        data = self.form.cleaned_data
        if not (data.get("include_tests") or data.get("parent")):  # children_count counts them all
            queryset = queryset.filter(is_test=False)
        return queryset

    def children_of(self, queryset, name, value):
        return queryset.filter(lineage.child_of(value))

    def with_tests(self, queryset, name, value):
        return queryset  # applied in ``qs``: tests are out unless this is true


class TemplateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="search name, title and description")
    tag = django_filters.CharFilter(method="has_tag")
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Template
        fields = ["q", "tag", "archived"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))

    def has_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value])


class StepFilter(django_filters.FilterSet):
    """One instance's step attempts (``/instances/{id}/steps/``); values longer than the columns are
    a 400 naming the parameter."""

    node = django_filters.CharFilter(field_name="node_id", max_length=64, help_text="node id")
    status = django_filters.MultipleChoiceFilter(choices=choices(StepStatus), help_text="one or several: ?status=failed&status=running")
    item = django_filters.CharFilter(field_name="item_key", max_length=64, help_text="item key (one item of a node that runs per item)")

    class Meta:
        model = StepRun
        fields = ["node", "status", "item"]
