"""Run the benchmarks and print one JSON line per figure: ``{"figure", "value", "unit", ...}``.

    python -m bench                 every figure (needs PostgreSQL and Redis for the engine ones)
    python -m bench --only plan     figures whose name starts with "plan"
    python -m bench --list          the figure names
"""

from __future__ import annotations

import argparse
import json
import sys

from bench import core_figures, engine_figures, instance_list_figures, instance_page_figures, instance_steps_figures, overview_figures

GROUPS = [
    core_figures.FIGURES,
    engine_figures.FIGURES,
    instance_list_figures.FIGURES,
    overview_figures.FIGURES,
    instance_page_figures.FIGURES,
    instance_steps_figures.FIGURES,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run the figures whose name starts with this (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the figure names")
    args = parser.parse_args(argv)
    if args.list:
        for group in GROUPS:
            for name in group:
                print(name)
        return 0
    selected = [{n: f for n, f in group.items() if not args.only or any(n.startswith(o) for o in args.only)} for group in GROUPS]
    if not any(selected):
        parser.error(f"no figure matches {args.only}; see --list")
    core, engine, instance_list, overview, instance_page, steps_api = selected
    for name, figure in core.items():
        for line in figure():
            print(json.dumps(line), flush=True)
    if engine:
        for line in engine_figures.run(engine):
            print(json.dumps(line), flush=True)
    if instance_list:  # after the engine's: it recreates the same scratch database
        for line in instance_list_figures.run(instance_list):
            print(json.dumps(line), flush=True)
    if overview:  # its own fresh copy of the list's 100,000 instances
        for line in overview_figures.run(overview):
            print(json.dumps(line), flush=True)
    if instance_page:  # a fresh scratch database of its own
        for line in instance_page_figures.run(instance_page):
            print(json.dumps(line), flush=True)
    if steps_api:  # its own scratch database, recreated
        for line in instance_steps_figures.run(steps_api):
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
