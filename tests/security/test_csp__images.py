"""The policy lets the pages draw images that steps return inline (data: URLs: the instance page's
step drawer), and allows data: for nothing else."""

from __future__ import annotations

import pytest

from tests.factories import VersionFactory, chain_graph
from tests.security.test_settings__deploy import policy
from workflows import engine


@pytest.mark.django_db
def test_data_urls_are_allowed_for_images_only(client, admin_user):
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph("a")).template.name)
    client.force_login(admin_user)
    for page in ["/", f"/instances/{instance.pk}/", "/designer/"]:
        directives = policy(client.get(page))
        assert directives["img-src"] == ["'self'", "data:"], page
        assert [name for name, sources in directives.items() if "data:" in sources] == ["img-src"], page
