"""Webhook delivery, checked end to end with the official SDK's signature verification.

Every test runs a real local receiver (``http.server.ThreadingHTTPServer`` on 127.0.0.1,
ephemeral port) that records each request (path, headers, raw body bytes) and answers a
configurable status.  Deliveries are flushed with ``POST /_emulator/deliveries/drain`` (returns
once every due delivery was attempted) and retries are reached by moving the tenant clock with
``POST /_emulator/time/advance`` (which drains as well), so nothing here sleeps.
"""

import http.server
import json
import threading
import time
import urllib.parse

import pytest
import stripe

from conftest import new_key, raw_request

HOUR = 3600

# The subscription flow as a webhook consumer sees it (filtered to these types, in this order).
FLOW_TYPES = [
    "product.created",
    "price.created",
    "customer.created",
    "payment_method.attached",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "payment_intent.created",
    "charge.succeeded",
    "payment_intent.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice_payment.paid",
    "invoice.updated",
]


# --- the receiver -------------------------------------------------------------------------


class Delivery:
    """One HTTP request the receiver got."""

    def __init__(self, path, headers, body, status):
        self.path = path
        self.headers = headers  # dict, lower-cased names
        self.body = body  # raw bytes, exactly as received
        self.status = status  # what the receiver answered

    @property
    def text(self):
        return self.body.decode("utf-8")

    @property
    def json(self):
        return json.loads(self.text)

    @property
    def id(self):
        return self.json["id"]

    @property
    def type(self):
        return self.json["type"]

    @property
    def signature(self):
        return self.headers.get("stripe-signature")

    def sig_parts(self):
        """(t, [v1...]) parsed from the Stripe-Signature header."""
        t, v1 = None, []
        for item in self.signature.split(","):
            k, _, v = item.partition("=")
            if k == "t":
                t = int(v)
            elif k == "v1":
                v1.append(v)
        return t, v1

    def verify(self, secret, **kw):
        return stripe.Webhook.construct_event(self.text, self.signature, secret, **kw)


class Receiver:
    """A webhook receiver on 127.0.0.1:<free port>; answers `status` (or 500 for the first
    `fail_first` requests) and records everything it got."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.fail_first = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    n = len(owner.requests)
                    status = 500 if n < owner.fail_first else owner.status
                    owner.requests.append(
                        Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                reply = b'{"received": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/stripe"

    def got(self):
        with self._lock:
            return list(self.requests)

    def ids(self):
        return [d.id for d in self.got()]

    def types(self):
        return [d.type for d in self.got()]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def _make(status=200, fail_first=0):
        r = Receiver()
        r.status = status
        r.fail_first = fail_first
        made.append(r)
        return r

    yield _make
    for r in made:
        r.close()


@pytest.fixture
def receiver(receiver_factory):
    return receiver_factory()


# --- emulator helpers -----------------------------------------------------------------------


class Hooks:
    def __init__(self, raw):
        self._raw = raw

    def post(self, path, **form):
        body = urllib.parse.urlencode(form) if form else ""
        status, _, parsed = self._raw("POST", path, body=body)
        assert status == 200, (path, form, status, parsed)
        return parsed

    def drain(self):
        parsed = self.post("/_emulator/deliveries/drain")
        assert isinstance(parsed.get("attempted"), int), parsed
        return parsed["attempted"]

    def advance(self, by):
        return self.post("/_emulator/time/advance", by=by)

    def attempts(self, **filters):
        """The attempt log, oldest first."""
        q = "?" + urllib.parse.urlencode(dict(filters, limit=1000))
        status, _, parsed = self._raw("GET", "/_emulator/deliveries" + q)
        assert status == 200, parsed
        return list(reversed(parsed["data"]))

    def chaos(self, **form):
        return self.post("/_emulator/webhooks/chaos", **form)

    def resend(self, event_id, **form):
        return self.post(f"/_emulator/events/{event_id}/resend", **form)

    def roll(self, endpoint_id, **form):
        return self.post(f"/_emulator/webhook_endpoints/{endpoint_id}/roll_secret", **form)

    @staticmethod
    def endpoint(receiver, events=("*",), **kw):
        return stripe.WebhookEndpoint.create(url=receiver.url, enabled_events=list(events), **kw)

    @staticmethod
    def events():
        """All of the tenant's events, oldest first."""
        evs = list(stripe.Event.list(limit=100).auto_paging_iter())
        evs.reverse()
        return evs


