#!/usr/bin/env python3
"""stripeload: the load harness behind BENCHMARKS.md (Python standard library only).

It drives any server that speaks the Stripe HTTP API (form-encoded bodies, `Authorization: Bearer
sk_test_...`) with one fixed workload, so `effinity stripe` and localstripe are measured the same way.
It only ever talks to 127.0.0.1, and every load it generates is bounded by a request count and a time
cap, so it always stops by itself.

Two modes:

* workload (default): `--runs N` runs; with `--server-cmd` each run starts the server afresh (startup time,
  idle RSS), then runs the phases `create`, `retrieve`, `flow`, each at every `--concurrency` (default 1,8),
  then with `--wrk` the same create/retrieve requests driven by wrk, and finally stops the server.
* `--scale`: one run; customers are created (8 clients) up to each of `--scale-checkpoints`, and at each
  checkpoint the server's RSS, the segment's create rate and the latency of sequential list calls
  (`limit=10` and `limit=100`) are recorded. All the creates share one time cap (`--scale-max-seconds`).

Output: one JSON object per line on stdout (and appended to `--out`); each has `server`, `run`, `ts` and
`metric` (startup, rss_idle, phase, flow_probe, wrk, rss_end, scale, scale_stopped).  A human summary
goes to stderr.  `benchmarks/report.py` reads these lines; `benchmarks/listbench.py` imports this module.

    python3 benchmarks/stripeload.py --base-url http://127.0.0.1:18427 --name ours \\
        --server-cmd ".build-release/release/effinity stripe --port 18427" --runs 3 --wrk --out ours.jsonl

Definitions used everywhere below:

* error: an answer that is not 2xx, a refused/reset connection or a timeout (10 s per request), or a 2xx
  whose body is unusable (not JSON, or not the object asked for);
* mismatch: a usable 2xx that contradicts what the harness stored before (a stateless mock scores these);
* latency percentiles: nearest rank (the smallest sample with at least q% of the samples at or below it);
* RSS: VmRSS of the server process plus all of its descendants, from /proc.
"""
import argparse
import asyncio
import collections
import http.client
import itertools
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

if sys.version_info < (3, 11):                   # asyncio.timeout
    raise SystemExit("stripeload needs Python 3.11 or newer")

REQUEST_TIMEOUT_S = 10.0
LOOPBACK = "127.0.0.1"


# =====================================================================================================
# numbers
# =====================================================================================================

