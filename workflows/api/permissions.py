"""Roles on the API (DESIGN §9): anyone signed in reads; analysts design, operators run."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workflows.roles import in_group


class RoleForWrites(BasePermission):
    """Reads (and the view's ``read_actions``: POSTs that change nothing) need a login; writes need
    one of the view's ``<action>_roles``, else ``write_roles`` (superusers hold all)."""

    message = "your role does not allow this"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ()):
            return True
        roles = getattr(view, f"{getattr(view, 'action', '')}_roles", None) or getattr(view, "write_roles", ())
        if in_group(request.user, *roles):
            return True
        self.message = f"only {' or '.join(roles)} may do this" if roles else "this is read-only"
        return False