@pytest.fixture
def hooks(raw):
    return Hooks(raw)


def subscription_flow():
    prod = stripe.Product.create(name="Webhook plan")
    price = stripe.Price.create(product=prod.id, unit_amount=1500, currency="usd", recurring={"interval": "month"})
    cus = stripe.Customer.create(
        email="hooks@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active"
    return cus, sub


def only(types, wanted):
    return [t for t in types if t in wanted]


# --- endpoints --------------------------------------------------------------------------------


def test_endpoint_crud_secret_only_on_create(receiver):
    we = stripe.WebhookEndpoint.create(
        url=receiver.url,
        enabled_events=["invoice.paid", "customer.created"],
        description="billing hooks",
        metadata={"team": "billing"},
    )
    assert we.id.startswith("we_") and we.object == "webhook_endpoint"
    assert we.secret.startswith("whsec_") and len(we.secret) > len("whsec_")
    assert we.status == "enabled" and we.url == receiver.url
    assert we.enabled_events == ["invoice.paid", "customer.created"]
    assert we.description == "billing hooks" and we.metadata.to_dict() == {"team": "billing"}

    got = stripe.WebhookEndpoint.retrieve(we.id)
    assert got.id == we.id and "secret" not in got

    upd = stripe.WebhookEndpoint.modify(we.id, disabled=True, enabled_events=["*"])
    assert upd.status == "disabled" and upd.enabled_events == ["*"] and "secret" not in upd
    assert stripe.WebhookEndpoint.modify(we.id, disabled=False).status == "enabled"

    other = stripe.WebhookEndpoint.create(url=receiver.url + "/2", enabled_events=["*"])
    assert other.secret != we.secret
    listed = [e.id for e in stripe.WebhookEndpoint.list(limit=10).data]
    assert sorted(listed) == sorted([we.id, other.id])
    assert all("secret" not in e for e in stripe.WebhookEndpoint.list(limit=10).data)

    deleted = stripe.WebhookEndpoint.delete(we.id)
    assert deleted.id == we.id and deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.WebhookEndpoint.retrieve(we.id)
    assert ei.value.http_status == 404
    assert [e.id for e in stripe.WebhookEndpoint.list(limit=10).data] == [other.id]


def test_endpoint_validation():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.WebhookEndpoint.create(url="not a url", enabled_events=["*"])
    assert ei.value.param == "url"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.WebhookEndpoint.create(url="https://example.com/hook")
    assert ei.value.param == "enabled_events"


# --- signed deliveries ----------------------------------------------------------------------------


def test_every_delivery_is_signed_and_verifies(receiver, hooks):
    before = stripe.Customer.create(name="before the endpoint existed")
    we = hooks.endpoint(receiver)
    cus, sub = subscription_flow()
    assert hooks.drain() >= 0

    got = receiver.got()
    assert got, "receiver got no deliveries"
    all_events = hooks.events()
    expected = [e for e in all_events if e.data.object.id != before.id]
    # Exactly the events created after the endpoint, each once, in event order.
    assert [d.id for d in got] == [e.id for e in expected]

    for d in got:
        assert d.path == "/hooks/stripe"
        assert d.headers.get("content-type") == "application/json; charset=utf-8"
        t, v1 = d.sig_parts()
        assert t is not None and len(v1) == 1 and len(v1[0]) == 64
        assert abs(t - time.time()) < 120
        event = d.verify(we.secret)
        assert isinstance(event, stripe.Event)
        assert event.id == d.id and event.object == "event"
        assert event.type == d.type
        assert event.livemode is False
        assert event.data.object.id  # snapshot of the object

    # The payloads are the same events the API lists.
    by_id = {e.id: e for e in all_events}
    for d in got:
        e = by_id[d.id]
        assert d.type == e.type and d.json["created"] == e.created
        assert d.json["data"]["object"]["id"] == e.data.object.id

    # The attempt log agrees: one successful attempt per delivery, with the header's timestamp.
    log = hooks.attempts(endpoint=we.id)
    assert [a["event"] for a in log] == [d.id for d in got]
    for a, d in zip(log, got):
        assert a["attempt"] == 1 and a["status_code"] == 200 and a["outcome"] == "succeeded"
        assert a["endpoint"] == we.id and a["event_type"] == d.type and a["duplicate"] is False
        assert a["signature_timestamp"] == d.sig_parts()[0]

    # Every endpoint answered 2xx: nothing is pending any more.
    delivered = {e.id for e in expected}
    for e in hooks.events():
        if e.id in delivered:
            assert e.pending_webhooks == 0, (e.id, e.type, e.pending_webhooks)
        else:  # the event from before the endpoint existed had nobody to notify
            assert e.pending_webhooks == 0 and e.data.object.id == before.id
    assert stripe.Event.retrieve(expected[0].id).pending_webhooks == 0
    assert hooks.drain() == 0
    assert len(receiver.got()) == len(got)


def test_tampered_body_and_wrong_secret_are_rejected(receiver, hooks):
    we = hooks.endpoint(receiver, events=["customer.created"])
    stripe.Customer.create(name="Tamper Target", email="t@example.com")
    hooks.drain()
    (d,) = receiver.got()
    assert d.verify(we.secret).type == "customer.created"

    tampered = d.text.replace("Tamper Target", "Tamper Targe7")
    assert tampered != d.text
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, d.signature, we.secret)
    # Even one extra byte (e.g. re-serialised JSON with a trailing newline) breaks it.
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(d.text + "\n", d.signature, we.secret)

    other = hooks.endpoint(receiver, events=["invoice.paid"])
    assert other.secret != we.secret
    for wrong in (other.secret, "whsec_" + "0" * 32, we.secret + "x"):
        with pytest.raises(stripe.SignatureVerificationError):
            d.verify(wrong)

    # A header whose v1 belongs to another timestamp does not verify either.
    t, (sig,) = d.sig_parts()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(d.text, f"t={t + 1},v1={sig}", we.secret)