def nearest_rank(samples, q):
    """The q-th percentile (0 < q <= 100) by nearest rank, or None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds):
    """Seconds -> milliseconds rounded to the microsecond (None stays None)."""
    return None if seconds is None else round(seconds * 1000.0, 3)


def rate(count, seconds):
    return round(count / seconds, 3) if seconds and seconds > 0 else None


def token(n=8):
    """A short random tag, so that emails stay unique across runs against one server."""
    return os.urandom(n).hex()[:n]


# =====================================================================================================
# memory of the server process tree
# =====================================================================================================

def _children(pid):
    """Direct children of pid (via /proc/PID/task/*/children, else a scan of /proc/*/stat)."""
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    found_file = False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
            found_file = True
        except OSError:
            pass
    if found_file:
        return kids
    for entry in os.listdir("/proc"):  # kernels without CONFIG_PROC_CHILDREN
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def tree_rss_kib(pid):
    """Sum of VmRSS (KiB) over pid and its descendants; None if pid no longer exists."""
    if not pid:
        return None
    total, seen, todo, any_alive = 0, set(), [pid], False
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            any_alive = True
        except OSError:
            continue
        todo.extend(_children(p))
    return total if any_alive else None


class MemoryWatch:
    """`with MemoryWatch(pid) as w: ...` samples the tree RSS every 100 ms in a thread; w.peak_kib after."""

    def __init__(self, pid, every=0.1):
        self.pid, self.every, self.peak_kib = pid, every, None
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            v = tree_rss_kib(self.pid)
            if v is not None:
                self.peak_kib = v if self.peak_kib is None else max(self.peak_kib, v)
            if self._halt.wait(self.every):
                return

    def __enter__(self):
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.pid:
            self._halt.set()
            self._thread.join()
        return False


# =====================================================================================================
# the server under test (only with --server-cmd)
# =====================================================================================================

def check_loopback(base_url):
    """Returns (host, port, path prefix); refuses anything but plain http to 127.0.0.1."""
    parts = urllib.parse.urlsplit(base_url.rstrip("/"))
    if parts.scheme != "http" or parts.hostname != LOOPBACK or not parts.port:
        raise SystemExit(f"stripeload only talks to http://{LOOPBACK}:PORT (got {base_url!r})")
    return parts.hostname, parts.port, parts.path


class ServerUnderTest:
    """Starts the server command in its own session (so that the whole process group can be stopped),
    measures startup, and stops it again."""

    def __init__(self, command, base_url, api_key, log_path, cwd=None):
        self.argv = shlex.split(command)
        self.host, self.port, self.prefix = check_loopback(base_url)
        self.api_key, self.log_path, self.cwd = api_key, log_path, cwd
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def probe(self, timeout=1.0):
        """Status of GET /v1/customers?limit=1, or None if nothing answered."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", self.prefix + "/v1/customers?limit=1",
                         headers={"Authorization": f"Bearer {self.api_key}"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def port_taken(self):
        with socket.socket() as s:
            s.settimeout(0.3)
            return s.connect_ex((self.host, self.port)) == 0

    def start(self, max_wait=60.0, poll=0.005, non_2xx_grace=5.0):
        """Launch; return (ms to first 2xx answer or None, ms to first answer of any status)."""
        if self.port_taken():
            raise RuntimeError(f"port {self.port} is already in use; refusing to measure someone else's server")
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
            log.flush()
            started = time.perf_counter()
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.cwd, start_new_session=True)
        first_any = None
        while True:
            status = self.probe()
            waited = time.perf_counter() - started
            if status is not None and first_any is None:
                first_any = waited
            if status is not None and 200 <= status < 300:
                return waited * 1000.0, first_any * 1000.0
            if first_any is not None and waited > first_any + non_2xx_grace:
                return None, first_any * 1000.0      # answers, but never 2xx: say so instead of waiting on
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with status {self.proc.returncode}; see {self.log_path}")
            if waited > max_wait:
                raise RuntimeError(f"no 2xx answer within {max_wait:.0f} s (last status {status})")
            time.sleep(poll)

    def stop(self):
        """SIGTERM to the server's process group (its pid), SIGKILL after 10 s; then wait for the port."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + 10
        while self.port_taken() and time.monotonic() < deadline:
            time.sleep(0.05)


# =====================================================================================================
# HTTP/1.1 keep-alive client on asyncio protocols
# =====================================================================================================
# A Python client shares the CPUs with the server; this one does the least per request that is still
# correct HTTP: the request bytes are built with one format, and the response is parsed incrementally
# as bytes arrive (status line, Content-Length or chunked body).  One connection per worker, reused.

Answer = collections.namedtuple("Answer", "status doc seconds error")   # doc: parsed JSON or None


class _Wire(asyncio.Protocol):
    """One TCP connection carrying one exchange at a time."""

    def __init__(self):
        self.transport = None
        self.waiter = None
        self.buf = bytearray()
        self.open = True
        self._reset_parse()

    def _reset_parse(self):
        self.head_end = None       # index just past the blank line that ends the headers
        self.status = None
        self.length = None         # Content-Length, if given
        self.chunked = False
        self.keep = True

    # -- asyncio.Protocol
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            try:
                done = self._complete(eof=False)
            except (ValueError, IndexError) as exc:      # not HTTP: fail this exchange, drop the connection
                self.waiter.set_exception(exc)
                self.close()
                return
            if done is not None:
                self.waiter.set_result(done)

    def connection_lost(self, exc):
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            try:
                done = self._complete(eof=True)
            except (ValueError, IndexError):
                done = None
            if done is not None:
                self.waiter.set_result(done)
            else:
                self.waiter.set_exception(ConnectionResetError("connection closed before a full response"))

    # -- use
    def exchange(self, payload):
        self.buf.clear()
        self._reset_parse()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self.waiter

    def close(self):
        self.open = False
        if self.transport is not None:
            self.transport.close()

    def _complete(self, eof):
        """(status, body bytes, keep-alive) once the buffered response is whole, else None."""
        if self.head_end is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            self.head_end = end + 4
            lines = bytes(self.buf[:end]).split(b"\r\n")
            version, code = lines[0].split(b" ", 2)[:2]
            self.status = int(code)
            self.keep = version == b"HTTP/1.1"
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    self.length = int(value)
                elif name == b"transfer-encoding":
                    self.chunked = b"chunked" in value
                elif name == b"connection":
                    self.keep = b"close" not in value if self.keep else value == b"keep-alive"
        if self.chunked:
            if not self.buf.endswith(b"\r\n\r\n") and not eof:
                return None
            body = self._dechunk()
            return None if body is None else (self.status, body, self.keep)
        if self.length is not None:
            if len(self.buf) - self.head_end < self.length:
                return None
            return self.status, bytes(self.buf[self.head_end:self.head_end + self.length]), self.keep
        if eof:                                  # no length: the body runs to the end of the connection
            return self.status, bytes(self.buf[self.head_end:]), False
        return None

    def _dechunk(self):
        out, at = bytearray(), self.head_end
        while True:
            eol = self.buf.find(b"\r\n", at)
            if eol < 0:
                return None
            size = int(bytes(self.buf[at:eol]).split(b";")[0], 16)
            at = eol + 2
            if size == 0:
                return bytes(out)
            if len(self.buf) < at + size + 2:
                return None
            out += self.buf[at:at + size]
            at += size + 2


class Client:
    """`await client.call("POST", "/v1/customers", {"email": ...})` -> Answer.

    Connections are kept in a free list: a coroutine takes one for its exchange and puts it back, so N
    concurrent workers end up with N connections.  A kept-alive connection that the server closed in
    the meantime is retried once on a fresh connection (a new one is not retried)."""

    def __init__(self, base_url, api_key, timeout=REQUEST_TIMEOUT_S):
        self.host, self.port, self.prefix = check_loopback(base_url)
        self.timeout = timeout
        self.fixed = (f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {api_key}\r\n"
                      f"User-Agent: stripeload\r\nAccept: application/json\r\n")
        self.free = []

    def _bytes(self, method, path, fields):
        query = urllib.parse.urlencode(fields) if fields else ""
        if method == "GET":
            target = self.prefix + path + ("?" + query if query else "")
            return f"GET {target} HTTP/1.1\r\n{self.fixed}\r\n".encode()
        body = query.encode()
        return (f"{method} {self.prefix}{path} HTTP/1.1\r\n{self.fixed}"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body

    async def _connect(self):
        _, wire = await asyncio.get_running_loop().create_connection(_Wire, self.host, self.port)
        return wire

    async def call(self, method, path, fields=None):
        payload = self._bytes(method, path, fields)
        for attempt in (1, 2):
            while self.free and not self.free[-1].open:    # closed by the server while idle
                self.free.pop()
            reused = bool(self.free)
            began = time.perf_counter()
            wire = None
            try:
                async with asyncio.timeout(self.timeout):
                    wire = self.free.pop() if reused else await self._connect()
                    status, body, keep = await wire.exchange(payload)
            except TimeoutError:
                if wire is not None:
                    wire.close()
                return Answer(None, None, time.perf_counter() - began, "timeout")
            except (OSError, ValueError, IndexError) as exc:   # refused, reset, or a garbled answer
                if wire is not None:
                    wire.close()
                if reused and attempt == 1 and isinstance(exc, ConnectionError):
                    continue
                return Answer(None, None, time.perf_counter() - began, type(exc).__name__)
            seconds = time.perf_counter() - began
            if keep and wire.open:
                self.free.append(wire)
            else:
                wire.close()
            try:
                doc = json.loads(body) if body else None
            except ValueError:
                doc = None
            return Answer(status, doc, seconds, None)

    def close(self):
        while self.free:
            self.free.pop().close()


def is_2xx(status):
    return status is not None and 200 <= status < 300


def server_message(doc):
    """The `error.message` of a Stripe-style error body, shortened."""
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        return str(doc["error"].get("message"))[:160]
    return None


# =====================================================================================================
# bounded load and its bookkeeping
# =====================================================================================================

async def drive(workers, limit, seconds, job):
    """Run job(0), job(1), ... on `workers` coroutines until `limit` jobs were started or `seconds`
    passed (jobs in flight then are finished).  Returns (jobs started, elapsed s, "count" | "time")."""
    tickets = itertools.count()
    started = [0]
    begin = time.perf_counter()
    stop_at = begin + seconds

    async def worker():
        while time.perf_counter() < stop_at:
            n = next(tickets)
            if n >= limit:
                return
            started[0] += 1
            await job(n)

    if limit > 0:
        await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - begin
    return started[0], elapsed, ("count" if started[0] >= limit else "time")


class Tally:
    """What a phase saw: every request's latency, and counters of successes, errors, mismatches."""

    def __init__(self):
        self.seconds = []
        self.requests = self.ok = self.errors = self.mismatch = 0
        self.by_status = collections.Counter()
        self.examples = []                       # the first few failures, for the log

    def count(self, answer, usable=True, **context):
        """Book one answer; usable=False marks a 2xx whose body is wrong. Returns True if it was ok."""
        self.requests += 1
        self.seconds.append(answer.seconds)
        self.by_status[str(answer.status) if answer.status is not None else answer.error] += 1
        if is_2xx(answer.status) and usable:
            self.ok += 1
            return True
        self.errors += 1
        if len(self.examples) < 3:
            self.examples.append({"status": answer.status, "error": answer.error or server_message(answer.doc),
                                  **context})
        return False

    def line(self, phase, concurrency, ops, elapsed, stopped_by, **extra):
        """The JSON line of a phase (`metric: "phase"`)."""
        rec = {"metric": "phase", "phase": phase, "concurrency": concurrency, "ops": ops,
               "requests": self.requests, "ok": self.ok, "errors": self.errors, "mismatch": self.mismatch,
               "duration_s": round(elapsed, 3), "stopped_by": stopped_by,
               "ops_per_s": rate(ops, elapsed), "ok_per_s": rate(self.ok, elapsed),
               "p50_ms": ms(nearest_rank(self.seconds, 50)), "p99_ms": ms(nearest_rank(self.seconds, 99)),
               "status_counts": dict(self.by_status)}
        if self.examples:
            rec["error_samples"] = self.examples
        rec.update(extra)
        return rec


