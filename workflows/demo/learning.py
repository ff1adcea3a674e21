"""Learning path: grade the learner's quiz, generate modules (a busy generator shows retries with
backoff), gather resources per module, spread the modules over weeks and save the plan."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings

from workflows import handler
from workflows.core.errors import StepError, ValidationError
from workflows.demo.schemas import DAY, reads

LEVELS = ("beginner", "intermediate", "advanced")
TOPIC = {"type": "string", "minLength": 2, "maxLength": 100, "description": "what to learn", "examples": ["data analysis"]}
LEVEL = {"type": "string", "enum": list(LEVELS)}
SKILLS = {"type": "array", "items": {"type": "string"}, "description": "skills the quiz found weak"}
ANSWER = {
    "type": "object",
    "properties": {
        "skill": {"type": "string", "minLength": 1},
        "difficulty": {"type": "integer", "minimum": 1, "maximum": 3, "default": 1},
        "given": {"type": "string"},
        "expected": {"type": "string"},
    },
    "required": ["skill", "given", "expected"],
}
MODULE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "hours": {"type": "number", "exclusiveMinimum": 0}},
    "required": ["id", "title", "hours"],
}
#: Core modules per level; weak skills get a review module first.
CURRICULUM = {
    "beginner": ["Getting started with {topic}", "{topic} fundamentals", "Hands-on: a first {topic} project", "Common mistakes in {topic}"],
    "intermediate": ["{topic} in practice", "Patterns and idioms of {topic}", "Hands-on: a {topic} case study", "Testing and reviewing {topic} work"],
    "advanced": ["Advanced {topic}", "{topic} at scale", "Capstone: design a {topic} solution"],
}
HOURS = {"beginner": 4, "intermediate": 5, "advanced": 6}
REVIEW_HOURS = 2


@handler(
    "demo.assess_skill_level",
    input_schema=reads(
        {
            "learner": {"type": "string", "minLength": 1, "examples": ["Maya"]},
            "answers": {"type": "array", "items": ANSWER, "minItems": 1, "description": "quiz answers: the skill asked, its difficulty, the answer given and the expected one"},
        },
        "answers",
    ),
)
def assess_skill_level(input, ctx):
    """Grades the quiz, weighting answers by difficulty: the level, the score and the weak skills."""
    answers = input.get("answers")
    if not isinstance(answers, list) or not answers:
        raise ValidationError("answers must be a non-empty list of quiz answers")
    earned = possible = 0
    wrong: Counter = Counter()
    skills = set()
    for index, answer in enumerate(answers):
        if not isinstance(answer, dict) or not answer.get("skill") or "given" not in answer or "expected" not in answer:
            raise ValidationError(f"answers[{index}] needs a skill, the answer given and the one expected")
        weight = int(answer.get("difficulty", 1))
        skills.add(answer["skill"])
        possible += weight
        if str(answer["given"]).strip().lower() == str(answer["expected"]).strip().lower():
            earned += weight
        else:
            wrong[answer["skill"]] += 1
    score = round(earned / possible, 3)
    level = "beginner" if score < 0.4 else "intermediate" if score < 0.75 else "advanced"
    weak = sorted(wrong, key=lambda s: (-wrong[s], s))
    return {"learner": input.get("learner"), "score": score, "level": level, "weak_skills": weak, "strong_skills": sorted(skills - set(wrong))}


@handler(
    "demo.generate_modules",
    input_schema=reads(
        {
            "topic": TOPIC,
            "level": LEVEL,
            "weak_skills": SKILLS,
            "busy_attempts": {"type": "integer", "minimum": 0, "default": 1, "description": "attempts on which the generator is busy (retried with backoff)"},
        },
        "topic",
        "level",
    ),
)
def generate_modules(input, ctx):
    """Builds the course's modules for the level, with a review module per weak skill first."""
    if ctx.attempt <= int(input.get("busy_attempts", 1)):
        raise StepError("the course generator is busy (429); retrying", type="GeneratorBusy")
    topic, level = str(input["topic"]).strip(), input["level"]
    if level not in LEVELS:
        raise ValidationError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    titles = [(f"Review: {skill}", REVIEW_HOURS, "review") for skill in input.get("weak_skills") or []]
    titles += [(title.format(topic=topic), HOURS[level], "core") for title in CURRICULUM[level]]
    modules = [{"id": f"m{i}", "title": title[0].upper() + title[1:], "hours": hours, "kind": kind} for i, (title, hours, kind) in enumerate(titles, 1)]
    return {"modules": modules, "count": len(modules), "total_hours": sum(m["hours"] for m in modules)}


