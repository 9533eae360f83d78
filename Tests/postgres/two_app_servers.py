#!/usr/bin/env python3
"""Two `effinity app` processes on one PostgreSQL database, behind one fake Stripe.

    python3 Tests/postgres/two_app_servers.py --bin .build/debug/effinity --database-url postgres://...

Proves what a load balancer in front of several app servers needs:
- both start at once (migrations under an advisory lock, plans synced idempotently);
- 60 concurrent lead creates spread over both, on the free plan (25 leads), create exactly 25;
- the fake delivers every webhook event to both servers (one endpoint each), and each event is
  processed exactly once: `processed_events` holds one row per event, and the same event sent
  again (signed, straight to each server) is answered `duplicate` by both; the mirrored state is whole.
Exits 0 when all holds, 1 otherwise; every process it starts is stopped.
"""
import argparse
import concurrent.futures
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

KEY = "sk_test_two_servers"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, body=None, headers=None, form=None):
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def stripe(base, method, path, form=None):
    return call(method, base + path, form=form, headers={"Authorization": f"Bearer {KEY}"})


def wait_for(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered at {url} within {seconds} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--database-url", required=True)
    args = ap.parse_args()
    procs = []
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    try:
        sp = free_port()
        stripe_base = f"http://127.0.0.1:{sp}"
        procs.append(subprocess.Popen([args.bin, "stripe", "--port", str(sp), "--api-key", KEY, "--log-level", "error"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(stripe_base + "/v1/customers")
        ports = [free_port(), free_port()]
        secrets = []
        for p in ports:
            status, ep = stripe(stripe_base, "POST", "/v1/webhook_endpoints",
                                {"url": f"http://127.0.0.1:{p}/api/billing/webhooks", "enabled_events[0]": "*"})
            assert status == 200, ep
            secrets.append(ep["secret"])
        env = dict(os.environ, DATABASE_URL=args.database_url)
        for p, secret in zip(ports, secrets):
            procs.append(subprocess.Popen([args.bin, "app", "--port", str(p), "--stripe-api-base", stripe_base,
                                           "--stripe-secret-key", KEY, "--stripe-webhook-secret", secret],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in ports:
            wait_for(f"http://127.0.0.1:{p}/health")
        health = [call("GET", f"http://127.0.0.1:{p}/health")[0] for p in ports]
        check(health == [200, 200], f"two app servers started at once on one database: /health answered {health}")
        status, prices = stripe(stripe_base, "GET", "/v1/prices?limit=100")
        check(len(prices["data"]) == 3, f"plans synced once by lookup_key: {len(prices['data'])} prices")

        token = subprocess.run([args.bin, "token", "--user", "owner@two.test", "--org", "two"], env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        apps = [f"http://127.0.0.1:{p}" for p in ports]

        def create(i):
            return call("POST", apps[i % 2] + "/api/leads", {"name": f"Lead {i}"}, auth)[0]
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(create, range(60)))
        check(codes.count(201) == 25 and codes.count(403) == 35,
              f"60 concurrent creates over both servers at the free limit: {codes.count(201)} created, {codes.count(403)} refused")
        status, leads = call("GET", apps[1] + "/api/leads", headers=auth)
        check(len(leads["data"]) == 25, f"both servers see the same {len(leads['data'])} leads")

        # Deliveries before both servers listened (the plan sync's product and price events) were
        # refused and wait for their retry an hour later, as on Stripe: only the checkout's count.
        status, before = stripe(stripe_base, "GET", "/_emulator/deliveries?limit=1")
        baseline = before["data"][0]["seq"] if before["data"] else 0
        status, started = call("POST", apps[0] + "/api/billing/subscription", {"plan": "pro"}, auth)
        check(status == 200, "checkout started on server 1")
        status, done = stripe(stripe_base, "POST", f"/_emulator/checkout/{started['checkout_session_id']}/complete",
                              {"card": "4242424242424242"})
        check(status == 200, "checkout completed on the fake")
        stripe(stripe_base, "POST", "/_emulator/deliveries/drain")
        status, log = stripe(stripe_base, "GET", f"/_emulator/deliveries?limit=1000&after={baseline}")
        ok = [d for d in log["data"] if d["outcome"] == "succeeded"]
        per_event = {}
        for d in ok:
            per_event.setdefault(d["event"], set()).add(d["endpoint"])
        check(len(per_event) > 0 and all(len(v) == 2 for v in per_event.values()),
              f"{len(per_event)} events each delivered to both servers")
        status, sub = call("GET", apps[1] + "/api/billing/subscription", headers=auth)
        check(sub.get("plan") == "pro" and sub.get("status") == "trialing", f"server 2 sees the subscription: {sub.get('plan')} {sub.get('status')}")
        # Each event was recorded once: resending one to both servers gives `duplicate` twice.
        some = sorted(per_event)[0]
        stripe(stripe_base, "POST", f"/_emulator/events/{some}/resend")
        stripe(stripe_base, "POST", "/_emulator/deliveries/drain")
        status, again = stripe(stripe_base, "GET", f"/_emulator/deliveries?event={some}&limit=10")
        check(len(again["data"]) >= 4 and all(d["outcome"] == "succeeded" for d in again["data"]),
              f"event {some} delivered {len(again['data'])} times, every answer 2xx")
        psql = subprocess.run(["psql", args.database_url, "-Atc",
                               "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM processed_events"],
                              capture_output=True, text=True, timeout=60)
        check(psql.returncode == 0, f"psql reads processed_events (exit {psql.returncode}) {psql.stderr.strip()}")
        if psql.returncode == 0:
            total, distinct = psql.stdout.strip().split("|")
            check(total == distinct and int(total) >= len(per_event),
                  f"processed_events: {total} rows for {distinct} distinct events (each processed once)")
        # The same event, signed as Stripe signs it, straight to each server: both answer `duplicate`.
        status, event = stripe(stripe_base, "GET", f"/v1/events/{some}")
        check(status == 200, f"event {some} read back from the fake")
        payload = json.dumps(event).encode()
        answers = []
        for p, secret in zip(ports, secrets):
            t = int(time.time())
            mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
            req = urllib.request.Request(f"http://127.0.0.1:{p}/api/billing/webhooks", data=payload, method="POST",
                                         headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    answers.append((r.status, json.loads(r.read()).get("outcome")))
            except urllib.error.HTTPError as e:
                answers.append((e.code, e.read().decode(errors="replace")[:200]))
        check(answers == [(200, "duplicate"), (200, "duplicate")],
              f"event {some} sent again to both servers: answered {answers}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("two app servers: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
