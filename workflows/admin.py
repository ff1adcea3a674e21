from django.contrib import admin

from workflows.models import Event, Instance, StepRun, Template, TemplateVersion, Timer


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    fields = ("number", "status", "checksum", "published_at", "published_by", "change_note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "owner", "updated_at", "archived_at")
    search_fields = ("name", "title", "description")
    list_filter = ("archived_at",)
    inlines = [VersionInline]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ("template", "number", "status", "published_at", "published_by")
    list_filter = ("status", "template")
    search_fields = ("template__name", "change_note")
    readonly_fields = ("checksum", "published_at", "published_by", "created_at", "updated_at")


class ReadOnlyInline(admin.TabularInline):
    """History shown beside its instance: never added to or edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepRunInline(ReadOnlyInline):
    model = StepRun
    fields = ("node_id", "node_type", "attempt", "status", "error_type", "started_at", "finished_at", "worker")
    readonly_fields = fields
    show_change_link = True


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("seq", "type", "node_id", "attempt", "data", "created_at")
    readonly_fields = fields


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ("id", "template", "status", "priority", "business_key", "created_at", "finished_at")
    list_filter = ("status", "template")
    search_fields = ("id", "business_key", "idempotency_key")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Instance._meta.fields]
    inlines = [StepRunInline, EventInline]

    def has_add_permission(self, request):
        return False  # instances are started through the engine

    def has_change_permission(self, request, obj=None):
        return False  # only the engine changes an instance

    def has_delete_permission(self, request, obj=None):
        return False  # the history is the audit trail


@admin.register(StepRun)
class StepRunAdmin(admin.ModelAdmin):
    list_display = ("instance", "node_id", "attempt", "status", "error_type", "started_at", "finished_at")
    list_filter = ("status", "node_type")
    search_fields = ("instance__id", "node_id", "error_type")
    readonly_fields = [f.name for f in StepRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("instance", "seq", "type", "node_id", "created_at")
    list_filter = ("type",)
    search_fields = ("instance__id", "node_id")
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ("instance", "kind", "node_id", "attempt", "due_at")
    list_filter = ("kind",)