def test_non_ascii_payload_and_url_query_survive(receiver, hooks):
    """The signature covers the exact UTF-8 bytes sent; the endpoint URL is used verbatim."""
    we = stripe.WebhookEndpoint.create(url=receiver.url + "?tenant=a%20b&x=1", enabled_events=["customer.created"])
    name = 'Zoë Ångström — 東京 🚀 "quoted" \\ back'
    stripe.Customer.create(name=name, metadata={"note": "naïve café"})
    hooks.drain()
    (d,) = receiver.got()
    assert d.path == "/hooks/stripe?tenant=a%20b&x=1"
    assert int(d.headers["content-length"]) == len(d.body)
    event = d.verify(we.secret)
    assert event.data.object.name == name
    assert event.data.object.metadata.to_dict() == {"note": "naïve café"}


def test_each_delivery_is_sent_once(receiver, hooks):
    """Without chaos a delivery that got a 2xx is never sent again, however the drain route and
    the background worker interleave."""
    we = hooks.endpoint(receiver, events=["customer.created"])
    stripe.Customer.create(name="once")
    hooks.drain()  # right after the write, while the background worker may be delivering too
    hooks.drain()
    got = receiver.got()
    log = hooks.attempts(endpoint=we.id)
    assert len(got) == 1, [(d.id, d.sig_parts()[0]) for d in got]
    assert [(a["attempt"], a["outcome"], a["duplicate"]) for a in log] == [(1, "succeeded", False)], log


