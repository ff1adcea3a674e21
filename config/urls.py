from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.demo_login import FlowdeskLoginView
from designer import monitor
from designer import views as designer_views

# Swagger UI is served from our own static files (drf-spectacular-sidecar: SWAGGER_UI_DIST="SIDECAR"),
# so the docs work offline and the site-wide policy ('self') covers its script and style. Its init
# script is a file of ours (the split view), so no inline script is needed; the docs page alone adds
# data: images, which Swagger UI's stylesheet uses for its icons.
api_docs = csp_update({"img-src": ["data:"]})(SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"))

urlpatterns = [
    path("", designer_views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("login/", FlowdeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("designer/", include("designer.urls")),
    path("instances/", monitor.instance_list, name="instances"),
    path("instances/bulk/", monitor.bulk, name="instances-bulk"),
    path("instances/<uuid:instance_id>/", designer_views.instance, name="instance"),
    path("inbox/", include("approvals.urls")),  # the reviewer's pages (each view asks for a login)
    path("api/v1/", include("workflows.api.urls")),
    # Both need a login (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]): the schema answers 401 like the
    # API, the docs page sends a browser to the login page.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", login_required(api_docs), name="api-docs"),
]

# Error pages in the product's look, JSON under /api/ (config/errors.py).
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
