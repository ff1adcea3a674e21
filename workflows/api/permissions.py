"""Roles on the API (DESIGN §9): anyone signed in reads; analysts design, operators run."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workflows.roles import CONTROL_REFUSED, can_control_instance, in_group


class RoleForWrites(BasePermission):
    """Reads (and the view's ``read_actions``: POSTs that change nothing) need a login; writes need
    one of the view's ``<action>_roles``, else ``write_roles`` (superusers hold all)."""

    message = "your role does not allow this"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ()):
            return True
        return self.allows_write(request, view)

    def allows_write(self, request, view) -> bool:
        roles = getattr(view, f"{getattr(view, 'action', '')}_roles", None) or getattr(view, "write_roles", ())
        if in_group(request.user, *roles):
            return True
        self.message = f"only {' or '.join(roles)} may do this" if roles else "this is read-only"
        return False


class InstanceControl(RoleForWrites):
    """Instances: starting one needs the view's ``create_roles``; every other write (cancel, retry)
    steers a running instance, which ``roles.can_control_instance`` decides, as in the admin."""

    def allows_write(self, request, view) -> bool:
        if getattr(view, "action", None) == "create":
            return super().allows_write(request, view)
        if can_control_instance(request.user):
            return True
        self.message = CONTROL_REFUSED
        return False