def test_concurrent_drains_send_each_delivery_once(receiver, hooks):
    we = hooks.endpoint(receiver, events=["customer.created"])
    customers = [stripe.Customer.create(name=f"c{i}").id for i in range(8)]
    errors = []

    def drain():
        try:
            hooks.drain()
        except AssertionError as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    hooks.drain()

    got = receiver.got()
    ids = [d.id for d in got]
    assert sorted(d.json["data"]["object"]["id"] for d in got) == sorted(customers), (
        "each event must reach the receiver exactly once",
        [(d.id, d.json["data"]["object"]["id"]) for d in got],
    )
    assert len(set(ids)) == len(ids) == 8
    log = hooks.attempts(endpoint=we.id)
    assert len(log) == 8 and all(a["attempt"] == 1 and a["outcome"] == "succeeded" for a in log), log


def test_subscription_flow_arrives_in_order(receiver, hooks):
    we = hooks.endpoint(receiver)
    cus, sub = subscription_flow()
    hooks.drain()

    got = receiver.got()
    for d in got:
        d.verify(we.secret)
    assert only(receiver.types(), FLOW_TYPES) == FLOW_TYPES
    # Deliveries go out in event order: the same order as the event list.
    assert receiver.ids() == [e.id for e in hooks.events()]

    # The flow's objects are the ones delivered.
    objs = {d.type: d.json["data"]["object"] for d in got}
    assert objs["customer.created"]["id"] == cus.id
    assert objs["customer.subscription.created"]["id"] == sub.id
    assert objs["invoice.paid"]["id"] == sub.latest_invoice
    assert objs["invoice.paid"]["status"] == "paid"
    assert objs["payment_intent.succeeded"]["status"] == "succeeded"


def test_enabled_events_filter(receiver_factory, hooks):
    everything, paid_only, invoices = receiver_factory(), receiver_factory(), receiver_factory()
    we_all = hooks.endpoint(everything)
    we_paid = hooks.endpoint(paid_only, events=["invoice.paid"])
    we_inv = hooks.endpoint(invoices, events=["invoice.*"])
    cus, sub = subscription_flow()
    hooks.drain()

    events = hooks.events()
    paid_events = [e.id for e in events if e.type == "invoice.paid"]
    assert len(paid_events) == 1
    assert paid_only.ids() == paid_events
    paid_only.got()[0].verify(we_paid.secret)

    invoice_types = [e.type for e in events if e.type.startswith("invoice.")]
    assert invoices.types() == invoice_types
    assert "invoice_payment.paid" not in invoices.types()  # "invoice.*" is not a bare prefix match
    for d in invoices.got():
        d.verify(we_inv.secret)
        with pytest.raises(stripe.SignatureVerificationError):
            d.verify(we_all.secret)  # each endpoint signs with its own secret

    assert everything.ids() == [e.id for e in events]

    # pending_webhooks counted the listening endpoints and went to 0 after they all answered 2xx.
    assert hooks.attempts(endpoint=we_paid.id, outcome="succeeded")[0]["event"] == paid_events[0]
    assert stripe.Event.retrieve(paid_events[0]).pending_webhooks == 0
    assert len(hooks.attempts(event=paid_events[0])) == 3  # all three endpoints listen to invoice.paid
    cus_created = next(e for e in events if e.type == "customer.created")
    assert {a["endpoint"] for a in hooks.attempts(event=cus_created.id)} == {we_all.id}


def test_disabled_and_deleted_endpoints_get_nothing(receiver_factory, hooks):
    live, off, gone = receiver_factory(), receiver_factory(), receiver_factory()
    hooks.endpoint(live)
    we_off = hooks.endpoint(off)
    stripe.WebhookEndpoint.modify(we_off.id, disabled=True)
    we_gone = hooks.endpoint(gone)
    stripe.WebhookEndpoint.delete(we_gone.id)

    c1 = stripe.Customer.create(name="one")
    hooks.drain()
    assert live.types() == ["customer.created"]
    assert off.got() == [] and gone.got() == []
    assert hooks.attempts(endpoint=we_off.id) == [] and hooks.attempts(endpoint=we_gone.id) == []
    # Only the enabled endpoint counts as pending, and it was answered.
    e1 = next(e for e in hooks.events() if e.data.object.id == c1.id)
    assert e1.pending_webhooks == 0

    # Re-enabled: later events arrive (earlier ones are not replayed).
    stripe.WebhookEndpoint.modify(we_off.id, disabled=False)
    c2 = stripe.Customer.create(name="two")
    hooks.drain()
    (d,) = off.got()
    assert d.type == "customer.created" and d.json["data"]["object"]["id"] == c2.id
    d.verify(we_off.secret)
    assert gone.got() == []