# =====================================================================================================
# the workload phases
# =====================================================================================================

async def create_customers(client, concurrency, limit, seconds):
    """POST /v1/customers; usable if the answer is a cus_ object; mismatch if the email is not echoed."""
    tally, tag = Tally(), token(6)

    async def one(n):
        email = f"c{tag}{n}@example.com"
        a = await client.call("POST", "/v1/customers",
                              {"email": email, "name": f"Bench {n}", "metadata[bench]": "1"})
        usable = isinstance(a.doc, dict) and str(a.doc.get("id", "")).startswith("cus_")
        if tally.count(a, usable) and a.doc.get("email") != email:
            tally.mismatch += 1

    ops, elapsed, why = await drive(concurrency, limit, seconds, one)
    return tally.line("create_customer", concurrency, ops, elapsed, why)


async def customer_pool(client, size):
    """`size` customers created one after another: [(id, email)] for the retrieve phase."""
    pool, tag = [], token(6)
    for n in range(size):
        email = f"p{tag}{n}@example.com"
        a = await client.call("POST", "/v1/customers", {"email": email})
        if is_2xx(a.status) and isinstance(a.doc, dict) and a.doc.get("id"):
            pool.append((a.doc["id"], email))
    return pool


async def retrieve_customers(client, concurrency, limit, seconds, pool):
    """GET /v1/customers/{id} round-robin over the pool; usable if the same id comes back; mismatch if
    its email is not the one it was created with."""
    if not pool:
        return {"metric": "phase", "phase": "retrieve_customer", "concurrency": concurrency,
                "unsupported": True, "reason": "no customer could be created to retrieve"}
    tally = Tally()

    async def one(n):
        cid, email = pool[n % len(pool)]
        a = await client.call("GET", f"/v1/customers/{cid}")
        if tally.count(a, isinstance(a.doc, dict) and a.doc.get("id") == cid) and a.doc.get("email") != email:
            tally.mismatch += 1

    ops, elapsed, why = await drive(concurrency, limit, seconds, one)
    return tally.line("retrieve_customer", concurrency, ops, elapsed, why)


