"""Side-by-side benchmark: the bare stack, django-maintenance-mode 0.23 and maintenance_waffle.

Each variant runs in its own process (its own settings and database); the rounds
alternate between variants so that the machine's drift hits all of them alike. Per round,
each worker sends REQUESTS requests through Django's in-process WSGI (or ASGI) handler;
the figure kept is the median over ROUNDS rounds. Results go to stdout as a table and to
benchmarks/results/latest.json.

    make bench                      # or: python benchmarks/bench.py [--rounds 9] [--requests 2000]
    python benchmarks/bench.py --variants mw-off,mw-scoped-off    # some variants (and bare)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

VARIANTS = {
    "bare": "bare Django stack, trivial view (200)",
    "naive-off": "waffle.switch_is_active() in a middleware, off (200)",
    "dmm-file-off": "django-maintenance-mode 0.23, file backend, off (200)",
    "dmm-cache-off": "django-maintenance-mode 0.23, cache backend, off (200)",
    "dmm-file-on": "django-maintenance-mode 0.23, file backend, on (503)",
    "mw-off": "maintenance_waffle, off (200)",
    "mw-scoped-off": "maintenance_waffle, off, read-only mode and two areas configured (200)",
    "mw-on": "maintenance_waffle, on, anonymous (503, packaged page)",
    "mw-on-exempt": "maintenance_waffle, on, exempt superuser (200)",
    "mw-flag50": "maintenance_waffle, targeted flag at 50 %, anonymous (503 or 200)",
    "mw-sync-on": "maintenance_waffle declared sync-only, as django-maintenance-mode is (503)",
}

#: Settings a variant adds to benchmarks/settings.py: each such variant's worker runs with
#: a settings module of its own, written in its directory, that imports those and sets these.
EXTRA_SETTINGS: dict[str, dict[str, Any]] = {
    # Everything of read-only mode and the areas that is configured, with all of it off:
    # what the off path costs a project that uses them. The requests' path, "/", is in
    # neither area.
    "mw-scoped-off": {
        "MAINTENANCE_WAFFLE_AREAS": {
            "checkout": [r"^/checkout/", r"^/api/orders/"],
            "reports": [r"^/reports/"],
        },
        "MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS": (r"^/accounts/login/$",),
    },
}


def settings_module(variant: str, home: Path) -> str:
    """The name of the variant's settings module, importable from home and ROOT."""
    extra = EXTRA_SETTINGS.get(variant)
    if extra is None:
        return "benchmarks.settings"
    lines = ["from benchmarks.settings import *  # noqa: F403", ""]
    lines += [f"{name} = {value!r}" for name, value in extra.items()]
    (home / "variant_settings.py").write_text("\n".join(lines) + "\n")
    return "variant_settings"