# --- failures and retries -----------------------------------------------------------------------------


def test_failed_delivery_is_retried_after_an_hour(receiver_factory, hooks):
    receiver = receiver_factory(fail_first=1)
    hooks.post("/_emulator/time/freeze")  # signature times an exact hour apart, whatever the wall clock does
    we = hooks.endpoint(receiver, events=["customer.created"])
    cus = stripe.Customer.create(name="retry me")
    hooks.drain()

    (first,) = receiver.got()
    assert first.status == 500
    first.verify(we.secret)  # the failed attempt was signed too
    evt = first.id
    (a1,) = hooks.attempts(event=evt)
    assert a1["attempt"] == 1 and a1["status_code"] == 500 and a1["outcome"] == "failed"
    assert stripe.Event.retrieve(evt).pending_webhooks == 1

    # Not due again yet: draining or moving less than an hour sends nothing.
    assert hooks.drain() == 0
    hooks.advance("59m")
    assert len(receiver.got()) == 1 and len(hooks.attempts(event=evt)) == 1

    hooks.advance("1m")  # exactly one hour after the first attempt
    got = receiver.got()
    assert len(got) == 2, (
        [(d.id, d.status, d.sig_parts()[0]) for d in got],
        [(a["attempt"], a["status_code"], a["signature_timestamp"], a["duplicate"]) for a in hooks.attempts(event=evt)],
    )
    second = got[1]
    assert second.status == 200 and second.id == evt
    assert second.json["data"]["object"]["id"] == cus.id
    second.verify(we.secret)  # timestamp is on the tenant's (advanced) clock: in the future is fine
    log = hooks.attempts(event=evt)
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [(1, 500, "failed"), (2, 200, "succeeded")]
    assert log[1]["signature_timestamp"] - log[0]["signature_timestamp"] == HOUR
    assert second.sig_parts()[0] == log[1]["signature_timestamp"]
    assert stripe.Event.retrieve(evt).pending_webhooks == 0

    hooks.advance("5h")
    assert len(receiver.got()) == 2  # succeeded: no more attempts


def test_delivery_gives_up_after_three_attempts(receiver_factory, hooks):
    receiver = receiver_factory(status=503)
    # Frozen: the tenant's clock otherwise runs on with the wall clock, and a second ticking
    # between two attempts would show in their signature times.
    hooks.post("/_emulator/time/freeze")
    we = hooks.endpoint(receiver, events=["customer.created"])
    stripe.Customer.create(name="never acked")
    hooks.drain()
    evt = receiver.got()[0].id

    hooks.advance("1h")
    assert len(receiver.got()) == 2
    hooks.advance("2h59m")
    assert len(receiver.got()) == 2  # third attempt is 3 h after the second
    hooks.advance("1m")
    assert len(receiver.got()) == 3
    hooks.advance("2d")
    assert len(receiver.got()) == 3

    log = hooks.attempts(endpoint=we.id)
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [
        (1, 503, "failed"),
        (2, 503, "failed"),
        (3, 503, "failed"),
    ]
    ts = [a["signature_timestamp"] for a in log]
    assert [ts[1] - ts[0], ts[2] - ts[1]] == [HOUR, 3 * HOUR]
    assert all(d.id == evt for d in receiver.got())
    assert stripe.Event.retrieve(evt).pending_webhooks == 1
    assert hooks.attempts(endpoint=we.id, outcome="succeeded") == []


def test_unreachable_endpoint_is_logged_as_failed(receiver_factory, hooks):
    r = receiver_factory()
    url = r.url
    r.close()  # nothing listens there any more
    we = stripe.WebhookEndpoint.create(url=url, enabled_events=["customer.created"])
    stripe.Customer.create(name="nobody home")
    hooks.drain()
    (a,) = hooks.attempts(endpoint=we.id)
    assert a["outcome"] == "failed" and a["status_code"] is None and a["error"]