# ---- the billing flow ---------------------------------------------------------------------------
# One flow signs a new customer up for a monthly subscription, the way an app would:
#   product -> price -> customer -> attach pm_card_visa (+ make it the invoice default) ->
#   subscription -> retrieve it -> list the customer's invoices.
# Servers differ in what they implement, so a step may have alternatives ("variants"); a probe flow run
# before each flow phase picks, per step, the first variant that works, and the timed flows use only
# that one.  A step with no working variant is "unsupported": it and the steps needing its output are
# skipped, and the phase line says complete=false.

Outcome = collections.namedtuple("Outcome", "ok answers mismatch")


class BillingFlow:
    STEPS = ("product", "price", "customer", "attach_pm", "subscription", "retrieve_subscription",
             "list_invoices")
    NEEDS = {"product": (), "price": ("product",), "customer": (), "attach_pm": ("customer",),
             "subscription": ("customer", "item"), "retrieve_subscription": ("subscription",),
             "list_invoices": ("customer",)}

    def __init__(self, client):
        self.c = client
        self.variants = {
            "product": [("product", self.product)],
            "price": [("price", self.price), ("plan", self.plan)],      # localstripe only knows plans
            "customer": [("customer", self.customer)],
            "attach_pm": [("pm_card_visa_attach+default", self.attach_pm), ("source_tok_visa", self.source)],
            "subscription": [("subscription", self.subscribe)],
            "retrieve_subscription": [("retrieve", self.get_subscription)],
            "list_invoices": [("list_by_customer", self.invoices)],
        }

    @staticmethod
    def _id(a, prefix=""):
        if is_2xx(a.status) and isinstance(a.doc, dict) and str(a.doc.get("id", "")).startswith(prefix):
            return a.doc["id"] or None
        return None

    async def product(self, ctx):
        a = await self.c.call("POST", "/v1/products", {"name": "Bench product " + token(4)})
        ctx["product"] = self._id(a)
        return Outcome(bool(ctx["product"]), [a], False)

    async def price(self, ctx):
        a = await self.c.call("POST", "/v1/prices", {"product": ctx["product"], "currency": "usd",
                                                     "unit_amount": "1000", "recurring[interval]": "month"})
        item = self._id(a)
        if item:
            ctx["item"] = ("price", item)
        return Outcome(bool(item), [a], False)

    async def plan(self, ctx):
        a = await self.c.call("POST", "/v1/plans", {"product": ctx["product"], "currency": "usd",
                                                    "amount": "1000", "interval": "month"})
        item = self._id(a)
        if item:
            ctx["item"] = ("plan", item)
        return Outcome(bool(item), [a], False)

    async def customer(self, ctx):
        email = f"flow{token(8)}@example.com"
        a = await self.c.call("POST", "/v1/customers", {"email": email})
        cid = self._id(a, "cus_")
        if cid:
            ctx["customer"] = cid
        return Outcome(bool(cid), [a], bool(cid) and a.doc.get("email") != email)

    async def attach_pm(self, ctx):
        a = await self.c.call("POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": ctx["customer"]})
        pm = self._id(a)
        if not pm:
            return Outcome(False, [a], False)
        b = await self.c.call("POST", f"/v1/customers/{ctx['customer']}",
                              {"invoice_settings[default_payment_method]": pm})
        return Outcome(self._id(b) == ctx["customer"], [a, b], False)

    async def source(self, ctx):
        a = await self.c.call("POST", f"/v1/customers/{ctx['customer']}/sources", {"source": "tok_visa"})
        return Outcome(bool(self._id(a)), [a], False)

    async def subscribe(self, ctx):
        kind, item = ctx["item"]
        a = await self.c.call("POST", "/v1/subscriptions", {"customer": ctx["customer"], f"items[0][{kind}]": item})
        sid = self._id(a, "sub_")
        if sid:
            ctx["subscription"] = sid
        return Outcome(bool(sid), [a], bool(sid) and a.doc.get("customer") != ctx["customer"])

    async def get_subscription(self, ctx):
        sid = ctx["subscription"]
        a = await self.c.call("GET", f"/v1/subscriptions/{sid}")
        good = self._id(a) == sid
        return Outcome(good, [a], good and a.doc.get("customer") != ctx["customer"])

    async def invoices(self, ctx):
        a = await self.c.call("GET", "/v1/invoices", {"customer": ctx["customer"]})
        good = is_2xx(a.status) and isinstance(a.doc, dict) and isinstance(a.doc.get("data"), list)
        ours = good and any(isinstance(i, dict) and i.get("customer") == ctx["customer"] for i in a.doc["data"])
        return Outcome(good, [a], good and not ours)

    async def probe(self):
        """Run one flow trying every variant in order. Returns ({step: variant or None}, report)."""
        ctx, chosen, report = {}, {}, {}
        for step in self.STEPS:
            chosen[step] = None
            if any(k not in ctx for k in self.NEEDS[step]):
                report[step] = {"unsupported": True, "reason": "needs the output of an unsupported step"}
                continue
            failures = []
            for name, fn in self.variants[step]:
                out = await fn(ctx)
                if out.ok:
                    chosen[step] = (name, fn)
                    report[step] = {"variant": name, "fallback": name != self.variants[step][0][0]}
                    if failures:
                        report[step]["failed_variants"] = failures
                    break
                last = out.answers[-1]
                failures.append({"variant": name, "status": last.status,
                                 "error": last.error or server_message(last.doc)})
            else:
                report[step] = {"unsupported": True, "tried": failures}
        return chosen, report

    async def phase(self, concurrency, limit, seconds, chosen):
        """Timed flows with the chosen variants (`metric: "phase"`, `phase: "billing_flow"`)."""
        tally = Tally()
        flow_seconds, flows_ok = [], [0]
        step_seconds = {s: [] for s in self.STEPS}
        step_errors = collections.Counter()
        step_mismatch = collections.Counter()

        async def one(n):
            ctx, all_ok, began = {}, True, time.perf_counter()
            for step in self.STEPS:
                if chosen[step] is None or any(k not in ctx for k in self.NEEDS[step]):
                    continue
                t = time.perf_counter()
                out = await chosen[step][1](ctx)
                step_seconds[step].append(time.perf_counter() - t)
                for i, a in enumerate(out.answers):      # every request of the step counts on its own;
                    last = i == len(out.answers) - 1    # the body check applies to the step's last one
                    tally.count(a, out.ok or not last, step=step)
                if not out.ok:
                    all_ok = False
                    step_errors[step] += 1
                if out.mismatch:
                    tally.mismatch += 1
                    step_mismatch[step] += 1
            flow_seconds.append(time.perf_counter() - began)
            flows_ok[0] += all_ok

        ops, elapsed, why = await drive(concurrency, limit, seconds, one)
        missing = [s for s in self.STEPS if chosen[s] is None]
        return tally.line(
            "billing_flow", concurrency, ops, elapsed, why,
            flows=ops, flows_ok=flows_ok[0], flows_per_s=rate(ops, elapsed),
            flows_ok_per_s=rate(flows_ok[0], elapsed),
            flow_p50_ms=ms(nearest_rank(flow_seconds, 50)), flow_p99_ms=ms(nearest_rank(flow_seconds, 99)),
            complete=not missing, unsupported_steps=missing,
            variants={s: chosen[s][0] if chosen[s] else None for s in self.STEPS},
            steps={s: {"p50_ms": ms(nearest_rank(step_seconds[s], 50)),
                       "p99_ms": ms(nearest_rank(step_seconds[s], 99)),
                       "errors": step_errors[s], "mismatch": step_mismatch[s]}
                   for s in self.STEPS if chosen[s] is not None})


