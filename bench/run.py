"""Order placement benchmark: API vs a bare Django view, through gunicorn, against PostgreSQL.

    make bench                      # or: .venv/bin/python bench/run.py [--duration 15] [--orders 100000]

Prints the machine, the data size, orders/s and p50/p99 at 1, 8 and 32 clients for
POST /api/v1/orders/ (3 lines) and the bare view, the ratio between them, queries per order
creation for 1 and 100 lines, and the latency of the dealer's order list page. Writes the same
report to bench/results/latest.md.

Every API order carries its own Idempotency-Key (bench/post.lua). Its follow-up tasks go to a real
Redis broker: published by the relay process (`--relay process`, the default, as docker-compose.yml runs
it: the requests only write their events; the relay's pass is timed after the load and reported) or
by each request after its commit (`--relay request`). No worker runs; the queue is purged before and
after. Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/oms_bench),
Redis (BENCH_BROKER_URL, default redis://127.0.0.1:6379/8, also the cache) and `wrk` (Debian package;
installed if missing). Throughput is only meaningful on an otherwise idle machine; on a busy one,
bench/intake_profile.py compares the two paths' cost per request in process (CPU time, queries).
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))

CONCURRENCY = (1, 8, 32)
BROKER_URL = os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")


def _ensure_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        sys.exit(f"No Redis answers at {url} ({exc}); the benchmark needs the real broker. Nothing was run.")


def _purge_broker() -> None:
    from config.celery import app  # noqa: PLC0415  (the Celery app reads Django settings: after the bench environment is set)

    app.control.purge()


def _ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is needed: apt-get install wrk")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem_gib = kb / 1024 / 1024
    except (OSError, AttributeError):
        pass
    from django.db import connection  # noqa: PLC0415  (Django only after the bench environment above is set)

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    import django  # noqa: PLC0415  (Django only after the bench environment above is set)

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _query_counts(token: str, skus: list[str], *, keyed: bool) -> dict:
    from django.db import connection  # noqa: PLC0415  (Django only after the bench environment above is set)
    from django.test import Client  # noqa: PLC0415  (Django only after the bench environment above is set)
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415  (Django only after the bench environment above is set)

    client = Client()
    out = {}
    # Warm-up: the first request of a token also stamps its last_used_at (at most once a minute).
    client.post(
        "/api/v1/orders/",
        data=json.dumps({"lines": [{"sku": skus[0], "quantity": 1}]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    for n in (1, 100):
        body = {"lines": [{"sku": sku, "quantity": 1} for sku in skus[:n]]}
        headers = {"HTTP_IDEMPOTENCY_KEY": f"bench-queries-{time.time_ns()}-{n}"} if keyed else {}
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                "/api/v1/orders/",
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {token}",
                **headers,
            )
        if response.status_code != 201:
            raise SystemExit(f"order creation failed ({response.status_code}): {response.content[:500]!r}")
        out[n] = len(ctx.captured_queries)
    return out


def _cpu_seconds_by_process() -> dict[str, float]:
    """CPU time (user + system) used so far by this machine's processes, summed by process name (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


CPU_NAMES = {"gunicorn": "gunicorn", "postgres": "PostgreSQL", "redis-server": "Redis", "wrk": "wrk"}


