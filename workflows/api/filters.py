from __future__ import annotations

from datetime import timezone

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT
from django.db.models.functions import Length
from django.db.models.lookups import Exact, GreaterThan
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from workflows import lineage, step_summary
from workflows.core.status import InstanceStatus, StepStatus, choices
from workflows.models import Instance, StepRun, Template, TemplateVersion
from workflows.query_checks import ERROR_TYPE_MAX_CHARS, no_control_characters


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, in UTC: offsets PostgreSQL cannot take (e.g. -22:12) become UTC, and
    moments that would leave years 1-9999 doing so are a 400 naming the parameter, not a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value = value.astimezone(timezone.utc)
            except (OverflowError, ValueError):
                raise forms.ValidationError("is out of the supported range") from None
        return value


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class YesNoField(forms.Field):
    """true/false (or 1/0, any case); anything else is a 400. Django's NullBooleanField would read
    ``?include_tests=maybe``, and even ``=1``, as "not given" and silently answer something else."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        answer = {"true": True, "1": True, "false": False, "0": False}.get(str(value).lower())
        if answer is None:
            raise forms.ValidationError("must be true or false")
        return answer


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


@extend_schema_field(OpenApiTypes.UUID)
class InstanceIdFilter(django_filters.ModelChoiceFilter):
    """An instance by its id (an unknown one is a 400 naming the parameter, not an empty list that hides a typo)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Instance.objects.all(), **kwargs)


class InstanceFilter(django_filters.FilterSet):
    # An unknown name is a 400 naming ``template`` (as on /instances/), not an empty list that hides a typo.
    template = django_filters.ModelChoiceFilter(queryset=Template.objects.all(), to_field_name="name", help_text="template name")
    status = django_filters.MultipleChoiceFilter(choices=choices(InstanceStatus))
    priority_min = django_filters.NumberFilter(field_name="priority", lookup_expr="gte")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    business_key = django_filters.CharFilter()
    error_type = django_filters.CharFilter(
        method="with_error_type", max_length=ERROR_TYPE_MAX_CHARS, validators=[no_control_characters],
        help_text="the failing error type, exactly (e.g. StepError), as the instance's error.type",
    )
    include_tests = YesNoFilter(method="with_tests", help_text="include designer test runs (left out by default)")
    parent = InstanceIdFilter(method="children_of", help_text="the instances this one's steps started (test runs too)")

    class Meta:
        model = Instance
        fields = ["template", "status", "priority_min", "created_after", "created_before", "business_key", "error_type", "include_tests"]

    @property
    def qs(self):
        queryset = super().qs
        data = self.form.cleaned_data
        if not (data.get("include_tests") or data.get("parent")):  # children_count counts them all
            queryset = queryset.filter(is_test=False)
        return queryset

    def with_error_type(self, queryset, name, value):
        return queryset.filter(Exact(KT("error__type"), value))

    def children_of(self, queryset, name, value):
        return queryset.filter(lineage.child_of(value))

    def with_tests(self, queryset, name, value):
        return queryset  # applied in ``qs``: tests are out unless this is true


class TemplateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="search name, title and description")
    tag = django_filters.CharFilter(method="has_tag")
    archived = YesNoFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    published = YesNoFilter(method="has_published", help_text="true: only templates with a published version; false: only those without")

    class Meta:
        model = Template
        fields = ["q", "tag", "archived", "published"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))

    def has_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value])

    def has_published(self, queryset, name, value):
        published = TemplateVersion.objects.filter(template=OuterRef("pk"), status=TemplateVersion.Status.PUBLISHED)
        return queryset.filter(Exists(published) if value else ~Exists(published))


class StepFilter(django_filters.FilterSet):
    """One instance's step attempts (``/instances/{id}/steps/``); values longer than the columns are
    a 400 naming the parameter. ``latest`` and ``items`` make it a map's items list: each item once,
    as it stands (its latest attempt), which ``status`` then filters as ``step_counts`` counts."""

    node = django_filters.CharFilter(field_name="node_id", max_length=64, help_text="node id")
    status = django_filters.MultipleChoiceFilter(choices=choices(StepStatus), help_text="one or several: ?status=failed&status=running")
    item = django_filters.CharFilter(field_name="item_key", max_length=64, help_text="item key (one item of a node that runs per item)")
    latest = YesNoFilter(method="latest_only", help_text="true: only the latest attempt of each (node, item)")
    items = YesNoFilter(
        method="items_only", help_text="true: only the items of nodes that run per item (map items, loop iterations); false: only the nodes' own steps"
    )

    class Meta:
        model = StepRun
        fields = ["node", "status", "item", "latest", "items"]

    def latest_only(self, queryset, name, value):
        return queryset.filter(step_summary.is_latest()) if value else queryset

    def items_only(self, queryset, name, value):
        # length > 0, as the partial index of items in number order states it (workflows.models)
        return queryset.filter(GreaterThan(Length("item_key"), 0)) if value else queryset.filter(item_key="")