@handler("demo.fetch_resources", input_schema=reads({"module": MODULE}, "module"))
def fetch_resources(input, ctx):
    """Picks a module's reading, video and exercise from the (built-in) library, sized to its hours."""
    module = input["module"]
    ref = hashlib.sha256(module["title"].encode()).hexdigest()
    minutes = float(module["hours"]) * 60
    resources = [
        {"kind": kind, "title": f"{module['title']}: {kind}", "ref": f"LIB-{ref[i * 6:(i + 1) * 6].upper()}", "minutes": round(minutes * share)}
        for i, (kind, share) in enumerate((("reading", 0.3), ("video", 0.2), ("exercise", 0.5)))
    ]
    return {"module": module["id"], "resources": resources}


def _start_date(value) -> date:
    if not value:
        today = date.today()
        return today + timedelta(days=7 - today.weekday())
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"start_date must be a date like 2026-09-07, got {value!r}") from None


@handler(
    "demo.build_learning_schedule",
    input_schema=reads(
        {
            "modules": {"type": "array", "items": MODULE, "minItems": 1},
            "resources": {"type": "array", "description": "fetch_resources outputs, in module order"},
            "start_date": {**DAY, "description": "the first day (default: next Monday)", "examples": ["2026-09-07"]},
            "hours_per_week": {"type": "number", "minimum": 1, "maximum": 60, "default": 5, "description": "study time each week"},
        },
        "modules",
    ),
)
def build_schedule(input, ctx):
    """Spreads the modules over weeks in order, filling each week's hours (a long module spans weeks)."""
    start = _start_date(input.get("start_date"))
    per_week = float(input.get("hours_per_week", 5))
    resources = {r["module"]: r["resources"] for r in input.get("resources") or [] if isinstance(r, dict)}
    weeks: list[dict] = []
    free = 0.0
    for module in input["modules"]:
        left = float(module["hours"])
        while left > 0:
            if free <= 0:
                weeks.append({"week": len(weeks) + 1, "starts": (start + timedelta(weeks=len(weeks))).isoformat(), "sessions": [], "hours": 0})
                free = per_week
            hours = min(left, free)
            week = weeks[-1]
            week["sessions"].append({"module": module["id"], "title": module["title"], "hours": hours, "resources": [r["ref"] for r in resources.get(module["id"], [])]})
            week["hours"] += hours
            left -= hours
            free -= hours
    ends = start + timedelta(weeks=len(weeks), days=-1)
    return {"weeks": weeks, "week_count": len(weeks), "total_hours": sum(w["hours"] for w in weeks), "starts": start.isoformat(), "ends": ends.isoformat()}


@handler(
    "demo.save_learning_path",
    input_schema=reads(
        {
            "learner": {"type": "string", "minLength": 1},
            "topic": TOPIC,
            "level": LEVEL,
            "schedule": {"type": "object", "description": "a build_learning_schedule output", "properties": {"weeks": {"type": "array"}}, "required": ["weeks"]},
        },
        "learner",
        "schedule",
    ),
)
def save_learning_path(input, ctx):
    """Stores the plan as a JSON file, one per instance, and returns its record."""
    folder = Path(settings.DATA_DIR) / "media" / "learning-paths"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "id": f"LP-{str(ctx.instance_id)[:8].upper()}",
        "learner": input["learner"],
        "topic": input.get("topic"),
        "level": input.get("level"),
        "weeks": len(input["schedule"]["weeks"]),
        "ends": input["schedule"].get("ends"),
    }
    path = folder / f"{ctx.instance_id}.json"
    path.write_text(json.dumps({**record, "schedule": input["schedule"]}, indent=1))  # same name on a retry: idempotent
    return {**record, "path": str(path)}
