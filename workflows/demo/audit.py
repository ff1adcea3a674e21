"""Audit test cycle, the parts that need no people: profile the population, sample it, find each
record's data owner, build one request for information per owner, test each document against the
control's rules, grade and close each observation, and summarise the report.

The whole cycle (``audit-test-cycle-whole``) puts people between them as approval tasks: the plan,
the scope and the sample size are decided by reviewers, each data owner answers their own request,
and a reviewer closes each exception; ``close_observation`` then takes the reviewer's decision."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta

from workflows import handler
from workflows.core.errors import ValidationError
from workflows.demo.schemas import DAY, reads

RECORD = {
    "type": "object",
    "description": "one payment: id, owner, amount, requested_by, approved_by, approved_on, paid_on, invoice_no",
    "properties": {"id": {"type": "string"}, "owner": {"type": "string"}, "amount": {"type": "number"}},
    "required": ["id", "owner"],
}
RECORDS = {"type": "array", "items": RECORD}
AS_OF = {**DAY, "description": "the audit's reference date (default: today)", "examples": ["2026-03-31"]}
SEVERITIES = ("high", "medium", "low")
#: How bad a broken rule is: a missing approval or a self-approval defeats the control.
RULE_SEVERITY = {
    "segregation_of_duties": "high",
    "approved": "high",
    "within_limit": "high",
    "approval_before_payment": "medium",
    "amount_positive": "medium",
    "invoice_attached": "low",
}
ACTION_DAYS = {"high": 14, "medium": 30, "low": 60}
EVIDENCE = ["invoice", "approval record", "payment confirmation"]


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a date like 2026-03-31, got {value!r}") from None


def _as_of(value) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"as_of must be a date like 2026-03-31, got {value!r}") from None


#: Fields a payment needs for the tests; profiling counts the records that lack each.
PROFILED_FIELDS = ("amount", "requested_by", "approved_by", "approved_on", "paid_on", "invoice_no")


@handler(
    "demo.audit_profile_data",
    input_schema=reads(
        {
            "population": {**RECORDS, "minItems": 1, "description": "the records the control covered"},
            "period_start": {**DAY, "description": "first payment date in the audit period (default: no bound)"},
            "period_end": {**DAY, "description": "last payment date in the audit period (default: no bound)"},
        },
        "population",
    ),
)
def profile_data(input, ctx):
    """Profiles the population before scoping: the records paid within the audit period (those go
    on to sampling), who owns them, amounts, duplicate ids and the fields the tests will miss."""
    population = input.get("population")
    if not isinstance(population, list) or not population:
        raise ValidationError("population must be a non-empty list of records")
    start, end = _day(input.get("period_start"), "period_start"), _day(input.get("period_end"), "period_end")
    if start and end and start > end:
        raise ValidationError(f"the period starts on {start.isoformat()}, after its end on {end.isoformat()}")
    kept, outside, seen, duplicates = [], [], set(), []
    for index, record in enumerate(population):
        if not isinstance(record, dict) or not record.get("id") or not record.get("owner"):
            raise ValidationError(f"population[{index}] needs an id and an owner")
        if record["id"] in seen:
            duplicates.append(record["id"])
        seen.add(record["id"])
        paid = _day(record.get("paid_on"), f"population[{index}].paid_on")
        # A payment with no date stays in: the tests report it, dropping it would hide it.
        if paid and ((start and paid < start) or (end and paid > end)):
            outside.append(record["id"])
        else:
            kept.append(record)
    if not kept:
        raise ValidationError("no record was paid within the audit period")
    amounts = [r["amount"] for r in kept if isinstance(r.get("amount"), (int, float)) and not isinstance(r.get("amount"), bool)]
    return {
        "records": kept,
        "population_size": len(population),
        "in_period": len(kept),
        "out_of_period": outside,
        "period": {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None},
        "owners": dict(sorted(Counter(r["owner"] for r in kept).items())),
        "total_amount": round(sum(amounts), 2),
        "largest_amount": max(amounts, default=None),
        "missing": {field: sum(1 for r in kept if r.get(field) in (None, "")) for field in PROFILED_FIELDS},
        "duplicates": duplicates,
    }


@handler(
    "demo.audit_select_sample",
    input_schema=reads(
        {
            "population": {**RECORDS, "minItems": 1, "description": "the records the control covered"},
            "method": {"type": "string", "enum": ["interval", "random"], "default": "interval", "description": "every k-th record, or a seeded random pick"},
            "size": {"type": "integer", "minimum": 1, "maximum": 500, "default": 8, "description": "how many records to test"},
            "seed": {"type": "integer", "minimum": 0, "default": 0, "description": "the random seed, or the interval's starting offset"},
        },
        "population",
    ),
)
def select_sample(input, ctx):
    """Picks a deterministic sample: every k-th record from an offset, or a seeded random pick."""
    population = input.get("population")
    if not isinstance(population, list) or not population:
        raise ValidationError("population must be a non-empty list of records")
    for index, record in enumerate(population):
        if not isinstance(record, dict) or not record.get("id") or not record.get("owner"):
            raise ValidationError(f"population[{index}] needs an id and an owner")
    method, size, seed = input.get("method", "interval"), int(input.get("size", 8)), int(input.get("seed", 0))
    size = min(size, len(population))
    if method == "interval":
        interval = len(population) // size
        picked = list(range(seed % interval, len(population), interval))[:size]
    elif method == "random":
        interval = None
        picked = sorted(random.Random(seed).sample(range(len(population)), size))
    else:
        raise ValidationError(f"method must be 'interval' or 'random', got {method!r}")
    return {"records": [population[i] for i in picked], "positions": picked, "population_size": len(population), "sample_size": size, "method": method, "interval": interval}


@handler("demo.audit_identify_owners", input_schema=reads({"records": RECORDS}, "records"))
def identify_owners(input, ctx):
    """Groups the sampled records by data owner (owners in name order, records in sample order)."""
    groups: dict[str, list] = defaultdict(list)
    for record in input["records"]:
        groups[record["owner"]].append(record)
    owners = [{"owner": owner, "records": groups[owner]} for owner in sorted(groups)]
    return {"owners": owners, "count": len(owners)}


@handler(
    "demo.audit_request_information",
    input_schema=reads(
        {
            "owner": {"type": "string", "minLength": 1, "examples": ["Accounts payable"]},
            "records": RECORDS,
            "as_of": AS_OF,
            "response_days": {"type": "integer", "minimum": 1, "maximum": 90, "default": 10, "description": "days the owner has to answer"},
        },
        "owner",
        "records",
    ),
)
def request_information(input, ctx):
    """Builds one owner's request for information: the evidence asked for each record, and the due date."""
    due = _as_of(input.get("as_of")) + timedelta(days=int(input.get("response_days", 10)))
    records = input["records"]
    asked = [{"record": r["id"], "evidence": EVIDENCE} for r in records]
    lines = "\n".join(f"- {a['record']}: {', '.join(a['evidence'])}" for a in asked)
    letter = f"To the owner of {input['owner']}: please provide by {due.isoformat()}:\n{lines}"
    # No people in this demo: the owner's answer is the records themselves, handed on to testing.
    return {"owner": input["owner"], "due_date": due.isoformat(), "documents_requested": asked, "letter": letter, "documents": records}


