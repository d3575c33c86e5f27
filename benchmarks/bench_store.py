"""How fast the profile stores save and read, SQLite and PostgreSQL side by side in one run.

    python benchmarks/bench_store.py [--calls 5000] [--postgres URL] [--json out.json]

The bundled examples, tagged once by the rules, are copied to ``--calls`` calls of ``--calls / 4``
customers. For each store: the first save (calls/s, batches of 200), the same save again (what a re-run
batch costs: every call replaced), 500 customer profiles, every observation, and the objections report.
PostgreSQL is a throwaway local server (``pgserver``, in the ``dev`` extra) unless ``--postgres`` names a
database, whose convmine tables must not exist yet (give it a schema of its own: see the README).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import convmine
from convmine.ingest import read_calls
from convmine.reports import Scope, build_objections
from convmine.schema import Call, TaggedCall
from convmine.store import ProfileStore, open_store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stores import schema_url, throwaway_postgres  # noqa: E402


def calls(n: int) -> list[TaggedCall]:
    """``n`` tagged calls: the examples, tagged by the rules, under new call and customer IDs."""
    nlp = convmine.load("rules")
    examples = list(nlp.pipe(c for c in read_calls([ROOT / "examples"]) if isinstance(c, Call)))
    copies = []
    for i in range(n):
        item = examples[i % len(examples)]
        call = dataclasses.replace(
            item.call, call_id=f"bench-{i:07d}", customer_id=f"CUST-{i % max(1, n // 4):06d}"
        )
        copies.append(TaggedCall(call, item.tags))
    return copies


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(store: ProfileStore, items: list[TaggedCall]) -> dict[str, float]:
    customers = sorted({item.call.customer_id for item in items if item.call.customer_id})
    sample = random.Random(0).sample(customers, min(500, len(customers)))
    first = seconds(lambda: store.save(items, batch_size=200))
    again = seconds(lambda: store.save(items, batch_size=200))
    profiles = seconds(lambda: [store.profile(c) for c in sample])
    observations: list[int] = []
    scan = seconds(lambda: observations.append(sum(1 for _ in store.observations())))
    report = seconds(lambda: build_objections(store, Scope()))
    return {
        "save_calls_per_s": len(items) / first,
        "resave_calls_per_s": len(items) / again,
        "profiles_per_s": len(sample) / profiles,
        "observations_per_s": observations[0] / scan,
        "objections_report_s": report,
    }


@contextmanager
def local_postgres(folder: Path) -> Iterator[str]:
    """A throwaway PostgreSQL server's URL, with the tables in a schema of their own."""
    with throwaway_postgres(folder) as url:
        yield schema_url(url, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure instead of a throwaway local server")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    items = calls(args.calls)
    figures: dict[str, object] = {"calls": len(items), "tags": sum(len(item.tags) for item in items)}
    with tempfile.TemporaryDirectory() as tmp:
        with open_store(Path(tmp) / "bench.db") as store:
            figures["sqlite"] = measure(store, items)
        if args.postgres:
            with open_store(args.postgres) as store:
                figures["postgresql"] = measure(store, items)
        else:
            with local_postgres(Path(tmp) / "postgres") as url, open_store(url) as store:
                figures["postgresql"] = measure(store, items)
    print(f"{figures['calls']} calls, {figures['tags']} tags")
    print(f"{'':22}{'SQLite':>12}{'PostgreSQL':>12}")
    for key in figures["sqlite"]:  # type: ignore[union-attr]
        row = [figures[backend][key] for backend in ("sqlite", "postgresql")]  # type: ignore[index]
        print(f"{key:22}" + "".join(f"{value:12,.1f}" for value in row))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
