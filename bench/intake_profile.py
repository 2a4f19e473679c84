"""In-process cost of placing an order: the API (a new Idempotency-Key each) vs the bare view.

    .venv/bin/python bench/intake_profile.py [--n 500] [--lines 3] [--orders 5000] [--cprofile api.prof]

No HTTP server and no load generator: Django's test Client calls the WSGI handler in this process,
against the real PostgreSQL and Redis of the benchmark (BENCH_DATABASE_URL, BENCH_BROKER_URL). It
reports time per request (wall clock: median, mean, p10; this process's CPU: mean), queries per
request, and the ratio of the two paths — a steadier guide than wrk on a busy machine, since both
are measured the same way, interleaved in rounds. `--cprofile FILE` writes a profile of the API requests.
"""

import argparse
import cProfile
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500, help="requests per path")
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--orders", type=int, default=5000, help="history to seed (reused when present)")
    parser.add_argument("--rounds", type=int, default=5, help="API and bare alternate in this many rounds")
    parser.add_argument("--cprofile", help="write a cProfile of the API requests here")
    parser.add_argument(
        "--cpu-timer", action="store_true", help="profile this process's CPU time (leaves out waits)"
    )
    parser.add_argument("--no-key", action="store_true", help="API requests without Idempotency-Key")
    parser.add_argument("--sql", action="store_true", help="print the statements of one API request")
    args = parser.parse_args()

    import django  # noqa: PLC0415  (Django only after the bench environment above is set)

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from bench.run import _ensure_database, _ensure_redis, _purge_broker  # noqa: PLC0415
    from bench.seed import seed  # noqa: PLC0415

    _ensure_redis(os.environ["BENCH_BROKER_URL"])
    _ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    data = seed(orders=args.orders)
    customer_id, token = next(iter(data["tokens"].items()))
    lines = [{"sku": sku, "quantity": 2} for sku in data["products"][: args.lines]]
    api_body = json.dumps({"lines": lines})
    bare_body = json.dumps({"customer_id": customer_id, "lines": lines})
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def api():
        headers = {} if args.no_key else {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
        return client.post(
            "/api/v1/orders/", data=api_body, content_type="application/json", **auth, **headers
        )

    def bare():
        return client.post("/bench/bare-order/", data=bare_body, content_type="application/json")

    for call in (api, bare):  # warm-up: imports, caches, the token's last-use stamp
        for _ in range(20):
            response = call()
            assert response.status_code == 201, response.content[:500]
    _purge_broker()

    times: dict[str, list[float]] = {"api": [], "bare": []}
    cpus: dict[str, list[float]] = {"api": [], "bare": []}
    queries: dict[str, list[int]] = {"api": [], "bare": []}
    for name, call in (("api", api), ("bare", bare)):
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                call()
            queries[name].append(len(ctx.captured_queries))
        if args.sql:
            for query in ctx.captured_queries:
                print(f"-- {name}: {query['time']} s\n{query['sql']}", file=sys.stderr)
    timer = time.process_time if args.cpu_timer else time.perf_counter
    profile = cProfile.Profile(timer) if args.cprofile else None
    per_round = max(1, args.n // args.rounds)
    for _round in range(args.rounds):
        for name, call in (("api", api), ("bare", bare)):
            for _ in range(per_round):
                if profile is not None and name == "api":
                    profile.enable()
                t0, c0 = time.perf_counter(), time.process_time()
                response = call()
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                if profile is not None and name == "api":
                    profile.disable()
                assert response.status_code == 201, response.content[:500]
                times[name].append(elapsed * 1000)
                cpus[name].append(cpu * 1000)
    _purge_broker()
    if profile is not None:
        profile.dump_stats(args.cprofile)

    out = {}
    for name in ("api", "bare"):
        out[name] = {
            "median_ms": round(statistics.median(times[name]), 3),
            "mean_ms": round(statistics.fmean(times[name]), 3),
            "p10_ms": round(statistics.quantiles(times[name], n=10)[0], 3),
            "cpu_mean_ms": round(statistics.fmean(cpus[name]), 3),
            "queries": sorted(set(queries[name])),
        }
    out["api/bare median"] = round(out["bare"]["median_ms"] / out["api"]["median_ms"], 3)
    out["api/bare p10"] = round(out["bare"]["p10_ms"] / out["api"]["p10_ms"], 3)
    out["api/bare cpu"] = round(out["bare"]["cpu_mean_ms"] / out["api"]["cpu_mean_ms"], 3)
    out["requests"] = per_round * args.rounds
    out["lines"] = args.lines
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
