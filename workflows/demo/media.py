"""Media pipeline: one small transformation per kind of item, each run by its own child workflow
(image-processing, video-processing, document-processing) that the media-pipeline map picks by the
item's type."""

from __future__ import annotations

import math
import re
from collections import Counter

from workflows import handler
from workflows.core.errors import ValidationError
from workflows.demo.schemas import reads

NAME = {"type": "string", "minLength": 1, "maxLength": 200, "description": "the file's name", "examples": ["harbour.jpg"]}
STOP_WORDS = frozenset({"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with"})
READING_WORDS_PER_MINUTE = 200


def _number(input, field: str, *, whole: bool = False) -> float:
    value = input.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (whole and value != int(value)):
        raise ValidationError(f"{field} must be a positive {'whole ' if whole else ''}number, got {value!r}")
    return value


@handler(
    "demo.image_thumbnail",
    input_schema=reads(
        {
            "name": NAME,
            "width": {"type": "integer", "minimum": 1, "examples": [4000]},
            "height": {"type": "integer", "minimum": 1, "examples": [3000]},
            "max_side": {"type": "integer", "minimum": 16, "maximum": 1024, "default": 256, "description": "the thumbnail's longest side"},
        },
        "name",
        "width",
        "height",
    ),
)
def image_thumbnail(input, ctx):
    """Sizes the image's thumbnail (aspect ratio kept, never enlarged) and names its orientation."""
    width, height = int(_number(input, "width", whole=True)), int(_number(input, "height", whole=True))
    scale = min(1.0, int(input.get("max_side", 256)) / max(width, height))
    divisor = math.gcd(width, height)
    orientation = "square" if width == height else "landscape" if width > height else "portrait"
    return {
        "kind": "image",
        "name": input["name"],
        "thumbnail": {"width": max(1, round(width * scale)), "height": max(1, round(height * scale))},
        "aspect_ratio": f"{width // divisor}:{height // divisor}",
        "orientation": orientation,
        "megapixels": round(width * height / 1_000_000, 1),
    }


@handler(
    "demo.video_summary",
    input_schema=reads(
        {
            "name": NAME,
            "duration_s": {"type": "number", "exclusiveMinimum": 0, "description": "length in seconds", "examples": [754]},
            "fps": {"type": "number", "exclusiveMinimum": 0, "default": 25},
            "chapter_s": {"type": "integer", "minimum": 10, "default": 300, "description": "seconds per chapter"},
        },
        "name",
        "duration_s",
    ),
)
def video_summary(input, ctx):
    """Summarises a video's duration: clock time, frame count, chapters and where to take the poster frame."""
    seconds = _number(input, "duration_s")
    whole = round(seconds)
    chapter = int(input.get("chapter_s", 300))
    return {
        "kind": "video",
        "name": input["name"],
        "duration": f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}",
        "frames": round(seconds * float(input.get("fps", 25))),
        "chapters": [{"at": f"{s // 60}:{s % 60:02d}"} for s in range(0, whole or 1, chapter)],
        "poster_at_s": round(seconds / 10, 1),
    }


@handler(
    "demo.document_stats",
    input_schema=reads({"name": NAME, "text": {"type": "string", "maxLength": 200_000, "examples": ["Quarterly report.\nSales grew in every region."]}}, "name", "text"),
)
def document_stats(input, ctx):
    """Counts a document's words and sentences, estimates reading time and lists its key words."""
    text = input.get("text")
    if not isinstance(text, str):
        raise ValidationError("text must be a string")
    words = re.findall(r"[A-Za-z0-9']+", text)
    sentences = [s for s in re.split(r"[.!?]+(?:\s|$)", text) if s.strip()]
    common = Counter(w.lower() for w in words if w.lower() not in STOP_WORDS and len(w) > 2)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return {
        "kind": "document",
        "name": input["name"],
        "title": first_line[:120],
        "words": len(words),
        "sentences": len(sentences),
        "reading_minutes": math.ceil(len(words) / READING_WORDS_PER_MINUTE),
        "key_words": [w for w, _ in sorted(common.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
    }
