"""Template files (JSON or YAML), read so that nothing in them can spend more than their size.

What the designer's import and ``manage.py workflow load`` read. A 514-byte YAML file with nested
aliases once expanded into a 3.85 MB tag, description and example input (two more levels would
have run the process out of memory), so:

- a file is bounded in size before it is parsed;
- YAML anchors and aliases (``&a`` / ``*a``) are refused where the parser meets the first one, in
  a scan of the event stream that builds nothing, before any value is composed; so is nesting
  deeper than ``MAX_DEPTH`` (libyaml's composer recurses on the C stack: a file of 100,000 ``[``
  crashed the process, where the pure-Python one raised RecursionError);
- only JSON values come out: YAML dates become their text, binary data, sets, NaN and infinities
  and keys that are not text are refused. What a file holds is what the API could have been sent.
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml
from django.conf import settings

#: Containers nested deeper than this are refused (a graph needs about ten levels).
MAX_DEPTH = 100

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ~5x faster


class FileError(ValueError):
    """The file cannot be read as a template file; ``str()`` says why, for a person."""


def max_file_bytes() -> int:
    """Room for a graph and an example input at their limits, written out with indentation."""
    return 2 * settings.FLOWDESK["MAX_INPUT_BYTES"]


def is_yaml(filename: str) -> bool:
    return filename.lower().endswith((".yaml", ".yml"))


def parse(filename: str, raw: bytes) -> Any:
    """The JSON value in ``raw``, read as YAML when ``filename`` says so and as JSON otherwise."""
    limit = max_file_bytes()
    if len(raw) > limit:
        raise FileError(f"{filename} is {len(raw):,} bytes; the limit is {limit:,}")
    kind = "YAML" if is_yaml(filename) else "JSON"
    try:
        value = _yaml(raw) if kind == "YAML" else json.loads(raw, parse_constant=_no_constant)
    except FileError:
        raise
    except RecursionError:
        raise FileError(f"{filename} is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, yaml.YAMLError) as exc:  # UnicodeDecodeError is a ValueError
        raise FileError(f"{filename} is not valid {kind}: {exc}") from None
    problem = _not_json(value)
    if problem:
        raise FileError(f"{filename}: {problem}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class _Loader(_Base):
    """Safe YAML whose dates and times stay text (JSON has no date type)."""


def _timestamp_as_text(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _yaml(raw: bytes) -> Any:
    depth = 0
    for event in yaml.parse(raw, Loader=_Loader):
        if getattr(event, "anchor", None) is not None:  # an anchor, or an alias (AliasEvent.anchor)
            line = event.start_mark.line + 1
            raise FileError(f"line {line}: YAML anchors and aliases (& and *) are not accepted; write the value out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise FileError(f"line {event.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(raw, Loader=_Loader)  # noqa: S506 - a safe loader, checked above


def _not_json(value: Any) -> str | None:
    """Why ``value`` is not plain JSON (as json.loads would give it), or None."""
    todo = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"the key {key!r} is not text (JSON keys are)"
                todo.append((child, depth + 1))
        elif isinstance(item, list):
            todo.extend((child, depth + 1) for child in item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{item} is not a JSON number"
        elif not (item is None or isinstance(item, (str, bool, int))):
            return f"a {type(item).__name__} value is not JSON (text, numbers, true/false, null, lists and objects are)"
    return None
