from django.urls import path
from django.views.generic import RedirectView

from designer import views

app_name = "designer"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.create_template, name="create"),
    path("import/", views.import_template, name="import"),
    path("t/<slug:name>/", views.editor, name="editor"),
    path("t/<slug:name>/export/", views.export_template, name="export"),
    path("t/<slug:name>/duplicate/", views.duplicate_template, name="duplicate"),
    path("t/<slug:name>/archive/", views.archive_template, name="archive"),
    # The instance page moved to /instances/<id>/ (the operator's home); old links keep working.
    path("instances/<uuid:instance_id>/", RedirectView.as_view(pattern_name="instance", permanent=True, query_string=True), name="instance"),
]
