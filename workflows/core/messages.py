"""The decider's events as stored JSON: what a timer delivers, what waits in an instance's inbox.

Only the event types named here can be decoded: a stored message names a class from this fixed
table, never a module path, so nothing read back from the database chooses code to import.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import decider as d
from .errors import Failure

MESSAGES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        d.Start,
        d.AttemptCompleted,
        d.AttemptFailed,
        d.TimerFired,
        d.BackoffOver,
        d.DeadlineReached,
        d.CancelRequested,
        d.RetryRequested,
        d.ChildEnded,
        d.PauseRequested,
        d.ResumeRequested,
        d.SignalReceived,
        d.TaskDecided,
        d.TaskNoted,
        d.TaskReminder,
        d.Continue,
        d.Compensate,
        d.Reassess,
    )
}


def encode(event: object) -> dict[str, Any]:
    name = type(event).__name__
    if name not in MESSAGES:
        raise TypeError(f"{name} is not a message")
    data: dict[str, Any] = {"type": name}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        data[f.name] = dataclasses.asdict(value) if isinstance(value, Failure) else value
    return data


def decode(data: dict[str, Any]) -> object:
    cls = MESSAGES[data["type"]]
    kwargs = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
    if isinstance(kwargs.get("failure"), dict):
        kwargs["failure"] = Failure(**kwargs["failure"])
    return cls(**kwargs)