def test_any_2xx_is_success(receiver_factory, hooks):
    receiver = receiver_factory(status=204)
    we = hooks.endpoint(receiver, events=["customer.created"])
    stripe.Customer.create()
    hooks.drain()
    (a,) = hooks.attempts(endpoint=we.id)
    assert a["status_code"] == 204 and a["outcome"] == "succeeded"
    assert stripe.Event.retrieve(a["event"]).pending_webhooks == 0


# --- secret roll --------------------------------------------------------------------------------------


def test_secret_roll_signs_with_both_during_grace(receiver, hooks):
    we = hooks.endpoint(receiver, events=["customer.created"])
    old = we.secret
    rolled = hooks.roll(we.id, grace_period=3600)
    new = rolled["secret"]
    assert new.startswith("whsec_") and new != old
    assert "secret" not in stripe.WebhookEndpoint.retrieve(we.id)

    stripe.Customer.create(name="during grace")
    hooks.drain()
    (d,) = receiver.got()
    t, v1 = d.sig_parts()
    assert len(v1) == 2
    assert d.verify(new).type == "customer.created"
    assert d.verify(old).type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        d.verify("whsec_" + "1" * 32)

    # After the grace period only the new secret signs.
    hooks.advance("1h")
    stripe.Customer.create(name="after grace")
    hooks.drain()
    d2 = receiver.got()[-1]
    assert len(receiver.got()) == 2
    assert len(d2.sig_parts()[1]) == 1
    assert d2.verify(new).id == d2.id
    with pytest.raises(stripe.SignatureVerificationError):
        d2.verify(old)


def test_secret_roll_without_grace_invalidates_old_secret(receiver, hooks):
    we = hooks.endpoint(receiver, events=["customer.created"])
    new = hooks.roll(we.id, grace_period=0)["secret"]
    stripe.Customer.create()
    hooks.drain()
    (d,) = receiver.got()
    assert len(d.sig_parts()[1]) == 1
    d.verify(new)
    with pytest.raises(stripe.SignatureVerificationError):
        d.verify(we.secret)


# --- chaos ------------------------------------------------------------------------------------------------


def test_duplicate_rate_one_delivers_every_event_twice(receiver, hooks):
    we = hooks.endpoint(receiver)
    hooks.chaos(seed=7, duplicate_rate=1)
    cus, sub = subscription_flow()
    hooks.drain()

    got = receiver.got()
    events = hooks.events()
    ids = [d.id for d in got]
    for d in got:
        d.verify(we.secret)
    # Each event exactly twice...
    assert sorted(ids) == sorted([e.id for e in events] * 2)
    # ...and a receiver that dedupes by event id sees each event once, in order.
    seen, deduped = set(), []
    for d in got:
        if d.id not in seen:
            seen.add(d.id)
            deduped.append(d)
    assert [d.id for d in deduped] == [e.id for e in events]
    assert only([d.type for d in deduped], FLOW_TYPES) == FLOW_TYPES

    log = hooks.attempts(endpoint=we.id)
    assert len(log) == 2 * len(events)
    assert sum(a["duplicate"] for a in log) == len(events)
    assert all(a["outcome"] == "succeeded" for a in log)
    # Counted once per endpoint, not per copy.
    for e in hooks.events():
        assert e.pending_webhooks == 0, (e.type, e.pending_webhooks)

    # Clearing chaos: back to one delivery per event.
    hooks.chaos(clear="true")
    n = len(got)
    stripe.Customer.create(name="after chaos")
    hooks.drain()
    assert len(receiver.got()) == n + 1


def test_signature_skew_trips_default_tolerance(receiver, hooks):
    we = hooks.endpoint(receiver, events=["customer.created"])
    hooks.chaos(signature_skew_seconds=-600, endpoint=we.id)
    stripe.Customer.create()
    hooks.drain()
    (d,) = receiver.got()
    t, _ = d.sig_parts()
    assert abs((time.time() - 600) - t) < 60
    (a,) = hooks.attempts(endpoint=we.id)
    assert a["signature_timestamp"] == t

    with pytest.raises(stripe.SignatureVerificationError) as ei:
        d.verify(we.secret)
    assert "tolerance" in str(ei.value)
    assert d.verify(we.secret, tolerance=1000).id == d.id