async def workload(args, emit, pid):
    """Every phase at every concurrency, in the order create, retrieve, flow (each c1 then c8)."""
    pool = None
    for phase in args.phases.split(","):
        for conc in args.concurrencies:
            client = Client(args.base_url, args.api_key)
            try:
                with MemoryWatch(pid) as mem:
                    if phase == "create":
                        rec = await create_customers(client, conc, args.requests, args.max_seconds)
                    elif phase == "retrieve":
                        if pool is None:
                            pool = await customer_pool(client, args.pool)
                        rec = await retrieve_customers(client, conc, args.requests, args.max_seconds, pool)
                    elif phase == "flow":
                        flow = BillingFlow(client)
                        chosen, report = await flow.probe()
                        emit({"metric": "flow_probe", "concurrency": conc, "steps": report})
                        if chosen["customer"] is None:
                            rec = {"metric": "phase", "phase": "billing_flow", "concurrency": conc,
                                   "unsupported": True, "reason": "customers cannot be created"}
                        else:
                            rec = await flow.phase(conc, args.flows, args.max_seconds, chosen)
                    else:
                        raise SystemExit(f"unknown phase {phase!r} (create, retrieve, flow)")
                if pid:
                    rec["rss_peak_kb"] = mem.peak_kib
                    rec["rss_after_kb"] = tree_rss_kib(pid)
                emit(rec)
            finally:
                client.close()


