"""What the engine and authoring refuse, with the field to blame; the API maps ``code`` to an HTTP
status (``workflows.api.errors``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.models import TemplateVersion


class EngineError(Exception):
    """A request the engine refuses; ``code`` maps to an HTTP status in the API."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(EngineError):
    code = "not_found"


class Conflict(EngineError):
    """Not allowed in the current state (cancel a completed instance...)."""

    code = "conflict"


class Forbidden(EngineError):
    """Seen, but not this user's to do (the instance's starter deciding its approval...)."""

    code = "forbidden"


class Invalid(EngineError):
    """Several fields are wrong at once (a decision form): ``errors`` maps each to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), field=next(iter(errors), None))
        self.errors = errors


class InputTooLarge(EngineError):
    code = "too_large"


class StaleDraft(Conflict):
    """Someone saved the draft since this edit began; carries what is stored now."""

    def __init__(self, draft: TemplateVersion):
        who = draft.updated_by.get_username() if draft.updated_by else "someone"
        super().__init__(f"{who} saved this draft at {draft.updated_at:%H:%M:%S} (revision {draft.revision}); reload it before saving", field="revision")
        self.current = {"revision": draft.revision, "updated_at": draft.updated_at.isoformat(), "updated_by": who}
