"""Demo handlers: the seed scenarios (staff schedules, image generation) doing real, small work,
plus generic building blocks (noop, sleep, fail, flaky) used by the benchmark and the tests. The
audit, learning-path and media scenarios have their own modules, registered from here."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import struct
import time
import zlib
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail

from workflows import handler
from workflows.core.errors import NonRetryableError, StepError, ValidationError
from workflows.demo import audit, learning, maintenance, media  # noqa: F401  (register the scenario handlers)
from workflows.demo.schemas import DAY, reads

log = logging.getLogger(__name__)


NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
ASSIGNMENTS = {
    "type": "array",
    "description": "the generated schedule: date, shift and person (null when unfilled)",
    "items": {"type": "object", "properties": {"date": DAY, "shift": {"type": "string"}, "person": {"type": ["string", "null"]}}},
}
LEAVE = {"type": "object", "description": "days off per person", "additionalProperties": {"type": "array", "items": DAY}, "examples": [{"Ben": ["2026-12-03"]}]}
MAIL = reads(
    {
        "to": {**NAMES, "description": "addresses (default team@example.com)", "examples": [["team@example.com"]]},
        "subject": {"type": "string", "maxLength": 200, "default": "Flowdesk notification"},
        "body": {"type": "string", "examples": ["The rota is ready."]},
    }
)
PROMPT = {"type": "string", "minLength": 3, "maxLength": 500, "description": "what to draw", "examples": ["a lighthouse at dawn"]}
SIZE = {"type": "integer", "enum": [32, 64, 128], "default": 64, "description": "width and height in pixels"}

# --- generic building blocks -------------------------------------------------------------------------


@handler("demo.noop")
def noop(input, ctx):
    """Does nothing; returns its input."""
    return input


@handler("demo.clock")
def clock(input, ctx):
    """Returns the wall-clock time it ran at (the benchmark measures step-to-step gaps with it)."""
    return {"t": time.time()}


@handler("demo.sleep", input_schema=reads({"seconds": {"type": "number", "minimum": 0, "default": 0.5}}))
def sleep(input, ctx):
    """Sleeps ``seconds`` (default 0.5) and says who ran it."""
    seconds = float((input or {}).get("seconds", 0.5))
    time.sleep(seconds)
    return {"slept_s": seconds, "attempt": ctx.attempt}


@handler(
    "demo.fail",
    input_schema=reads(
        {
            "message": {"type": "string", "default": "failed on purpose"},
            "retryable": {"type": "boolean", "default": True, "description": "false: fail the step without retrying"},
            "type": {"type": "string", "description": "the error type the step records", "examples": ["CardDeclined"]},
            "when": {"type": "boolean", "default": True, "description": "false: succeed instead, returning the input (one item of a map fails)"},
        }
    ),
)
def fail(input, ctx):
    """Fails (unless ``when`` is false); ``retryable`` (default true) and ``type`` choose how."""
    input = input or {}
    if input.get("when", True) is False:
        return input
    raise StepError(input.get("message", "failed on purpose"), retryable=input.get("retryable", True), type=input.get("type"))


@handler("demo.flaky", input_schema=reads({"failures": {"type": "integer", "minimum": 0, "default": 2, "description": "attempts that fail before one succeeds"}}))
def flaky(input, ctx):
    """Fails its first ``failures`` attempts (default 2) with a retryable error, then succeeds."""
    failures = int((input or {}).get("failures", 2))
    if ctx.attempt <= failures:
        raise StepError(f"attempt {ctx.attempt} failed (fails {failures} times)", type="TransientError")
    return {"succeeded_on_attempt": ctx.attempt}


@handler(
    "demo.export_rows",
    input_schema=reads(
        {
            "rows": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 200},
            "per_row_s": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.005},
            "stall_at": {"type": "integer", "minimum": 0, "description": "the first attempt stops heartbeating here (a hung export)"},
        }
    ),
)
def export_rows(input, ctx):
    """A long export that reports progress with heartbeats and resumes where the last attempt got."""
    input = input or {}
    rows, per_row = int(input.get("rows", 200)), float(input.get("per_row_s", 0.005))
    start = int((ctx.heartbeat_details or {}).get("done", 0))
    stall_at = input.get("stall_at")
    for done in range(start, rows):
        if ctx.attempt == 1 and stall_at is not None and done >= stall_at:
            while not ctx.abandoned():  # hung: no more heartbeats; the worker gives up on it
                time.sleep(0.05)
            raise StepError("abandoned", type="Abandoned")
        time.sleep(per_row)
        ctx.heartbeat({"progress": round((done + 1) / rows, 4), "done": done + 1})
    return {"exported": rows, "resumed_from": start, "attempt": ctx.attempt}


# --- a transactional request (the saga demo): each step has a compensate handler --------------


@handler("demo.reserve_resources", input_schema=reads({"resources": {**NAMES, "default": ["db-connection", "gpu-slot"]}}))
def reserve_resources(input, ctx):
    """Reserves resources for the request (idempotent on the step's key)."""
    resources = list((input or {}).get("resources") or ["db-connection", "gpu-slot"])
    return {"reservation": f"R-{hashlib.sha1(ctx.idempotency_key.encode()).hexdigest()[:8]}", "resources": resources}


@handler("demo.release_resources", input_schema=reads({"output": {"type": "object", "description": "what reserve_resources returned (a compensation's input)"}}))
def release_resources(input, ctx):
    """Compensates ``reserve_resources``: releases what it reserved."""
    reserved = (input or {}).get("output") or {}
    return {"released": reserved.get("reservation"), "resources": reserved.get("resources", []), "at": time.time()}


@handler("demo.process_request", input_schema=reads({"request": {"type": "string", "default": "monthly invoice run"}}))
def process_request(input, ctx):
    """Processes the request, writing a draft record."""
    request = (input or {}).get("request", "monthly invoice run")
    return {"record": f"draft-{hashlib.sha1(ctx.idempotency_key.encode()).hexdigest()[:8]}", "request": request}


@handler("demo.rollback_processing", input_schema=reads({"output": {"type": "object", "description": "what process_request returned (a compensation's input)"}}))
def rollback_processing(input, ctx):
    """Compensates ``process_request``: deletes the draft record it wrote."""
    processed = (input or {}).get("output") or {}
    return {"rolled_back": processed.get("record"), "at": time.time()}


@handler("demo.commit_transaction", input_schema=reads({"fail": {"type": "boolean", "default": False, "description": "the ledger refuses every attempt"}}))
def commit_transaction(input, ctx):
    """Commits the transaction; with ``fail`` the ledger is unavailable on every attempt."""
    if (input or {}).get("fail"):
        raise StepError(f"the ledger is unavailable (attempt {ctx.attempt})", type="LedgerUnavailable")
    return {"committed": True}


@handler(
    "demo.undo_slowly",
    input_schema=reads(
        {
            "input": {"type": "object", "description": "the compensated step's input; its undo_s is how long the undo takes (default 1 s)"},
            "output": {"type": "object", "description": "what the compensated step returned"},
        }
    ),
)
def undo_slowly(input, ctx):
    """Compensates any step, slowly (a long undo: the crash tests kill its worker meanwhile)."""
    input = input or {}
    seconds = float((input.get("input") or {}).get("undo_s", 1.0))
    time.sleep(seconds)
    return {"undid": input.get("output"), "attempt": ctx.attempt}


@handler("demo.not_json")
def not_json(input, ctx):
    """Returns something JSON cannot hold."""
    return {"when": object()}


# --- staff schedule generation -------------------------------------------------------------------


def _parse_day(value, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a date like 2026-01-31, got {value!r}") from None


@handler(
    "demo.validate_schedule_request",
    input_schema=reads(
        {
            "start_date": {**DAY, "description": "first day", "examples": ["2026-12-01"]},
            "end_date": {**DAY, "description": "last day (at most 93 days in all)", "examples": ["2026-12-14"]},
            "staff": {**NAMES, "minItems": 1, "description": "who can be scheduled", "examples": [["Ana", "Ben", "Chloe"]]},
            "shifts": {**NAMES, "default": ["day", "night"]},
        },
        "start_date",
        "end_date",
        "staff",
    ),
)
def validate_schedule_request(input, ctx):
    """Checks dates, staff and shifts of a schedule request."""
    start, end = _parse_day(input.get("start_date"), "start_date"), _parse_day(input.get("end_date"), "end_date")
    if end < start:
        raise ValidationError("end_date is before start_date")
    if (end - start).days > 92:
        raise ValidationError("a schedule covers at most 93 days")
    staff = input.get("staff") or []
    if not staff or not all(isinstance(s, str) and s for s in staff):
        raise ValidationError("staff must be a non-empty list of names")
    shifts = input.get("shifts") or ["day", "night"]
    return {"start_date": start.isoformat(), "end_date": end.isoformat(), "staff": staff, "shifts": shifts, "days": (end - start).days + 1}


@handler(
    "demo.generate_schedule",
    input_schema=reads(
        {"start_date": DAY, "days": {"type": "integer", "minimum": 1}, "staff": NAMES, "shifts": NAMES, "unavailable": LEAVE},
        "start_date",
        "days",
        "staff",
        "shifts",
    ),
)
def generate_schedule(input, ctx):
    """Round-robin assignment that skips people on leave and never gives anyone two shifts a day."""
    start = date.fromisoformat(input["start_date"])
    staff, shifts = input["staff"], input["shifts"]
    leave = {(p, d) for p, days in (input.get("unavailable") or {}).items() for d in days}
    assignments, turn = [], 0
    for offset in range(input["days"]):
        day = (start + timedelta(days=offset)).isoformat()
        taken: set[str] = set()
        for shift in shifts:
            for _ in range(len(staff)):
                person = staff[turn % len(staff)]
                turn += 1
                if person not in taken and (person, day) not in leave:
                    break
            else:
                person = None  # nobody free: left for conflict detection to report
            if person:
                taken.add(person)
            assignments.append({"date": day, "shift": shift, "person": person})
    return {"assignments": assignments, "count": len(assignments)}


@handler(
    "demo.check_compliance",
    input_schema=reads({"assignments": ASSIGNMENTS, "max_shifts_per_week": {"type": "integer", "minimum": 1, "default": 5}}, "assignments"),
)
def check_compliance(input, ctx):
    """Working-time rules: at most ``max_shifts_per_week`` per person per ISO week, and rest after nights."""
    limit = int(input.get("max_shifts_per_week", 5))
    weekly: Counter = Counter()
    nights: dict[str, set[str]] = defaultdict(set)
    for a in input["assignments"]:
        if a["person"]:
            weekly[(a["person"], date.fromisoformat(a["date"]).isocalendar()[:2])] += 1
            if a["shift"] == "night":
                nights[a["person"]].add(a["date"])
    violations = [
        {"rule": "max_shifts_per_week", "person": person, "week": f"{year}-W{week:02d}", "shifts": n}
        for (person, (year, week)), n in sorted(weekly.items())
        if n > limit
    ]
    for a in input["assignments"]:
        previous = (date.fromisoformat(a["date"]) - timedelta(days=1)).isoformat()
        if a["person"] and a["shift"] != "night" and previous in nights[a["person"]]:
            violations.append({"rule": "rest_after_night", "person": a["person"], "date": a["date"]})
    return {"compliant": not violations, "violations": violations}


@handler("demo.detect_conflicts", input_schema=reads({"assignments": ASSIGNMENTS, "unavailable": LEAVE}, "assignments"))
def detect_conflicts(input, ctx):
    """Unfilled shifts and shifts given to someone on leave."""
    leave = {(p, d) for p, days in (input.get("unavailable") or {}).items() for d in days}
    conflicts = [
        {"date": a["date"], "shift": a["shift"], "problem": "unfilled" if not a["person"] else f"{a['person']} is on leave"}
        for a in input["assignments"]
        if not a["person"] or (a["person"], a["date"]) in leave
    ]
    return {"conflicts": conflicts, "count": len(conflicts)}


@handler("demo.notify", input_schema=MAIL)
def notify(input, ctx):
    """E-mails a summary through Django's mail backend (the console in the local run)."""
    subject = str(input.get("subject", "Flowdesk notification"))[:200]
    body = str(input.get("body", ""))
    sent = send_mail(subject, body, None, input.get("to") or ["team@example.com"], fail_silently=False)
    return {"sent": sent, "subject": subject}


# --- image generation ----------------------------------------------------------------------------

BLOCKED_WORDS = {"violence", "gore", "weapon"}


@handler("demo.validate_prompt", input_schema=reads({"prompt": PROMPT, "size": SIZE}, "prompt"))
def validate_prompt(input, ctx):
    """Checks the prompt's length and the image size."""
    prompt = str(input.get("prompt", "")).strip()
    if not 3 <= len(prompt) <= 500:
        raise ValidationError("the prompt must be 3 to 500 characters long")
    size = int(input.get("size", 64))
    if size not in (32, 64, 128):
        raise ValidationError("size must be 32, 64 or 128")
    return {"prompt": prompt, "size": size}


@handler("demo.content_filter", input_schema=reads({"prompt": PROMPT}, "prompt"))
def content_filter(input, ctx):
    """Refuses prompts with blocked words (not retried)."""
    words = set(input["prompt"].lower().split())
    blocked = sorted(words & BLOCKED_WORDS)
    if blocked:
        raise NonRetryableError(f"the prompt contains blocked words: {', '.join(blocked)}", type="ContentRejected")
    return {"allowed": True}


def _png(size: int, seed: bytes) -> bytes:
    """A small gradient PNG coloured by the prompt's hash (pure Python, no imaging library)."""
    r0, g0, b0, r1, g1, b1 = seed[:6]
    rows = b"".join(
        b"\x00" + b"".join(bytes(((r0 * (size - x) + r1 * x) // size, (g0 * (size - y) + g1 * y) // size, (b0 + b1 * x * y // (size * size)) % 256)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _image(input, backend: str) -> dict:
    seed = hashlib.sha256(input["prompt"].encode()).digest()
    png = _png(int(input.get("size", 64)), seed)
    return {"backend": backend, "format": "png", "bytes": len(png), "png_base64": base64.b64encode(png).decode()}


@handler("demo.generate_image_local", input_schema=reads({"prompt": PROMPT, "size": SIZE}, "prompt"))
def generate_image_local(input, ctx):
    """Draws a small PNG from the prompt on this machine."""
    return _image(input, "local")


@handler("demo.generate_image_remote", input_schema=reads({"prompt": PROMPT, "size": SIZE}, "prompt"))
def generate_image_remote(input, ctx):
    """A remote backend that is busy on the first attempt: shows retries with backoff."""
    if ctx.attempt == 1:
        raise StepError("the remote backend answered 503 (busy); retrying", type="BackendUnavailable")
    return _image(input, "remote")


def _media_dir() -> Path:
    path = Path(settings.DATA_DIR) / "media" / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


@handler(
    "demo.save_image",
    input_schema=reads(
        {"image": {"type": "object", "description": "a generate_image output", "properties": {"png_base64": {"type": "string"}, "backend": {"type": "string"}}, "required": ["png_base64"]}},
        "image",
    ),
)
def save_image(input, ctx):
    """Writes the image to the media folder, one file per instance."""
    image = input.get("image") or {}
    if not image.get("png_base64"):
        raise ValidationError("no image to save")
    path = _media_dir() / f"{ctx.instance_id}.png"
    path.write_bytes(base64.b64decode(image["png_base64"]))  # same name on a retry: idempotent
    return {"path": str(path), "bytes": path.stat().st_size, "backend": image.get("backend")}


@handler(
    "demo.update_history",
    input_schema=reads({"prompt": {"type": "string"}, "path": {"type": "string"}, "fail": {"type": "boolean", "default": False, "description": "true: fail, to show on_failure: continue"}}),
)
def update_history(input, ctx):
    """Best effort: appends to a JSON-lines history file (the workflow continues if this fails)."""
    if input.get("fail"):
        raise StepError("the history store is unavailable", type="HistoryUnavailable")
    history = Path(settings.DATA_DIR) / "media" / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    with history.open("a") as fh:
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")  # daily-maintenance archives by it
        fh.write(json.dumps({"key": ctx.idempotency_key, "prompt": input.get("prompt"), "path": input.get("path"), "at": at}) + "\n")
    return {"recorded": True}