# =====================================================================================================
# wrk cross-check
# =====================================================================================================
# The Python client costs CPU that the server under test would otherwise have; wrk (C) costs much less.
# The same create and retrieve requests are driven by wrk for a fixed duration, 1 thread and N connections.
# Its --latency text output is parsed: requests, duration, socket errors, non-2xx, the 50%/99% lines.

_WRK_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text):
    """wrk --latency output -> dict(requests, seconds, errors, rps, p50_ms, p99_ms), or None."""
    done = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s|m),", text)
    per_s = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    if not done or not per_s:
        return None
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    errors += int(non2xx.group(1)) if non2xx else 0
    pcts = {p: (float(v) * _WRK_UNIT_MS[u]) for p, v, u in
            re.findall(r"^\s*(50|99)\.?0*%\s+([0-9.]+)(us|ms|s|m)\s*$", text, re.M)}
    return {"requests": int(done.group(1)), "errors": errors, "rps": round(float(per_s.group(1)), 3),
            "p50_ms": round(pcts["50"], 3) if "50" in pcts else None,
            "p99_ms": round(pcts["99"], 3) if "99" in pcts else None}


def wrk_crosscheck(args, emit):
    wrk = shutil.which("wrk")
    if not wrk:
        emit({"metric": "wrk", "skipped": "wrk not installed"})
        return
    host, port, prefix = check_loopback(args.base_url)
    # a customer for wrk to GET
    conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", prefix + "/v1/customers", body="email=wrk%40example.com",
                     headers={"Authorization": f"Bearer {args.api_key}",
                              "Content-Type": "application/x-www-form-urlencoded"})
        cid = json.loads(conn.getresponse().read())["id"]
    finally:
        conn.close()
    auth = f'wrk.headers["Authorization"] = "Bearer {args.api_key}"\n'
    requests = {
        "create_customer": ("/v1/customers", auth + 'wrk.method = "POST"\n'
                            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                            'wrk.body = "email=wrk%40example.com&name=Wrk"\n'),
        "retrieve_customer": (f"/v1/customers/{cid}", auth),
    }
    url = f"http://{host}:{port}{prefix}"
    for phase, (path, script) in requests.items():
        for conc in args.concurrencies:
            with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="stripeload-", delete=False) as f:
                f.write(script)
            try:
                out = subprocess.run([wrk, "-t1", f"-c{conc}", f"-d{args.wrk_seconds}s", "--timeout", "10s",
                                      "--latency", "-s", f.name, url + path],
                                     capture_output=True, text=True, timeout=args.wrk_seconds + 60)
                figures = parse_wrk(out.stdout)
            except subprocess.TimeoutExpired:
                figures, out = None, None
            finally:
                os.unlink(f.name)
            if figures is None:
                emit({"metric": "wrk", "phase": phase, "concurrency": conc,
                      "error": (out.stdout + out.stderr)[-300:] if out else "wrk did not finish"})
            else:
                emit({"metric": "wrk", "phase": phase, "concurrency": conc, **figures})