def test_fail_first_and_delay_chaos(receiver_factory, hooks):
    flaky, slow = receiver_factory(), receiver_factory()
    we_flaky = hooks.endpoint(flaky, events=["customer.created"])
    we_slow = hooks.endpoint(slow, events=["customer.created"])
    hooks.chaos(endpoint=we_flaky.id, fail_first=1)
    hooks.chaos(endpoint=we_slow.id, delay_seconds=600)
    stripe.Customer.create()
    hooks.drain()

    # fail_first: the first attempt never reaches the receiver but is logged as a 500.
    assert flaky.got() == []
    (a,) = hooks.attempts(endpoint=we_flaky.id)
    assert a["status_code"] == 500 and a["outcome"] == "failed"
    # delay: not attempted yet.
    assert slow.got() == [] and hooks.attempts(endpoint=we_slow.id) == []

    hooks.advance("10m")
    (ds,) = slow.got()
    ds.verify(we_slow.secret)
    assert flaky.got() == []
    hooks.advance("50m")
    (df,) = flaky.got()
    df.verify(we_flaky.secret)
    assert df.id == ds.id == a["event"]
    assert stripe.Event.retrieve(df.id).pending_webhooks == 0


def test_chaos_settings_roundtrip_and_validation(receiver, hooks, raw):
    we = hooks.endpoint(receiver)
    set_ = hooks.chaos(seed=5, duplicate_rate=0.5, reorder_window=3, delay_seconds=2, fail_first=1,
                       signature_skew_seconds=-30, endpoint=we.id)
    assert set_["endpoint"] == we.id
    status, _, got = raw("GET", "/_emulator/webhooks/chaos?endpoint=" + we.id)
    assert status == 200 and got["chaos"] == set_["chaos"]
    assert got["chaos"]["duplicate_rate"] == 0.5 and got["chaos"]["fail_first"] == 1
    assert got["chaos"]["signature_skew_seconds"] == -30
    # The tenant-wide setting is separate.
    status, _, tenant = raw("GET", "/_emulator/webhooks/chaos")
    assert status == 200 and tenant["chaos"] is None
    hooks.chaos(endpoint=we.id, clear="true")
    status, _, got = raw("GET", "/_emulator/webhooks/chaos?endpoint=" + we.id)
    assert got["chaos"] is None

    for bad in ("duplicate_rate=2", "duplicate_rate=-0.1", "reorder_window=0", "delay_seconds=-1", "fail_first=-1"):
        status, _, body = raw("POST", "/_emulator/webhooks/chaos", body=bad)
        assert status == 400, (bad, body)
        assert body["error"]["param"] == bad.split("=")[0]
    status, _, body = raw("POST", "/_emulator/webhooks/chaos", body="endpoint=we_nope&fail_first=1")
    assert status == 400, body  # named by a parameter
    status, _, body = raw("POST", "/_emulator/webhook_endpoints/we_nope/roll_secret", body="")
    assert status == 404, body
    status, _, body = raw("POST", f"/_emulator/webhook_endpoints/{we.id}/roll_secret", body="grace_period=-1")
    assert status == 400, body


def test_payload_is_the_event_snapshot(receiver, hooks):
    """Held back with delay chaos: the event is pending until delivered, and the payload is the
    object as it was when the event happened (not when it was sent)."""
    we = hooks.endpoint(receiver, events=["customer.created", "customer.updated"])
    hooks.chaos(delay_seconds=600)
    cus = stripe.Customer.create(name="first", idempotency_key="wh-idem-1")
    created_request = cus.last_response.request_id
    stripe.Customer.modify(cus.id, name="second")
    hooks.drain()
    assert receiver.got() == []
    evs = hooks.events()
    assert [(e.type, e.pending_webhooks) for e in evs] == [("customer.created", 1), ("customer.updated", 1)]

    hooks.advance("10m")
    got = receiver.got()
    assert [d.type for d in got] == ["customer.created", "customer.updated"]
    created, updated = (d.verify(we.secret) for d in got)
    assert created.data.object.name == "first"
    assert created.request.id == created_request and created.request.idempotency_key == "wh-idem-1"
    assert updated.data.object.name == "second"
    assert updated.data.previous_attributes.to_dict() == {"name": "first"}
    assert [e.pending_webhooks for e in hooks.events()] == [0, 0]


