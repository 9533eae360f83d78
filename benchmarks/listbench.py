#!/usr/bin/env python3
"""List throughput and latency as the number of stored customers grows.

Uses the in-repo harness `benchmarks/stripeload.py` (its loopback-only HTTP client, bounded load driver,
server start/stop and RSS sampling), so these figures are measured the same way as the other phases.
One server process: for each checkpoint N, customers are created (concurrently, all seeding under one
time cap) until N are stored, then `GET /v1/customers?limit=100` runs at every concurrency for at most
`--requests` requests or `--max-seconds`, and one JSON line (`metric: "list_load"`) is emitted with
ok/s, p50/p99, errors (non-2xx, unusable body, or a page that does not hold min(limit, N) customers)
and the server's RSS.

    python3 benchmarks/listbench.py --base-url http://127.0.0.1:18427 --name ours \\
        --server-cmd ".build-release/release/effinity stripe --port 18427" \\
        --checkpoints 1000,50000 --out results/list-ours.jsonl
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True        # no __pycache__ left in benchmarks/ by the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stripeload as sl  # noqa: E402  (the harness next to this file)


async def seed(args, want, deadline):
    """Create `want` more customers before `deadline`; returns (created, figures of the seeding)."""
    client = sl.Client(args.base_url, args.api_key)
    tally, tag = sl.Tally(), sl.token(6)

    async def one(n):
        a = await client.call("POST", "/v1/customers", {"email": f"l{tag}{n}@example.com", "name": "List bench"})
        tally.count(a, isinstance(a.doc, dict) and str(a.doc.get("id", "")).startswith("cus_"))

    try:
        ops, elapsed, why = await sl.drive(args.seed_concurrency, want, max(0.0, deadline - time.perf_counter()), one)
    finally:
        client.close()
    return tally.ok, {"seed_requests": ops, "seed_errors": tally.errors, "seed_seconds": round(elapsed, 3),
                      "seed_creates_per_s": sl.rate(tally.ok, elapsed), "seed_stopped_by": why}


async def pages(args, concurrency, stored):
    """Bounded GET /v1/customers?limit=L at one concurrency; a page must hold min(L, stored) customers."""
    client = sl.Client(args.base_url, args.api_key)
    tally = sl.Tally()
    expect = min(args.limit, stored)

    async def one(n):
        a = await client.call("GET", "/v1/customers", {"limit": str(args.limit)})
        data = a.doc.get("data") if isinstance(a.doc, dict) else None
        got = len(data) if isinstance(data, list) else None
        tally.count(a, got == expect, items=got, wanted=expect)

    try:
        ops, elapsed, why = await sl.drive(concurrency, args.requests, args.max_seconds, one)
    finally:
        client.close()
    return tally.line(f"list_customers_limit{args.limit}", concurrency, ops, elapsed, why)


async def checkpoints(args, emit, pid):
    targets = sorted({int(x) for x in args.checkpoints.split(",") if x.strip()})
    deadline = time.perf_counter() + args.seed_max_seconds
    stored = 0
    for target in targets:
        made, seeding = await seed(args, target - stored, deadline)
        stored += made
        for conc in args.concurrencies:
            with sl.MemoryWatch(pid) as mem:
                rec = await pages(args, conc, stored)
            rec.update({"metric": "list_load", "objects": stored, "target": target, "limit": args.limit, **seeding})
            if pid:
                rec["rss_peak_kb"] = mem.peak_kib
                rec["rss_after_kb"] = sl.tree_rss_kib(pid)
            emit(rec)
        if stored < target:
            emit({"metric": "list_load_stopped", "objects": stored, "target": target,
                  "reason": f"seeding time cap {args.seed_max_seconds}s"})
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--server-cmd", required=True)
    ap.add_argument("--api-key", default="sk_test_listbench")
    ap.add_argument("--checkpoints", default="1000,50000")
    ap.add_argument("--seed-concurrency", type=int, default=8)
    ap.add_argument("--seed-max-seconds", type=float, default=300.0, help="time cap of all seeding together")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--max-seconds", type=float, default=10.0)
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="listbench-")
    os.makedirs(log_dir, exist_ok=True)
    sl.stop_on_signals()
    emit = sl.json_lines(args.name, args.out)
    emit.state["run"] = 0
    server = sl.ServerUnderTest(args.server_cmd, args.base_url, args.api_key,
                                os.path.join(log_dir, f"server-list-{args.name}.log"))
    try:
        first_2xx, _ = server.start()
        emit({"metric": "list_startup", "startup_ms": None if first_2xx is None else round(first_2xx, 3)})
        asyncio.run(checkpoints(args, emit, server.pid))
    except KeyboardInterrupt as why:            # Ctrl-C or `timeout`: stop the server, keep what was written
        print(f"listbench: interrupted ({why})", file=sys.stderr)
        return 1
    finally:
        server.stop()
        emit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
