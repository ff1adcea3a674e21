from django.urls import path
from rest_framework.routers import SimpleRouter

from approvals.api import ApprovalViewSet
from workflows.api import views
from workflows.api.schedules import ScheduleViewSet

router = SimpleRouter()
router.register("templates", views.TemplateViewSet, basename="template")
router.register("instances", views.InstanceViewSet, basename="instance")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("approvals", ApprovalViewSet, basename="approval")

urlpatterns = router.urls + [
    path("instances/<str:id>/steps/", views.InstanceStepsView.as_view(), name="instance-steps"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("step-types/", views.StepTypesView.as_view(), name="step-types"),
    path("handlers/", views.HandlersView.as_view(), name="handlers"),
    path("directory/", views.DirectoryView.as_view(), name="directory"),
    path("expressions/check/", views.ExpressionCheckView.as_view(), name="expression-check"),
]
