"""Fixtures for the official-SDK (stripe-python 16.1.0) compatibility suite.

A single emulator process is started per test session (`effinity stripe --in-memory`
on a free port).  Every test gets its own fresh ``sk_test_<uuid>`` key, i.e. its own
isolated account, so tests never see each other's objects.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import stripe

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(REPO_ROOT, ".build", "debug", "effinity")
STARTUP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_request(base, method, path, body=None, headers=None, key="sk_test_raw"):
    """Plain HTTP helper (no SDK) for wire-level checks.

    Returns (status, headers, parsed_json_or_None).
    """
    hdrs = dict(headers or {})
    if key is not None and "Authorization" not in hdrs:
        hdrs["Authorization"] = "Bearer " + key
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, rh, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        parsed = None
    return status, rh, parsed


@pytest.fixture(scope="session")
def base_url():
    binary = os.environ.get("EFFINITY_BIN", DEFAULT_BIN)
    if not os.path.exists(binary):
        pytest.fail(f"effinity binary not found at {binary} (set EFFINITY_BIN)", pytrace=False)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="effinity-sdk-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [binary, "stripe", "--host", "127.0.0.1", "--port", str(port), "--in-memory"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )

    deadline = time.monotonic() + STARTUP_TIMEOUT
    ready = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            req = urllib.request.Request(
                base + "/v1/customers?limit=1",
                headers={"Authorization": "Bearer sk_test_probe"},
            )
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    ready = True
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)

    if not ready:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.flush()
        with open(log.name, "r", errors="replace") as f:
            output = f.read()[-4000:]
        pytest.fail(
            f"emulator did not answer GET /v1/customers within {STARTUP_TIMEOUT}s "
            f"(exit code {proc.returncode}); output:\n{output}",
            pytrace=False,
        )

    yield base

    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


def new_key() -> str:
    return "sk_test_" + uuid.uuid4().hex


@pytest.fixture
def api_key(base_url):
    """A fresh account (tenant) per test, wired into the module-level (legacy) API."""
    key = new_key()
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key = key
    stripe.api_base = base_url
    stripe.max_network_retries = 0  # surface server errors instead of retrying them
    yield key
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture(autouse=True)
def _configure_stripe(api_key):
    """Every test runs with module-level stripe configured for its own tenant."""
    yield


@pytest.fixture
def client(api_key, base_url):
    """StripeClient (new-style service API) for the same tenant as `api_key`."""
    return stripe.StripeClient(
        api_key, base_addresses={"api": base_url}, max_network_retries=0
    )


@pytest.fixture
def make_client(base_url):
    """Factory: StripeClient for an arbitrary key."""

    def _make(key):
        return stripe.StripeClient(key, base_addresses={"api": base_url}, max_network_retries=0)

    return _make


@pytest.fixture
def raw(base_url, api_key):
    """Raw HTTP helper bound to the test's tenant key."""

    def _raw(method, path, body=None, headers=None, key=api_key):
        return raw_request(base_url, method, path, body=body, headers=headers, key=key)

    return _raw


# --- billing helpers (subscriptions, test clocks, events) ---------------------------------

# 2026-01-01T00:00:00Z: a fixed, deterministic start for test clocks (January has 31 days).
T0 = 1767225600
DAY = 86400
HOUR = 3600


class Billing:
    """Small helpers shared by the billing/test-clock/payment suites (module-level SDK)."""

    T0 = T0
    DAY = DAY
    HOUR = HOUR

    def __init__(self, raw):
        self._raw = raw

    def control(self, path, **form):
        """POST to the emulator's control API (/_emulator/...); returns parsed JSON, asserts 200."""
        body = urllib.parse.urlencode(form) if form else ""
        status, _, parsed = self._raw("POST", path, body=body)
        assert status == 200, (path, status, parsed)
        return parsed

    def clock(self, frozen_time=T0, name=None):
        params = {"frozen_time": frozen_time}
        if name:
            params["name"] = name
        return stripe.test_helpers.TestClock.create(**params)

    def advance(self, clock, to):
        c = stripe.test_helpers.TestClock.advance(getattr(clock, "id", clock), frozen_time=to)
        assert c.status == "ready" and c.frozen_time == to
        return c

    def customer(self, clock=None, pm="pm_card_visa", **kw):
        """Customer (optionally on a test clock) whose invoice default is a fresh `pm` (None: no card)."""
        params = dict(kw)
        if clock is not None:
            params["test_clock"] = getattr(clock, "id", clock)
        if pm:
            params["payment_method"] = pm
            params["invoice_settings"] = {"default_payment_method": pm}
        return stripe.Customer.create(**params)

    def price(self, amount, name="Basic", interval="month"):
        prod = stripe.Product.create(name=name)
        return stripe.Price.create(
            product=prod.id, unit_amount=amount, currency="usd", recurring={"interval": interval}
        )

    def set_default_pm(self, customer_id, pm):
        attached = stripe.PaymentMethod.attach(pm, customer=customer_id)
        stripe.Customer.modify(customer_id, invoice_settings={"default_payment_method": attached.id})
        return attached

    @staticmethod
    def all_events(**params):
        """Every event of the tenant, oldest first (list is newest first; reverse it)."""
        params.setdefault("limit", 100)
        evs = list(stripe.Event.list(**params).auto_paging_iter())
        evs.reverse()
        return evs

    @staticmethod
    def obj(event):
        return event.data.object.to_dict()

    def events_for(self, customer_id, clock_id=None, exclude=(), **params):
        """Events about one customer's objects (customer, its payment methods, subscriptions,
        invoices, payment intents, charges, invoice payments) plus the clock's own events,
        oldest first, leaving out the event ids in `exclude`."""
        invoices = set()
        out = []
        for e in self.all_events(**params):
            o = self.obj(e)
            if o.get("object") == "invoice" and o.get("customer") == customer_id:
                invoices.add(o.get("id"))
            related = (
                o.get("id") == customer_id
                or o.get("customer") == customer_id
                or (clock_id is not None and o.get("id") == clock_id)
                or (o.get("object") == "invoice_payment" and o.get("invoice") in invoices)
            )
            if related and e.id not in exclude:
                out.append(e)
        return out

    def types_for(self, customer_id, clock_id=None, exclude=()):
        return [e.type for e in self.events_for(customer_id, clock_id, exclude=exclude)]

    def seen(self):
        """Ids of all events so far (pass as `exclude` to look only at later ones)."""
        return {e.id for e in self.all_events()}


@pytest.fixture
def billing(raw):
    return Billing(raw)
