"""Whether a template's draft is a change: "+ draft" means the draft behaves differently from the
latest published version (a test run saves an unchanged draft; moving a node is layout, not
behaviour). Compared by the behaviour checksums stored on both rows (``TemplateVersion.save``),
in the database, so a list of templates loads no graph."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from workflows.models import Template, TemplateVersion

Status = TemplateVersion.Status


def _published_checksum(template_ref) -> Coalesce:
    latest = TemplateVersion.objects.filter(template=template_ref, status=Status.PUBLISHED).order_by("-number").values("checksum")[:1]
    return Coalesce(Subquery(latest), Value(""))


def changed_draft() -> Exists:
    """For ``Template.objects.annotate(...)``: a draft exists that is a change since the latest
    published version (or there is no published version; or the draft predates stored checksums)."""
    drafts = (
        TemplateVersion.objects.filter(template=OuterRef("pk"), status=Status.DRAFT)
        .annotate(published=_published_checksum(OuterRef(OuterRef("pk"))))
        .filter(Q(checksum="") | Q(published="") | ~Q(checksum=F("published")))
    )
    return Exists(drafts)


def draft_changed(template: Template, draft: TemplateVersion) -> bool:
    latest = template.latest_published()
    return not (latest and draft.checksum and latest.checksum == draft.checksum)
