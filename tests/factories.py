"""factory-boy factories for test data."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from workflows.core.graph import behaviour_checksum
from workflows.models import Instance, StepRun, Template, TemplateVersion
from workflows.roles import GROUP_PERMISSIONS


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-12345")


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template

    name = factory.Sequence(lambda n: f"flow-{n}")
    title = factory.LazyAttribute(lambda t: t.name.replace("-", " ").title())


def chain_graph(*ids: str, handler: str = "demo.noop", **config) -> dict:
    return {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": "task", "config": {"handler": handler, **config}} for n in ids],
        "edges": [{"id": f"e{i}", "source": a, "target": b, "port": "out"} for i, (a, b) in enumerate(zip(ids, ids[1:]))],
    }


def graph_of(nodes, edges=(), **settings) -> dict:
    """Graph JSON from ``(id, type, config)`` nodes and ``(source, target[, port])`` edges."""
    return {
        "version": 1,
        "settings": settings,
        "nodes": [{"id": n, "type": t, "config": c} for n, t, c in nodes],
        "edges": [{"id": f"e{i}", "source": e[0], "target": e[1], "port": e[2] if len(e) > 2 else "out"} for i, e in enumerate(edges)],
    }


class VersionFactory(factory.django.DjangoModelFactory):
    """A published version; pass ``graph=...`` (defaults to a two-step no-op chain)."""

    class Meta:
        model = TemplateVersion

    template = factory.SubFactory(TemplateFactory)
    number = factory.Sequence(lambda n: n + 1)
    graph = factory.LazyFunction(lambda: chain_graph("a", "b"))
    status = TemplateVersion.Status.PUBLISHED
    checksum = factory.LazyAttribute(lambda v: behaviour_checksum(v.graph))


class InstanceFactory(factory.django.DjangoModelFactory):
    """A row as the engine leaves it, written directly (no engine runs): for what reads instances."""

    class Meta:
        model = Instance

    version = factory.SubFactory(VersionFactory)
    template = factory.SelfAttribute("version.template")
    status = "running"


class StepRunFactory(factory.django.DjangoModelFactory):
    """One attempt of one (node, item); ``StepRunFactory.build_batch`` + ``bulk_create`` for thousands."""

    class Meta:
        model = StepRun

    instance = factory.SubFactory(InstanceFactory)
    node_id = "a"
    node_type = "task"
    item_key = ""
    attempt = 1
    status = "completed"


def role_group(name: str) -> Group:
    """A role's group. Transactional tests flush the tables after each test, and with them the
    groups the roles migration created: the next test re-creates them (with their permissions)."""
    group, created = Group.objects.get_or_create(name=name)
    if created and name in GROUP_PERMISSIONS:
        group.permissions.set(Permission.objects.filter(content_type__app_label="workflows", codename__in=GROUP_PERMISSIONS[name]))
    return group