def test_other_tenants_endpoints_get_nothing(receiver_factory, hooks, base_url):
    mine, theirs = receiver_factory(), receiver_factory()
    other_key = new_key()
    other = stripe.WebhookEndpoint.create(url=theirs.url, enabled_events=["*"], api_key=other_key)
    we = hooks.endpoint(mine)
    assert [e.id for e in stripe.WebhookEndpoint.list().data] == [we.id]
    stripe.Customer.create(name="mine")
    hooks.drain()
    raw_request(base_url, "POST", "/_emulator/deliveries/drain", body="", key=other_key)
    assert mine.types() == ["customer.created"]
    assert theirs.got() == []
    status, _, log = raw_request(base_url, "GET", "/_emulator/deliveries", key=other_key)
    assert status == 200 and log["data"] == []
    assert other.id not in {a["endpoint"] for a in hooks.attempts()}


def test_retries_stop_when_endpoint_disabled_or_deleted(receiver_factory, hooks):
    r_off, r_gone = receiver_factory(status=500), receiver_factory(status=500)
    we_off = hooks.endpoint(r_off, events=["customer.created"])
    we_gone = hooks.endpoint(r_gone, events=["customer.created"])
    stripe.Customer.create()
    hooks.drain()
    assert len(r_off.got()) == 1 and len(r_gone.got()) == 1
    r_off.status = r_gone.status = 200
    stripe.WebhookEndpoint.modify(we_off.id, disabled=True)
    stripe.WebhookEndpoint.delete(we_gone.id)
    hooks.advance("5h")
    assert len(r_off.got()) == 1 and len(r_gone.got()) == 1
    assert len(hooks.attempts(endpoint=we_off.id)) == 1
    assert len(hooks.attempts(endpoint=we_gone.id)) == 1


# --- resend -----------------------------------------------------------------------------------------------


def test_resend(receiver_factory, hooks):
    main, side = receiver_factory(), receiver_factory()
    we = hooks.endpoint(main, events=["customer.created"])
    we_side = hooks.endpoint(side, events=["invoice.paid"])
    stripe.Customer.create(name="resend me")
    hooks.drain()
    (d1,) = main.got()
    evt = d1.id

    r = hooks.resend(evt)
    assert r["endpoints"] == [we.id]  # only endpoints listening to the type
    hooks.drain()
    got = main.got()
    assert [d.id for d in got] == [evt, evt]
    got[1].verify(we.secret)
    assert got[1].json["data"] == d1.json["data"]
    assert side.got() == []
    assert stripe.Event.retrieve(evt).pending_webhooks == 0

    # An explicit endpoint gets it even if it does not subscribe to the type.
    r = hooks.resend(evt, endpoint=we_side.id)
    assert r["endpoints"] == [we_side.id]
    hooks.drain()
    (ds,) = side.got()
    assert ds.id == evt
    ds.verify(we_side.secret)
    assert len(main.got()) == 2
    assert [(a["endpoint"], a["outcome"]) for a in hooks.attempts(event=evt)] == [
        (we.id, "succeeded"),
        (we.id, "succeeded"),
        (we_side.id, "succeeded"),
    ]
    assert stripe.Event.retrieve(evt).pending_webhooks == 0

    status, _, body = hooks._raw("POST", "/_emulator/events/evt_doesnotexist/resend", body="")
    assert status == 404, body
    status, _, body = hooks._raw("POST", f"/_emulator/events/{evt}/resend", body="endpoint=we_nope")
    assert status == 400, body
