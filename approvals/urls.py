"""The reviewer's pages under ``/inbox/`` (every view asks for a login)."""

from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("away/", views.away, name="away"),
    path("away/<int:absence_id>/delete/", views.away_delete, name="away-delete"),
    path("<int:task_id>/", views.task_detail, name="task"),
    path("<int:task_id>/claim/", views.claim, name="claim"),
    path("<int:task_id>/unclaim/", views.unclaim, name="unclaim"),
    path("<int:task_id>/delegate/", views.delegate, name="delegate"),
    path("<int:task_id>/comment/", views.comment, name="comment"),
    path("<int:task_id>/snooze/", views.snooze, name="snooze"),
    path("<int:task_id>/decide/", views.decide, name="decide"),
]
