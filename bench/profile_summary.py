"""Summarise py-spy raw (collapsed) stacks of the intake workers: where the CPU samples go.

    .venv/bin/python bench/profile_summary.py bench/results/profile/intake-<id>.txt [--top 25]

Prints: inclusive shares of the intake steps (routes and service functions), self time per
library, and the top functions by inclusive and self time.
Shares are of all samples that py-spy took in the workers (idle threads are not sampled).
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")

LIBRARIES = [
    ("app (Heatdesk code itself)", "app/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("psycopg", "psycopg/"),
    ("jinja2 (templates)", "jinja2/"),
    ("wtforms + flask_wtf", ("wtforms/", "flask_wtf/")),
    ("babel + flask_babel", ("babel/", "flask_babel/")),
    ("phonenumbers", "phonenumbers/"),
    ("rq", "rq/"),
    ("redis", "redis/"),
    ("werkzeug", "werkzeug/"),
    ("flask_limiter + limits", ("flask_limiter/", "limits/")),
    ("itsdangerous", "itsdangerous/"),
    ("gunicorn", "gunicorn/"),
]


def _library(file: str) -> str:
    for label, prefixes in LIBRARIES:
        if file.startswith(prefixes):
            return label
    return "python stdlib / other"


def parse(path: Path):
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            if raw.startswith(("process ", "thread ")):
                continue
            m = FRAME.match(raw)
            frames.append((m.group("func"), m.group("file")) if m else (raw, ""))
        yield frames, int(count)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()

    total = 0
    inclusive: Counter = Counter()
    self_time: Counter = Counter()
    libs: Counter = Counter()
    for path in args.files:
        for frames, n in parse(path):
            total += n
            seen = set()
            for func, file in frames:
                key = f"{func} ({file})"
                if key not in seen:
                    inclusive[key] += n
                    seen.add(key)
            if frames:
                func, file = frames[-1]
                self_time[f"{func} ({file})"] += n
            libs[_library(frames[-1][1] if frames else "")] += n
    if not total:
        raise SystemExit("no samples")

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    print(f"{total} samples")
    print("\nIntake steps (inclusive):")
    steps = [k for k in inclusive if k.split(" (")[1].startswith(("app/intake/", "app/routing/", "app/sla/service",
                                                                   "app/messaging/", "app/jobs/", "app/tickets/",
                                                                   "app/customers/", "app/core/"))]
    for key in sorted(steps, key=lambda k: -inclusive[k])[: args.top]:
        print(f"  {pct(inclusive[key])}  {key}")
    for key in ("Flask.full_dispatch_request (flask/app.py)", "Flask.wsgi_app (flask/app.py)"):
        if key in inclusive:
            print(f"  {pct(inclusive[key])}  {key}")
    print("\nSelf time by library (the innermost frame's package):")
    for label, n in libs.most_common():
        print(f"  {pct(n)}  {label}")
    print(f"\nTop {args.top} functions, inclusive:")
    for key, n in inclusive.most_common(args.top * 3)[: args.top]:
        print(f"  {pct(n)}  {key}")
    print(f"\nTop {args.top} functions, self:")
    for key, n in self_time.most_common(args.top):
        print(f"  {pct(n)}  {key}")


if __name__ == "__main__":
    main()