def _findings(doc: dict, approval_limit: float) -> list[dict]:
    found = []

    def broken(rule: str, message: str) -> None:
        found.append({"rule": rule, "severity": RULE_SEVERITY[rule], "message": message})

    amount = doc.get("amount")
    if not isinstance(amount, (int, float)) or amount <= 0:
        broken("amount_positive", f"amount {amount!r} is not a positive number")
    if not doc.get("approved_by"):
        broken("approved", "no approver recorded")
    elif doc.get("approved_by") == doc.get("requested_by"):
        broken("segregation_of_duties", f"{doc['approved_by']} approved their own request")
    if isinstance(amount, (int, float)) and amount > approval_limit and not doc.get("second_approver"):
        broken("within_limit", f"{amount:,} is over the {approval_limit:,} limit and has no second approver")
    approved, paid = doc.get("approved_on"), doc.get("paid_on")
    if approved and paid and str(paid) < str(approved):  # ISO dates compare as text
        broken("approval_before_payment", f"paid on {paid}, before its approval on {approved}")
    if not doc.get("invoice_no"):
        broken("invoice_attached", "no invoice attached")
    return found


@handler(
    "demo.audit_test_document",
    input_schema=reads(
        {
            "document": RECORD,
            "approval_limit": {"type": "number", "exclusiveMinimum": 0, "default": 10000, "description": "above it, a second approver is required"},
        },
        "document",
    ),
)
def test_document(input, ctx):
    """Checks one document against the control's rules: pass or fail, with a finding per broken rule."""
    doc = input.get("document")
    if not isinstance(doc, dict) or not doc.get("id"):
        raise ValidationError("document must be a record with an id")
    findings = _findings(doc, float(input.get("approval_limit", 10000)))
    return {"id": doc["id"], "owner": doc.get("owner"), "result": "fail" if findings else "pass", "findings": findings}


TEST = {
    "type": "object",
    "description": "a test_document output",
    "properties": {"id": {"type": "string"}, "owner": {"type": "string"}, "result": {"type": "string", "enum": ["pass", "fail"]}, "findings": {"type": "array"}},
    "required": ["id", "findings"],
}


