"""The three roles of DESIGN §9, as Django groups (created by a migration)."""

from __future__ import annotations

ANALYSTS = "analysts"  # design and publish templates
OPERATORS = "operators"  # start and control instances
REVIEWERS = "reviewers"  # decide approvals

#: Model permissions each group gets, so the admin matches what the API allows.
GROUP_PERMISSIONS = {
    ANALYSTS: ["add_template", "change_template", "view_template", "add_templateversion", "change_templateversion", "view_templateversion", "view_instance", "view_steprun", "view_event", "view_schedule", "view_signal"],
    OPERATORS: ["view_template", "view_templateversion", "view_instance", "view_steprun", "view_event", "view_timer", "add_schedule", "change_schedule", "delete_schedule", "view_schedule", "view_signal"],
    REVIEWERS: ["view_template", "view_templateversion", "view_instance", "view_schedule"],
}


def in_group(user, *groups: str) -> bool:
    """Superusers hold every role."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    names = getattr(user, "_flowdesk_groups", None)
    if names is None:
        names = user._flowdesk_groups = set(user.groups.values_list("name", flat=True))
    return bool(names & set(groups))


# --- What each role may do: the one place the admin and the API ask -------------------------------


def can_control_instance(user) -> bool:
    """Cancel, retry, pause, resume or signal an instance: operators only. The
    admin's buttons and actions and the API's control endpoints all ask this, so a staff reviewer
    cannot do in the admin what the API refuses them."""
    return in_group(user, OPERATORS)


#: Why ``can_control_instance`` said no, in the words both the admin and the API show.
CONTROL_REFUSED = "only operators may cancel, retry, pause, resume or signal instances"


def can_manage_schedules(user) -> bool:
    """Create, change, pause or delete a schedule: it starts instances unattended, so it is the
    operators' like cancel and retry (the admin and the API both ask this)."""
    return in_group(user, OPERATORS)


SCHEDULES_REFUSED = "only operators may create, change, pause or delete schedules"


def can_see_tracebacks(user) -> bool:
    """A failed step's traceback names server paths and code: for the people who debug runs (staff
    and operators); everyone else gets the error's type and message."""
    return bool(user and user.is_authenticated and (user.is_staff or in_group(user, OPERATORS)))
