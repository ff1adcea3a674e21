"""``manage.py engine``: a django-q2 cluster (the step workers) plus the engine's timer loop.

Run one per machine, or several: scale-out is more of these sharing PostgreSQL and Redis.
"""

from __future__ import annotations

import signal
import threading
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django_q.cluster import Cluster

from workflows import dispatch, timers


class Command(BaseCommand):
    help = "Run the workflow engine: django-q2 workers and the timer loop."

    def add_arguments(self, parser):
        parser.add_argument("--no-timers", action="store_true", help="run only the workers")

    def handle(self, *args, **options):
        if settings.FLOWDESK_PROCESS != "worker":
            # a web process's pooled connections would be shared by the forked workers
            raise CommandError("the engine runs as a worker process: unset FLOWDESK_PROCESS or set it to 'worker'")
        stop = threading.Event()
        # Loaded now, before the workers fork, not by the first transitions under load: the Redis
        # client's import alone took ~0.1 s (0.26 s in a burst), and every timer due meanwhile waited.
        dispatch.broker()
        import_module("approvals.opening")
        connections.close_all()  # the cluster forks; children must not share our sockets
        cluster = Cluster()
        cluster.start()

        def shutdown(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        self.stdout.write(f"engine: {cluster.name} started (timer loop {'off' if options['no_timers'] else 'on'})")
        try:
            if options["no_timers"]:
                stop.wait()
            else:
                timers.run(stop)
        finally:
            cluster.stop()
            self.stdout.write("engine: stopped")