# =====================================================================================================
# scale mode
# =====================================================================================================

async def list_timing(client, limit, samples):
    """`samples` sequential GET /v1/customers?limit=N: p50/p99 and how many were not a usable list."""
    lat, bad = [], 0
    for _ in range(samples):
        a = await client.call("GET", "/v1/customers", {"limit": str(limit)})
        lat.append(a.seconds)
        if not (is_2xx(a.status) and isinstance(a.doc, dict) and isinstance(a.doc.get("data"), list)):
            bad += 1
    return {"p50_ms": ms(nearest_rank(lat, 50)), "p99_ms": ms(nearest_rank(lat, 99)),
            "requests": samples, "errors": bad}


async def scale(args, emit, pid):
    checkpoints = sorted({int(x) for x in args.scale_checkpoints.split(",") if x.strip()})
    client = Client(args.base_url, args.api_key)
    began = time.perf_counter()
    cap_at = began + args.scale_max_seconds
    stored, errors_total = 0, 0
    try:
        emit({"metric": "scale", "objects": 0, "rss_kb": tree_rss_kib(pid),
              "list10": await list_timing(client, 10, args.list_samples)})
        for target in checkpoints:
            tally, tag = Tally(), token(6)

            async def one(n):
                a = await client.call("POST", "/v1/customers", {"email": f"s{tag}{n}@example.com", "name": "Scale"})
                tally.count(a, isinstance(a.doc, dict) and str(a.doc.get("id", "")).startswith("cus_"))

            ops, elapsed, why = await drive(args.scale_concurrency, target - stored,
                                            max(0.0, cap_at - time.perf_counter()), one)
            stored += tally.ok
            errors_total += tally.errors
            emit({"metric": "scale", "objects": stored, "target": target, "create_errors_total": errors_total,
                  "segment_creates_per_s": rate(tally.ok, elapsed),
                  "segment_create_p50_ms": ms(nearest_rank(tally.seconds, 50)),
                  "segment_create_p99_ms": ms(nearest_rank(tally.seconds, 99)),
                  "elapsed_s": round(time.perf_counter() - began, 3), "rss_kb": tree_rss_kib(pid),
                  "list10": await list_timing(client, 10, args.list_samples),
                  "list100": await list_timing(client, 100, args.list_samples)})
            if why == "time":
                emit({"metric": "scale_stopped", "objects": stored, "target": target,
                      "reason": f"scale time cap {args.scale_max_seconds}s"})
                break
    finally:
        client.close()


# =====================================================================================================
# driver
# =====================================================================================================

def summary(lines, name, out=sys.stderr):
    """A few readable lines per run for the log (the JSON lines are the real output)."""
    say = lambda s: print(s, file=out)
    say(f"== stripeload {name}")
    for r in lines:
        m = r.get("metric")
        if m == "startup":
            say(f"run {r['run']}: startup {r['startup_ms']} ms")
        elif m == "rss_idle" and r.get("rss_kb"):
            say(f"  idle RSS {r['rss_kb'] / 1024:.1f} MiB")
        elif m == "phase" and not r.get("unsupported"):
            flow = r["phase"] == "billing_flow"
            say(f"  {r['phase']:<18} c{r['concurrency']:<2} "
                f"{r['flows_ok_per_s'] if flow else r['ok_per_s']} ok/s  "
                f"p50 {r['flow_p50_ms'] if flow else r['p50_ms']} ms  p99 {r['flow_p99_ms'] if flow else r['p99_ms']} ms  "
                f"errors {r['errors']}  mismatch {r['mismatch']}  stopped by {r['stopped_by']}"
                + ("" if not flow or r.get("complete") else f"  unsupported {r['unsupported_steps']}"))
        elif m == "phase":
            say(f"  {r['phase']} c{r['concurrency']}: unsupported ({r.get('reason')})")
        elif m == "wrk":
            say(f"  wrk {r.get('phase', '')} c{r.get('concurrency', '')}: "
                + (f"{r['rps']} req/s p50 {r['p50_ms']} ms errors {r['errors']}" if "rps" in r
                   else str(r.get("skipped") or r.get("error"))))
        elif m == "scale":
            say(f"  scale {r['objects']:>7} customers  RSS {(r.get('rss_kb') or 0) / 1024:.1f} MiB  "
                f"creates/s {r.get('segment_creates_per_s')}  list10 p50 {r['list10']['p50_ms']} ms"
                + (f"  list100 p50 {r['list100']['p50_ms']} ms" if "list100" in r else ""))
        elif m == "scale_stopped":
            say(f"  scale stopped at {r['objects']}: {r['reason']}")