def _wrk(wrk: str, url: str, *, clients: int, duration: int, script: str, env: dict) -> dict:
    threads = min(clients, 2)
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{clients}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / script),
        url,
    ]
    before, children = _cpu_seconds_by_process(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    after, done = _cpu_seconds_by_process(), resource.getrusage(resource.RUSAGE_CHILDREN)
    text = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"BENCH p50_ms=([\d.]+) p99_ms=([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    requests = int(total.group(1)) if total else 0
    cpu = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in CPU_NAMES}
    # wrk has ended by now (gone from /proc): its share is what the finished children used meanwhile.
    cpu["wrk"] = (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    return {
        "cpu_ms": {name: seconds * 1000 / requests for name, seconds in cpu.items()} if requests else {},
        "rps": rps,
        "p50_ms": float(m.group(1)),
        "p99_ms": float(m.group(2)),
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "requests": int(total.group(1)) if total else 0,
    }


def _start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "15")))
    parser.add_argument("--orders", type=int, default=int(os.environ.get("BENCH_ORDERS", "100000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument(
        "--relay",
        choices=["process", "request"],
        default=os.environ.get("BENCH_RELAY", "process"),
        help="who publishes an order's follow-up tasks: the relay process (OUTBOX_RELAY_PROCESS, as "
        "docker-compose.yml runs it; timed after the load) or the request itself, after its commit",
    )
    args = parser.parse_args()
    # Before Django starts (this process's query counts and gunicorn's environment).
    os.environ["OUTBOX_RELAY_PROCESS"] = "1" if args.relay == "process" else "0"

    _ensure_redis(BROKER_URL)
    _ensure_database(os.environ["DATABASE_URL"])
    wrk = _ensure_wrk()
    import django  # noqa: PLC0415  (Django only after the bench environment above is set)

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415  (Django only after the bench environment above is set)

    from bench.seed import seed  # noqa: PLC0415  (project models: only after django.setup() above)

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = seed(orders=args.orders)
    seed_s = time.perf_counter() - t0
    customer_id, token = next(iter(data["tokens"].items()))
    skus = data["products"]
    _forget_pending_events()
    _purge_broker()
    queries = {
        "keyed": _query_counts(token, skus, keyed=True),
        "plain": _query_counts(token, skus, keyed=False),
    }

    from django.db import connection  # noqa: PLC0415  (Django only after the bench environment above is set)

    from orders.models import Order, OrderLine  # noqa: PLC0415  (project models: only after django.setup() above)

    size = {"orders": Order.objects.count(), "order_lines": OrderLine.objects.count()}
    machine = _machine()
    connection.close()

    tmp = Path(tempfile.mkdtemp(prefix="oms-bench-"))
    api_body, bare_body = tmp / "api.json", tmp / "bare.json"
    lines = [{"sku": sku, "quantity": 2} for sku in skus[:3]]
    api_body.write_text(json.dumps({"lines": lines}))
    bare_body.write_text(json.dumps({"customer_id": customer_id, "lines": lines}))

    port = _free_port()
    server = _start_gunicorn(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for path, body, tok in (("/api/v1/orders/", api_body, token), ("/bench/bare-order/", bare_body, "")):
            _wrk(
                wrk,
                base + path,
                clients=8,
                duration=3,
                script="post.lua",  # warm-up
                env={
                    "BENCH_BODY_FILE": str(body),
                    "BENCH_TOKEN": tok,
                    "BENCH_IDEMPOTENCY": "1" if tok else "",
                },
            )
        for clients in CONCURRENCY:
            api = _wrk(
                wrk,
                base + "/api/v1/orders/",
                clients=clients,
                duration=args.duration,
                script="post.lua",
                env={"BENCH_BODY_FILE": str(api_body), "BENCH_TOKEN": token, "BENCH_IDEMPOTENCY": "1"},
            )
            bare = _wrk(
                wrk,
                base + "/bench/bare-order/",
                clients=clients,
                duration=args.duration,
                script="post.lua",
                env={"BENCH_BODY_FILE": str(bare_body), "BENCH_TOKEN": ""},
            )
            rows.append((clients, api, bare))
        listing = {
            c: _wrk(
                wrk,
                base + "/api/v1/orders/",
                clients=c,
                duration=max(5, args.duration // 2),
                script="get.lua",
                env={"BENCH_TOKEN": token},
            )
            for c in (1, 8)
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        _purge_broker()

    relay = _relay_backlog() if args.relay == "process" else None
    _purge_broker()
    dealer_orders = Order.objects.filter(customer_id=customer_id).count()
    connection.close()
    report = _report(machine, size, seed_s, queries, rows, listing, dealer_orders, args, relay)
    print(report)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "latest.md").write_text(report)


def _forget_pending_events() -> None:
    """Earlier runs' events nobody relayed (this database is the bench's own): marked dispatched, so that
    the relay's figure after the load counts this run's events only."""
    from core.models import OutboxEvent  # noqa: PLC0415  (project models: only after django.setup())

    OutboxEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=dt.datetime.now(dt.UTC))


def _relay_backlog() -> dict:
    """The work the requests left to the relay process: this run's events, handed over now by the relay's
    own pass (core.outbox.outbox_dispatch_pending) in this process, to the real broker."""
    from core.models import OutboxEvent  # noqa: PLC0415  (project models: only after django.setup())
    from core.outbox import outbox_dispatch_pending  # noqa: PLC0415

    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
    cpu, wall = time.process_time(), time.perf_counter()
    dispatched, broker_down = outbox_dispatch_pending(batch=200)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if broker_down:
        raise SystemExit("the broker failed while the relay handed the run's events over")
    return {"pending": pending, "dispatched": dispatched, "cpu_s": cpu, "wall_s": wall}


def _report(machine, size, seed_s, queries, rows, listing, dealer_orders, args, relay=None) -> str:
    out = [
        f"# Order placement benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"PostgreSQL {machine['postgresql']}; Python {machine['python']}; Django {machine['django']}.",
        f"Server: gunicorn, {args.workers} sync workers, DEBUG off, persistent DB connections, "
        f"Redis broker and cache ({BROKER_URL}, no worker); "
        f"load: wrk on the same machine, {args.duration} s per point.",
        (
            "Follow-up tasks: published by the relay process (OUTBOX_RELAY_PROCESS, as docker-compose.yml "
            "runs it), not running during the load, like the workers; its work is timed after the load "
            "(below)."
            if args.relay == "process"
            else "Follow-up tasks: published by each request after its commit (OUTBOX_RELAY_PROCESS off)."
        ),
        f"Data: {size['orders']:,} orders, {size['order_lines']:,} order lines before the run "
        f"(history seeded in {seed_s:.0f} s, then VACUUM and ANALYZE).",
        "",
        "## POST /api/v1/orders/ (3 lines, a new Idempotency-Key each) vs a bare Django view doing the "
        "same inserts",
        "",
        "| clients | API orders/s | API p50 ms | API p99 ms | bare orders/s | bare p50 ms | bare p99 ms "
        "| API/bare | bare/API cost ratio | non-2xx |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for clients, api, bare in rows:
        ratio = bare["rps"] / api["rps"] if api["rps"] else float("inf")
        share = api["rps"] / bare["rps"] if bare["rps"] else 0.0
        out.append(
            f"| {clients} | {api['rps']:.1f} | {api['p50_ms']:.1f} | {api['p99_ms']:.1f} | "
            f"{bare['rps']:.1f} | {bare['p50_ms']:.1f} | {bare['p99_ms']:.1f} | {share:.2f} | {ratio:.2f}× | "
            f"{api['errors'] + bare['errors']} |"
        )
    out += [
        "",
        "API/bare = API orders/s ÷ bare orders/s (the target is ≥ 0.6 at 8 clients); "
        "cost ratio = its inverse.",
        "",
        "## Machine time per order (CPU of the machine's processes during each point, ms per order)",
        "",
        "| clients | path | " + " | ".join(CPU_NAMES.values()) + " | all |",
        "|---:|---|" + "---:|" * (len(CPU_NAMES) + 1),
    ]
    for clients, api, bare in rows:
        for label, point in (("API", api), ("bare", bare)):
            cpu = point.get("cpu_ms") or {}
            cells = " | ".join(f"{cpu.get(name, 0.0):.2f}" for name in CPU_NAMES)
            out.append(f"| {clients} | {label} | {cells} | {sum(cpu.values()):.2f} |")
    out += [
        "",
        "## Queries per order creation (POST /api/v1/orders/, whole request, warm caches)",
        "",
        f"- without Idempotency-Key: {queries['plain'][1]} for 1 line, {queries['plain'][100]} for 100 lines "
        "(the target is ≤ 12)",
        f"- with Idempotency-Key: {queries['keyed'][1]} for 1 line, {queries['keyed'][100]} for 100 lines",
        "",
    ]
    if relay:
        per = relay["dispatched"] or 1
        rate = relay["dispatched"] / max(relay["wall_s"], 1e-9)
        out += [
            "## The relay process's share (the events this run's API orders left to it)",
            "",
            f"- {relay['dispatched']:,} of {relay['pending']:,} pending events handed over to the broker by "
            f"one relay pass in {relay['wall_s']:.1f} s ({rate:.0f} events/s; per event "
            f"{relay['cpu_s'] * 1000 / per:.2f} ms of the relay's CPU, "
            f"{relay['wall_s'] * 1000 / per:.2f} ms in all). One event per order: its two follow-up tasks "
            "published; marked dispatched in batches of 200.",
            "",
        ]
    out += [
        f"## GET /api/v1/orders/ (first page, 50 rows; the dealer has {dealer_orders:,} orders)",
        "",
        "| clients | pages/s | p50 ms | p99 ms |",
        "|---:|---:|---:|---:|",
    ]
    for clients, r in listing.items():
        out.append(f"| {clients} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
