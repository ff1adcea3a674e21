"""``{% vite_assets "src/main.tsx" %}``: the script and styles of a Vite build, from its manifest.

The manifest is re-read when its file changes, so a fresh build is picked up without a restart,
and Vite's hashed file names mean a browser never runs a stale bundle.
"""

from __future__ import annotations

import json
from pathlib import Path

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

register = template.Library()

MANIFEST = Path(settings.BASE_DIR) / "static" / "designer" / "manifest.json"
_cache: dict = {"mtime": None, "data": None}


def manifest() -> dict | None:
    try:
        mtime = MANIFEST.stat().st_mtime
    except FileNotFoundError:
        return None
    if _cache["mtime"] != mtime:
        _cache["data"], _cache["mtime"] = json.loads(MANIFEST.read_text()), mtime
    return _cache["data"]


@register.simple_tag
def vite_assets(entry: str):
    data = manifest()
    if not data or entry not in data:
        return format_html(
            '<p class="error" role="alert">The designer is not built. Run <code>{}</code> (or <code>{}</code>).</p>', "bin/run", "bin/build-frontend"
        )
    chunk = data[entry]
    styles = list(chunk.get("css", []))
    for name in chunk.get("imports", []):
        styles += data.get(name, {}).get("css", [])
    links = format_html_join("", '<link rel="stylesheet" href="{}">', ((static(f"designer/{css}"),) for css in styles))
    return format_html('{}<script type="module" src="{}"></script>', links, static(f"designer/{chunk['file']}"))
