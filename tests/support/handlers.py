"""Handlers for tests that run a real engine with ``FLOWDESK_APPS=tests.support``.

``support.hostile_value`` returns what JSON, PostgreSQL or Unicode cannot hold, described by its input.

The input is plain JSON with tagged leaves, because the hostile value itself could not be stored
as the step's input: ``{"$float": "nan"}``, ``{"$text": [0, 0xD800]}`` (code points),
``{"$cycle": true}``, ``{"$function": true}``, ``{"$deep": 5000}``, ``{"$bytes": 3}``.
"""

from __future__ import annotations

import time
from typing import Any

from workflows import handler


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$float" in value:
        return float(value["$float"])
    if "$text" in value:
        return "".join(map(chr, value["$text"]))
    if "$cycle" in value:
        loop: dict = {}
        loop["self"] = loop
        return loop
    if "$function" in value:
        return "a".removeprefix
    if "$deep" in value:
        deep: list = []
        for _ in range(int(value["$deep"])):
            deep = [deep]
        return deep
    if "$bytes" in value:
        return b"x" * int(value["$bytes"])
    return {key: decode(v) for key, v in value.items()}


@handler("support.hostile_value")
def hostile_value(input, ctx):
    """Returns the value its input describes."""
    return {"value": decode(input)}


# --- for the instance page's step drawer (tests/browser/test_instance_page__step_drawer.py) ---------


@handler("support.big_output")
def big_output(input, ctx):
    """Returns about ``kb`` kilobytes of rows."""
    rows = int(input.get("kb", 300)) * 1024 // 64
    return {"rows": [{"n": n, "text": f"row {n:08d} " + "x" * 40} for n in range(rows)]}


@handler("support.picture")
def picture(input, ctx):
    """The demo's generated PNG, as a data URL next to a caption."""
    from workflows.demo.handlers import generate_image_local

    image = generate_image_local({"prompt": input.get("prompt", "a test card"), "size": input.get("size", 64)}, ctx)
    return {"caption": "a test card", "image": "data:image/png;base64," + image["png_base64"]}


@handler("support.hold")
def hold(input, ctx):
    """Runs until the file ``release`` names exists (at most a minute): a step that is running for
    as long as a test needs it to, without a sleep in the test."""
    from pathlib import Path

    release, give_up = Path(input["release"]), time.monotonic() + 60
    while not release.exists() and time.monotonic() < give_up:
        time.sleep(0.05)
    return {"released": release.exists()}