class Worker:
    def __init__(self, variant: str, directory: Path) -> None:
        self.variant = variant
        home = directory / variant
        home.mkdir()
        env = {
            **os.environ,
            "BENCH_VARIANT": variant,
            "BENCH_DIRECTORY": str(home),
            "DJANGO_SETTINGS_MODULE": settings_module(variant, home),
            "PYTHONPATH": os.pathsep.join((str(ROOT), str(home))),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "worker.py")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read()  # {"ready": variant}

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker {self.variant} stopped")
        result: dict[str, Any] = json.loads(line)
        return result

    def run(self, mode: str, requests: int) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {mode} {requests}\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def measure(mode: str, rounds: int, requests: int, variants: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        workers = [Worker(variant, Path(directory)) for variant in variants]
        try:
            for worker in workers:  # warm up: imports, templates, first snapshot
                worker.run(mode, max(requests // 4, 50))
            samples: dict[str, list[float]] = {variant: [] for variant in variants}
            last: dict[str, dict[str, Any]] = {}
            for _ in range(rounds):
                for worker in workers:
                    result = worker.run(mode, requests)
                    samples[worker.variant].append(result["seconds"] / requests * 1e6)
                    last[worker.variant] = result
        finally:
            for worker in workers:
                worker.close()
    results = {}
    for variant in variants:
        result = last[variant]
        # Overheads are paired with the bare stack's run of the same round, which
        # cancels most of the machine's drift.
        differences = [
            mine - bare for mine, bare in zip(samples[variant], samples["bare"], strict=True)
        ]
        results[variant] = {
            "description": VARIANTS[variant],
            "us_per_request": statistics.median(samples[variant]),
            "overhead_us": statistics.median(differences),
            "samples": samples[variant],
            "queries_per_request": result["queries"] / requests,
            "refresh_queries_per_round": result["refresh_queries"],
            "cache_operations_per_request": result["cache"] / requests,
            "statuses": result["statuses"],
        }
    return results


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """The ratios of TARGETS whose variants were measured (all of them by default)."""

    def us(variant: str) -> float:
        return float(results[variant]["us_per_request"])

    bare = us("bare")
    overhead = {variant: float(results[variant]["overhead_us"]) for variant in results}
    found: dict[str, float | None] = {}
    if {"mw-off", "dmm-file-off"} <= results.keys():
        dmm_overhead = overhead["dmm-file-off"]
        # Not meaningful when django-maintenance-mode is faster than the bare stack, as
        # under ASGI (its sync-only middleware makes Django run the stack in one thread).
        found["off_overhead_vs_dmm_file_overhead"] = (
            overhead["mw-off"] / dmm_overhead if dmm_overhead > 0 else None
        )
    if "mw-off" in results:
        found["off_overhead_vs_bare"] = overhead["mw-off"] / bare
    if "mw-scoped-off" in results:
        found["scoped_off_overhead_vs_bare"] = overhead["mw-scoped-off"] / bare
    if {"mw-scoped-off", "mw-off"} <= results.keys():
        # Paired per round, as the overheads are: the two ran one after the other.
        scoped, off = results["mw-scoped-off"]["samples"], results["mw-off"]["samples"]
        found["scoped_off_vs_off"] = statistics.median(
            mine / theirs for mine, theirs in zip(scoped, off, strict=True)
        )
    if {"mw-on", "dmm-file-on"} <= results.keys():
        found["on_503_vs_dmm_503"] = us("mw-on") / us("dmm-file-on")
    if "mw-on" in results:
        found["on_503_vs_bare_200"] = us("mw-on") / bare
    return found


TARGETS = {
    "off_overhead_vs_dmm_file_overhead": 0.10,
    "off_overhead_vs_bare": 0.05,
    "scoped_off_overhead_vs_bare": 0.05,
    "scoped_off_vs_off": 1.05,
    "on_503_vs_dmm_503": 0.80,
    "on_503_vs_bare_200": 2.0,
}


def print_table(mode: str, results: dict[str, Any], found: dict[str, float | None]) -> None:
    print(f"\n{mode.upper()} (median µs per request; overhead over bare, paired per round)")
    header = f"{'variant':<15} {'µs/req':>8} {'overhead':>9} {'sql/req':>8} {'cache/req':>9}"
    print(f"{header}  statuses")
    for variant, result in results.items():
        us = result["us_per_request"]
        print(
            f"{variant:<15} {us:8.1f} {result['overhead_us']:+9.1f} "
            f"{result['queries_per_request']:8.3f} "
            f"{result['cache_operations_per_request']:9.3f}  {result['statuses']}"
        )
    print("ratio                                 value   target")
    for name, value in found.items():
        if value is None:
            print(f"{name:<36}     n/a   ≤ {TARGETS[name]:<5} (its overhead is not positive)")
            continue
        verdict = "ok" if value <= TARGETS[name] else "MISSED"
        print(f"{name:<36} {value:7.3f}   ≤ {TARGETS[name]:<5} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--asgi-requests", type=int, default=300)
    parser.add_argument(
        "--variants",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        default=list(VARIANTS),
        help="comma-separated variants to measure (default: all); bare is always measured",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json"
    )
    options = parser.parse_args()
    unknown = sorted(set(options.variants) - VARIANTS.keys())
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    variants = [name for name in VARIANTS if name == "bare" or name in options.variants]

    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "rounds": options.rounds,
        "variants": variants,
    }
    for mode, requests in (("wsgi", options.requests), ("asgi", options.asgi_requests)):
        results = measure(mode, options.rounds, requests, variants)
        found = ratios(results)
        report[mode] = {"requests_per_round": requests, "results": results, "ratios": found}
        print_table(mode, results, found)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {options.output}")


if __name__ == "__main__":
    main()
