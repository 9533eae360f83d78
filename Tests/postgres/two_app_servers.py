#!/usr/bin/env python3
"""Two `effinity app` processes and two `effinity worker` processes on one PostgreSQL database,
behind one fake Stripe.

    python3 Tests/postgres/two_app_servers.py --bin .build/debug/effinity --database-url postgres://...

Proves what a load balancer in front of several app servers, and a pool of workers, need:
- both servers start at once (migrations under an advisory lock, plans synced idempotently);
- 60 concurrent lead creates spread over both, on the free plan (25 leads), create exactly 25;
- the fake delivers every webhook event to both servers (one endpoint each); the servers only
  record each event as a job (`--no-worker`), once, and two workers share the queue
  (`FOR UPDATE SKIP LOCKED`). The workers reach Stripe through a proxy that delays every answer,
  so jobs take a while, and one worker is killed (SIGKILL) while it holds a job: once the job's
  lease has passed, the other worker takes it over. Every event is then applied exactly once:
  one job and one `processed_events` row per event, every job done, the business events and
  emails not doubled, the mirrored state whole; the same event sent again (signed, straight to
  each server) is answered `duplicate` by both.
Exits 0 when all holds, 1 otherwise; every process it starts is stopped.
"""
import argparse
import concurrent.futures
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
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


class SlowProxy(http.server.ThreadingHTTPServer):
    """Forwards the workers' Stripe calls to the fake, answering each after `delay` seconds."""
    daemon_threads = True

    def __init__(self, target, delay):
        self.target, self.delay = target, delay
        super().__init__(("127.0.0.1", 0), SlowProxy.Handler)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
            req = urllib.request.Request(self.server.target + self.path, data=body, headers=headers, method=self.command)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, data, rh = r.status, r.read(), r.headers
            except urllib.error.HTTPError as e:
                status, data, rh = e.code, e.read(), e.headers
            time.sleep(self.server.delay)
            try:
                self.send_response(status)
                for k, v in rh.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the killed worker's connection

        do_GET = do_POST = do_DELETE = forward


def psql(url, sql):
    r = subprocess.run(["psql", url, "-Atc", sql], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"psql failed ({r.returncode}): {r.stderr.strip()}")
    return [line.split("|") for line in r.stdout.strip().splitlines() if line]


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
                                           "--stripe-secret-key", KEY, "--stripe-webhook-secret", secret, "--no-worker"],
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
        # Two workers, reaching Stripe through a proxy that answers after 0.4 s, with 3 s leases.
        proxy = SlowProxy(stripe_base, 0.4)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxy_base = f"http://127.0.0.1:{proxy.server_address[1]}"
        workers = {}
        for _ in range(2):
            w = subprocess.Popen([args.bin, "worker", "--stripe-api-base", proxy_base, "--stripe-secret-key", KEY,
                                  "--job-lease", "3", "--poll-ms", "50"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            procs.append(w)
            banner = w.stdout.readline().split()
            check(len(banner) >= 3 and banner[1] == "worker", f"worker started: {' '.join(banner)}")
            workers[banner[2] if len(banner) >= 3 else str(w.pid)] = w

        status, started = call("POST", apps[0] + "/api/billing/subscription", {"plan": "pro"}, auth)
        check(status == 200, "checkout started on server 1")
        status, done = stripe(stripe_base, "POST", f"/_emulator/checkout/{started['checkout_session_id']}/complete",
                              {"card": "4242424242424242"})
        check(status == 200, "checkout completed on the fake")
        stripe(stripe_base, "POST", "/_emulator/deliveries/drain")
        # Kill (SIGKILL, no goodbye) the first worker seen holding a job.
        killed = None
        deadline = time.time() + 60
        while killed is None and time.time() < deadline:
            for job_id, holder in psql(args.database_url, "SELECT id, locked_by FROM jobs WHERE status = 'running'"):
                if holder in workers:
                    workers[holder].send_signal(signal.SIGKILL)
                    workers[holder].wait()
                    killed = (int(job_id), holder)
                    break
            else:
                time.sleep(0.02)
        check(killed is not None, f"a worker was killed while it held job {killed and killed[0]}")
        # The other worker finishes the queue, the dead worker's job once its lease has passed.
        deadline = time.time() + 120
        while time.time() < deadline:
            left = psql(args.database_url, "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0]
            if left == "0":
                break
            time.sleep(0.1)
        check(left == "0", f"the queue drained after the kill ({left} jobs left)")
        if killed:
            rows = psql(args.database_url, f"SELECT status, attempts, outcome FROM jobs WHERE id = {killed[0]}")
            check(rows and rows[0][0] == "done" and int(rows[0][1]) >= 2,
                  f"the killed worker's job {killed[0]} was taken over and finished: {rows}")
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
        deadline = time.time() + 60
        while psql(args.database_url, "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0] != "0" and time.time() < deadline:
            time.sleep(0.1)
        total, distinct = psql(args.database_url, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM processed_events")[0]
        check(total == distinct and int(total) >= len(per_event),
              f"processed_events: {total} rows for {distinct} distinct events (each processed once)")
        jobs = dict((e, (st, o)) for e, st, o in psql(args.database_url,
                    "SELECT event_id, status, COALESCE(outcome, '') FROM jobs WHERE kind = 'stripe_event'"))
        missing = [e for e in per_event if e not in jobs]
        check(not missing, f"every delivered event has its job ({len(per_event)} events, missing {missing})")
        not_done = {e: v for e, v in jobs.items() if v[0] != "done"}
        check(not not_done, f"every event job is done ({len(jobs)} jobs, not done: {not_done})")
        unapplied = psql(args.database_url,
                         "SELECT COUNT(*) FROM jobs j WHERE kind = 'stripe_event' AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = j.event_id)")[0][0]
        check(unapplied == "0", f"every job's event is in processed_events (nothing lost): {unapplied} missing")
        news = psql(args.database_url, "SELECT COUNT(*) FROM business_events WHERE org_id = 'two' AND event = 'new_subscription'")[0][0]
        check(news == "1", f"the new subscription counted once, not once per worker or server: {news}")
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