def stop_on_signals():
    """SIGTERM/SIGHUP (e.g. from `timeout`) unwind like Ctrl-C, so the server is always stopped."""
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def json_lines(name, out_path):
    """An emit(record) function: adds server/run/ts, prints the line and appends it to out_path."""
    state = {"run": None, "lines": []}
    sink = open(out_path, "a") if out_path else None

    def emit(rec):
        rec = {"server": name, "run": state["run"], "ts": round(time.time(), 3), **rec}
        state["lines"].append(rec)
        text = json.dumps(rec)
        print(text, flush=True)
        if sink:
            sink.write(text + "\n")
            sink.flush()
    emit.state = state
    emit.close = (lambda: sink.close()) if sink else (lambda: None)
    return emit


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True, help=f"http://{LOOPBACK}:PORT of the server under test")
    ap.add_argument("--name", default=None, help="label of the server in the output")
    ap.add_argument("--server-cmd", default=None,
                    help="command starting the server on that port; each run starts it afresh, which gives "
                         "startup time and RSS (without it: a server that already runs, no startup/RSS figures)")
    ap.add_argument("--server-cwd", default=None)
    ap.add_argument("--pid", type=int, default=None, help="RSS of this running server (without --server-cmd)")
    ap.add_argument("--api-key", default="sk_test_stripeload")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--phases", default="create,retrieve,flow")
    ap.add_argument("--concurrency", default="1,8", help="clients per phase, comma-separated")
    ap.add_argument("--requests", type=int, default=2000, help="request cap of the create and retrieve phases")
    ap.add_argument("--flows", type=int, default=200, help="flow cap of the billing-flow phase")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="time cap of every phase")
    ap.add_argument("--pool", type=int, default=100, help="customers the retrieve phase cycles through")
    ap.add_argument("--idle-settle", type=float, default=1.0, help="seconds after startup before the idle RSS")
    ap.add_argument("--wrk", action="store_true", help="also drive create/retrieve with wrk")
    ap.add_argument("--wrk-seconds", type=int, default=5)
    ap.add_argument("--scale", action="store_true", help="scale mode instead of the workload (one run)")
    ap.add_argument("--scale-checkpoints", default="1000,10000")
    ap.add_argument("--scale-concurrency", type=int, default=8)
    ap.add_argument("--scale-max-seconds", type=float, default=600.0, help="time cap of all scale creates")
    ap.add_argument("--list-samples", type=int, default=30)
    ap.add_argument("--log-dir", default=None, help="server logs (default: a new temporary directory)")
    ap.add_argument("--out", default=None, help="append the JSON lines to this file too")
    args = ap.parse_args(argv)
    check_loopback(args.base_url)
    args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    name = args.name or args.base_url
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="stripeload-")
    os.makedirs(log_dir, exist_ok=True)
    stop_on_signals()
    emit = json_lines(name, args.out)
    failed = False
    try:
        for run in range(1 if args.scale else args.runs):
            emit.state["run"] = run
            server, pid = None, args.pid
            try:
                if args.server_cmd:
                    server = ServerUnderTest(args.server_cmd, args.base_url, args.api_key,
                                             os.path.join(log_dir, f"server-{'scale' if args.scale else 'http'}.log"),
                                             args.server_cwd)
                    first_2xx, first_any = server.start()
                    pid = server.pid
                    rec = {"metric": "startup", "startup_ms": None if first_2xx is None else round(first_2xx, 3),
                           "first_response_ms": round(first_any, 3), "cmd": args.server_cmd}
                    if first_2xx is None:
                        rec["note"] = "GET /v1/customers?limit=1 never answered 2xx; see first_response_ms"
                    emit(rec)
                if pid:
                    time.sleep(args.idle_settle)
                    emit({"metric": "rss_idle", "rss_kb": tree_rss_kib(pid)})
                if args.scale:
                    asyncio.run(scale(args, emit, pid))
                else:
                    asyncio.run(workload(args, emit, pid))
                    if args.wrk:
                        wrk_crosscheck(args, emit)
                if pid:
                    emit({"metric": "rss_end", "rss_kb": tree_rss_kib(pid)})
            except RuntimeError as exc:        # the server did not start: say so and go on with the next run
                print(f"stripeload: run {run}: {exc}", file=sys.stderr)
                failed = True
            finally:
                if server:
                    server.stop()
    except KeyboardInterrupt as why:            # Ctrl-C or `timeout`: the server was stopped above
        print(f"stripeload: interrupted ({why}); partial results kept", file=sys.stderr)
        failed = True
    finally:
        emit.close()
    summary(emit.state["lines"], name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