@handler("demo.audit_grade_observation", input_schema=reads({"test": TEST}, "test"))
def grade_observation(input, ctx):
    """Grades one test's observation by its worst finding (none when the test passed)."""
    test = input["test"]
    severities = {f.get("severity") for f in test.get("findings") or []}
    severity = next((s for s in SEVERITIES if s in severities), "none")
    return {"id": test["id"], "owner": test.get("owner"), "severity": severity, "findings": len(test.get("findings") or []), "rules": sorted(f.get("rule") for f in test.get("findings") or [])}


REVIEW = {
    "type": "object",
    "description": "the reviewer's decision on the observation (an approval step's output); none: closed as graded",
    "properties": {
        "decision": {"type": "string", "enum": ["approved", "rejected", "changes"]},
        "data": {"type": "object", "description": "severity, resolution, action_due as the reviewer set them"},
        "by": {"type": "string"},
        "comment": {"type": "string"},
    },
    "required": ["decision"],
}


@handler(
    "demo.audit_close_observation",
    input_schema=reads(
        {
            "observation": {"type": "object", "description": "a grade_observation output", "properties": {"severity": {"type": "string", "enum": ["none", *SEVERITIES]}}, "required": ["severity"]},
            "as_of": AS_OF,
            "review": REVIEW,
        },
        "observation",
    ),
)
def close_observation(input, ctx):
    """Closes the observation: no exception, or an agreed action due sooner the worse it is. With a
    reviewer's decision: approved closes it at the severity, resolution and due date the reviewer
    set (blank ones as graded), rejected dismisses it (no exception)."""
    observation, resolution, due = dict(input["observation"]), "", None
    if input.get("review"):
        observation, resolution, due = _reviewed(observation, input["review"])
    severity = observation["severity"]
    if severity == "none":
        return {**observation, "status": "closed", "resolution": resolution or "no exception", "action_due": None}
    if severity not in ACTION_DAYS:
        raise ValidationError(f"unknown severity {severity!r}")
    due = due or (_as_of(input.get("as_of")) + timedelta(days=ACTION_DAYS[severity])).isoformat()
    return {**observation, "status": "closed", "resolution": resolution or "action agreed with the owner", "action_due": due}


def _reviewed(observation: dict, review) -> tuple[dict, str, str | None]:
    """``(observation, resolution, action due)`` as the reviewer's decision leaves them."""
    if not isinstance(review, dict):
        raise ValidationError("review must be an approval step's output")
    decision, data = review.get("decision"), review.get("data") or {}
    marked = {**observation, "proposed_severity": observation["severity"], "reviewed_by": review.get("by") or ""}
    if decision == "rejected":
        comment = (review.get("comment") or "").strip()
        return {**marked, "severity": "none"}, "dismissed by the reviewer" + (f": {comment}" if comment else ""), None
    if decision != "approved":
        raise ValidationError(f"the reviewer's decision is {decision!r}: only an approved or a rejected observation can be closed")
    due = _day(data.get("action_due"), "review.data.action_due")
    return {**marked, "severity": data.get("severity") or observation["severity"]}, str(data.get("resolution") or "").strip(), due.isoformat() if due else None


@handler(
    "demo.audit_finalise_report",
    input_schema=reads(
        {
            "observations": {"type": "array", "items": {"type": "object"}, "description": "every closed observation"},
            "population_size": {"type": "integer", "minimum": 0},
            "requests": {"type": "integer", "minimum": 0, "description": "how many requests for information were sent"},
            "scope": {"type": "object", "description": "the plan and scope as decided (objective, period, materiality): repeated in the report"},
        },
        "observations",
    ),
)
def finalise_report(input, ctx):
    """Summarises the cycle: exceptions by severity and owner, open actions, and the conclusion."""
    observations = input["observations"]
    if any(not isinstance(o, dict) or o.get("status") != "closed" for o in observations):
        raise ValidationError("every observation must be closed before the report is final")
    exceptions = [o for o in observations if o["severity"] != "none"]
    by_severity = Counter(o["severity"] for o in exceptions)
    if by_severity["high"]:
        conclusion = "not effective"
    elif exceptions:
        conclusion = "effective with exceptions"
    else:
        conclusion = "effective"
    report = {
        "population": input.get("population_size"),
        "tested": len(observations),
        "requests": input.get("requests"),
        "passed": len(observations) - len(exceptions),
        "exceptions": len(exceptions),
        "exception_rate": round(len(exceptions) / len(observations), 3) if observations else 0,
        "by_severity": {s: by_severity[s] for s in SEVERITIES},
        "by_owner": dict(sorted(Counter(o["owner"] for o in exceptions).items())),
        "actions": [{"id": o["id"], "owner": o["owner"], "severity": o["severity"], "due": o["action_due"]} for o in exceptions],
        "conclusion": conclusion,
    }
    if input.get("scope"):
        report["scope"] = input["scope"]
    return report
