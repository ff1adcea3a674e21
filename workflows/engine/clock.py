"""The engine reasons in epoch seconds (the decider is pure); the database stores datetimes."""

from __future__ import annotations

from datetime import datetime, timezone


def to_dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def to_epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()
