"""Run under an older official stripe-python (CI installs 5.x, 7.x, 10.x, 11.x and 12.x, each in
its own venv): the SDK sends the API version it pins (5.x pins none: the account's default, set
here to 2020-08-27), and the fake answers in that version's shape — the fields integrations of
that era read — and signs webhooks at the endpoint's version so construct_event accepts them.

Written for every SDK from 5.x on: module-level API only, no StripeClient.
"""
import http.server
import json
import threading
import urllib.request

import pytest
import stripe

FLOOR = "2020-08-27"


def version():
    return stripe.api_version or FLOOR


def before(v):
    return version()[:10] < v


@pytest.fixture(autouse=True)
def pinned_account(api_key, base_url):
    if stripe.api_version is None:
        # An SDK that pins nothing reads the account's default: an old account's.
        req = urllib.request.Request(base_url + "/_emulator/settings", data=f"api_version={FLOOR}".encode(),
                                     headers={"Authorization": f"Bearer {api_key}"}, method="POST")
        urllib.request.urlopen(req).read()
    yield


def test_subscription_invoice_and_payment_in_the_pinned_shape():
    price = stripe.Price.create(currency="usd", unit_amount=2000, recurring={"interval": "month"}, product_data={"name": "Pinned"})
    cus = stripe.Customer.create(email="pinned@example.com", payment_method="pm_card_visa",
                                 invoice_settings={"default_payment_method": "pm_card_visa"})
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.status == "paid" and inv.amount_paid == 2000
    if before("2025-03-31"):
        assert sub.current_period_end - sub.current_period_start in (28 * 86400, 29 * 86400, 30 * 86400, 31 * 86400)
        assert "current_period_end" not in sub["items"].data[0]
        assert inv.subscription == sub.id and inv.paid is True
        pi = stripe.PaymentIntent.retrieve(inv.payment_intent)
        assert inv.charge == pi.latest_charge
        line = inv.lines.data[0]
        assert line.type == "subscription" and line.price.id == price.id and line.plan.amount == 2000
        assert stripe.Charge.retrieve(inv.charge).invoice == inv.id
    else:
        assert sub["items"].data[0].current_period_end > sub["items"].data[0].current_period_start
        assert "current_period_end" not in sub
        assert inv.parent.subscription_details.subscription == sub.id
        pi = stripe.PaymentIntent.retrieve(inv.payments.data[0].payment.payment_intent)
    assert pi.status == "succeeded"
    if before("2022-11-15"):
        assert pi.charges.data[0].id == pi.latest_charge
    else:
        assert "charges" not in pi
    if before("2022-08-01"):
        c = stripe.Customer.retrieve(cus.id)
        assert "default_currency" in c and c.default_currency == c.currency


class _Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_at_the_endpoint_version_verifies(api_key, base_url):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Receiver.received = []
        endpoint = stripe.WebhookEndpoint.create(url=f"http://127.0.0.1:{server.server_port}/hook",
                                                 enabled_events=["customer.subscription.created"], api_version=version())
        price = stripe.Price.create(currency="usd", unit_amount=900, recurring={"interval": "month"}, product_data={"name": "Hook"})
        cus = stripe.Customer.create(payment_method="pm_card_visa", invoice_settings={"default_payment_method": "pm_card_visa"})
        stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
        req = urllib.request.Request(base_url + "/_emulator/deliveries/drain", data=b"", headers={"Authorization": f"Bearer {api_key}"},
                                     method="POST")
        urllib.request.urlopen(req).read()
        assert len(_Receiver.received) == 1
        payload, signature = _Receiver.received[0]
        event = stripe.Webhook.construct_event(payload.decode(), signature, endpoint.secret)
        assert event.api_version == version()
        obj = event.data.object
        assert ("current_period_end" in obj) == before("2025-03-31")
    finally:
        server.shutdown()
