"""Checkout Sessions and the Billing Portal through the official SDK, plus the fake's hosted
pages (plain HTML forms) and their headless control routes (/_emulator/checkout, /_emulator/portal).

Every API call goes through stripe-python; raw HTTP is used only for the hosted pages and the
/_emulator/* routes."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe

from conftest import DAY

SUCCESS = "https://app.test/ok?s={CHECKOUT_SESSION_ID}"
CANCEL = "https://app.test/cancel"

# Events of a card-paid subscription Checkout (charged on completion).
PAID_SUB_EVENTS_HEAD = [
    "customer.created",
    "payment_method.attached",
    "customer.updated",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
]


# --- helpers ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _path(url):
    """The path (and query) of a hosted-page URL: its host is the emulator's default one."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.fixture
def page(base_url):
    """GET/POST a hosted page without following redirects: (status, headers, html)."""

    def _page(url, form=None, suffix=""):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(
            base_url + _path(url) + suffix,
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {},
        )
        try:
            with _OPENER.open(req, timeout=10) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    return _page


@pytest.fixture
def control(raw):
    """POST form fields to an /_emulator route: (status, json)."""

    def _control(path, **form):
        status, _, parsed = raw("POST", path, body=urllib.parse.urlencode(form))
        return status, parsed

    return _control


def _sub_session(price, trial_days=None, **kw):
    params = dict(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url=SUCCESS,
        cancel_url=CANCEL,
    )
    if trial_days:
        params["subscription_data"] = {"trial_period_days": trial_days}
    params.update(kw)
    return stripe.checkout.Session.create(**params)


def _one_time_price(amount=2500, name="T-shirt"):
    prod = stripe.Product.create(name=name)
    return stripe.Price.create(product=prod.id, unit_amount=amount, currency="usd")


def _types(billing, customer_id, exclude=()):
    return billing.types_for(customer_id, exclude=exclude)


# --- Checkout: creation, retrieval, line items -------------------------------------------------


def test_create_subscription_session_shape_and_page(billing, page):
    price = billing.price(1500, name="Pro")
    s = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 2}],
        success_url=SUCCESS,
        cancel_url=CANCEL,
        customer_email="ann@example.com",
        client_reference_id="user_42",
        subscription_data={"trial_period_days": 14, "metadata": {"plan": "pro"}},
    )
    assert s.object == "checkout.session" and s.id.startswith("cs_test_")
    assert (s.status, s.mode, s.payment_status) == ("open", "subscription", "no_payment_required")
    assert (s.customer, s.subscription, s.invoice) == (None, None, None)
    assert s.client_reference_id == "user_42" and s.customer_email == "ann@example.com"
    assert s.amount_subtotal == 3000 and s.amount_total == 0 and s.currency == "usd"
    assert s.success_url == SUCCESS and s.cancel_url == CANCEL
    assert s.expires_at == s.created + DAY
    assert _path(s.url).startswith("/c/pay/") and _path(s.url).endswith("/" + s.id)

    again = stripe.checkout.Session.retrieve(s.id)
    assert again.id == s.id and again.url == s.url and again.status == "open"

    status, headers, html = page(s.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "TEST MODE" in html
    assert "Pro" in html and "$15.00 / month" in html
    assert "14 days free, then $30.00 a month" in html
    assert "ann@example.com" in html


def test_list_line_items_and_expand(billing):
    plan = billing.price(1500, name="Pro")
    seats = billing.price(700, name="Seat")
    s = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": plan.id, "quantity": 1}, {"price": seats.id, "quantity": 3}],
        success_url=SUCCESS,
    )
    assert s.amount_total == 1500 + 3 * 700 and s.payment_status == "unpaid"

    items = stripe.checkout.Session.list_line_items(s.id)
    assert items.object == "list" and items.url == f"/v1/checkout/sessions/{s.id}/line_items"
    assert [(i.price.id, i.quantity, i.amount_total, i.description) for i in items.data] == [
        (plan.id, 1, 1500, "Pro"),
        (seats.id, 3, 2100, "Seat"),
    ]
    assert all(i.object == "item" and i.currency == "usd" and i.amount_subtotal == i.amount_total for i in items.data)

    page1 = stripe.checkout.Session.list_line_items(s.id, limit=1)
    assert len(page1.data) == 1 and page1.has_more is True
    page2 = stripe.checkout.Session.list_line_items(s.id, limit=1, starting_after=page1.data[0].id)
    assert [i.price.id for i in page2.data] == [seats.id] and page2.has_more is False

    expanded = stripe.checkout.Session.retrieve(s.id, expand=["line_items"])
    assert expanded.line_items.object == "list"
    assert [i.id for i in expanded.line_items.data] == [i.id for i in items.data]
    # Not expanded: not included at all (line_items is includable only).
    assert "line_items" not in stripe.checkout.Session.retrieve(s.id)

    listed = stripe.checkout.Session.list(expand=["data.line_items"]).data
    assert [i.price.id for i in listed[0].line_items.data] == [plan.id, seats.id]
    with_product = stripe.checkout.Session.list_line_items(s.id, expand=["data.price.product"])
    assert [i.price.product.name for i in with_product.data] == ["Pro", "Seat"]


def test_expand_line_items_nested_price_product(billing):
    """expand=["line_items.data.price.product"] on retrieve, as in Stripe's fulfilment guide."""
    plan = billing.price(1500, name="Pro")
    s = _sub_session(plan)
    got = stripe.checkout.Session.retrieve(s.id, expand=["line_items.data.price.product"])
    product = got.line_items.data[0].price.product
    assert not isinstance(product, str), f"price.product not expanded: {product!r}"
    assert product.name == "Pro"


def test_create_validation_errors(billing):
    price = billing.price(1500)
    one_time = _one_time_price()
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="subscription", line_items=[{"price": one_time.id, "quantity": 1}],
                                       success_url=SUCCESS)
    assert e.value.http_status == 400 and e.value.param == "line_items"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id, "quantity": 1}],
                                       success_url=SUCCESS)
    assert e.value.http_status == 400 and e.value.param == "line_items"
    cus = billing.customer(pm=None, email="x@example.com")
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="subscription", line_items=[{"price": price.id, "quantity": 1}],
                                       success_url=SUCCESS, customer=cus.id, customer_email="y@example.com")
    assert e.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as e:
        _sub_session(price, expires_at=stripe.checkout.Session.create(
            mode="subscription", line_items=[{"price": price.id}], success_url=SUCCESS).created + 60)
    assert e.value.param == "expires_at"


# --- Checkout through the hosted page --------------------------------------------------------


def test_page_good_card_completes_trial_subscription(billing, page):
    price = billing.price(1500, name="Pro")
    s = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url=SUCCESS,
        cancel_url=CANCEL,
        client_reference_id="user_7",
        subscription_data={"trial_period_days": 14, "metadata": {"plan": "pro"}},
    )
    status, headers, _ = page(s.url, {"card": "4242 4242 4242 4242", "exp": "12 / 34", "cvc": "123",
                                      "email": "ann@example.com", "name": "Ann Example"})
    assert status == 303
    assert headers["Location"] == f"https://app.test/ok?s={s.id}"

    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    assert done.url is None
    assert done.customer.startswith("cus_") and done.subscription.startswith("sub_")
    assert done.invoice is not None
    assert done.customer_details.email == "ann@example.com" and done.customer_details.name == "Ann Example"
    assert done.client_reference_id == "user_7"

    cus = stripe.Customer.retrieve(done.customer)
    assert cus.email == "ann@example.com" and cus.name == "Ann Example"
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "trialing" and sub.customer == cus.id
    assert sub.trial_end - sub.trial_start == 14 * DAY
    assert sub.metadata.to_dict() == {"plan": "pro"}
    assert sub["items"].data[0].price.id == price.id
    pm = stripe.PaymentMethod.retrieve(sub.default_payment_method)
    assert pm.card.last4 == "4242" and (pm.card.exp_month, pm.card.exp_year) == (12, 2034)
    assert pm.customer == cus.id and pm.billing_details.name == "Ann Example"
    inv = stripe.Invoice.retrieve(done.invoice)
    assert (inv.status, inv.amount_due, inv.subscription if "subscription" in inv else sub.id) == ("paid", 0, sub.id)

    assert _types(billing, cus.id) == [
        *PAID_SUB_EVENTS_HEAD,
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ]
    completed = stripe.Event.list(type="checkout.session.completed").data
    assert [e.data.object.id for e in completed] == [s.id]
    assert completed[0].data.object.subscription == sub.id

    # The completed page no longer takes payments.
    status, _, html = page(s.url)
    assert status == 200 and "complete" in html

    # Listing by customer, subscription and status.
    assert [x.id for x in stripe.checkout.Session.list(customer=cus.id).data] == [s.id]
    assert [x.id for x in stripe.checkout.Session.list(subscription=sub.id).data] == [s.id]
    assert [x.id for x in stripe.checkout.Session.list(status="complete").data] == [s.id]
    assert stripe.checkout.Session.list(status="open").data == []


def test_page_test_card_button_charges_immediately(billing, page):
    price = billing.price(1500, name="Pro")
    s = _sub_session(price)
    assert s.payment_status == "unpaid" and s.amount_total == 1500
    status, headers, _ = page(s.url, {"test_card": "5555555555554444", "email": "bob@example.com"})
    assert status == 303 and headers["Location"].endswith(s.id)

    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "active"
    inv = stripe.Invoice.retrieve(done.invoice)
    assert (inv.status, inv.amount_paid) == ("paid", 1500)
    assert stripe.PaymentMethod.retrieve(sub.default_payment_method).card.brand == "mastercard"

    types = _types(billing, done.customer)
    assert types[: len(PAID_SUB_EVENTS_HEAD)] == PAID_SUB_EVENTS_HEAD
    assert types[-1] == "checkout.session.completed"
    middle = types[len(PAID_SUB_EVENTS_HEAD):-1]
    for t in ("payment_intent.created", "payment_intent.succeeded", "charge.succeeded",
              "invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid"):
        assert middle.count(t) == 1, (t, types)
    assert middle.index("invoice.paid") < middle.index("invoice.payment_succeeded")
    assert "customer.subscription.created" not in middle


def test_page_decline_then_success_on_same_session(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    status, _, html = page(s.url, {"test_card": "4000000000000002", "email": "c@example.com"})
    assert status == 402 and "Your card was declined." in html
    status, _, html = page(s.url, {"card": "4000000000009995", "exp": "12 / 34", "cvc": "123", "email": "c@example.com"})
    assert status == 402 and "Your card has insufficient funds." in html

    again = stripe.checkout.Session.retrieve(s.id)
    assert (again.status, again.customer, again.subscription) == ("open", None, None)
    # Nothing of the failed attempts is kept.
    assert stripe.Customer.list().data == []
    assert stripe.Subscription.list(status="all").data == []
    assert stripe.Event.list(type="customer.created").data == []

    status, headers, _ = page(s.url, {"test_card": "4242424242424242", "email": "c@example.com"})
    assert status == 303 and headers["Location"] == f"https://app.test/ok?s={s.id}"
    done = stripe.checkout.Session.retrieve(s.id)
    assert done.status == "complete" and done.payment_status == "paid"
    assert [c.id for c in stripe.Customer.list().data] == [done.customer]
    assert stripe.Subscription.retrieve(done.subscription).status == "active"


def test_page_bad_card_input_and_missing_card(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    status, _, html = page(s.url, {"email": "d@example.com"})
    assert status == 400 and "Enter your card details" in html
    status, _, html = page(s.url, {"card": "4242424242424241", "exp": "12 / 34", "cvc": "123"})
    assert status == 402  # fails the Luhn check
    status, _, html = page(s.url, {"card": "4242424242424242", "exp": "01 / 20", "cvc": "123"})
    assert status == 402  # expired
    assert stripe.checkout.Session.retrieve(s.id).status == "open"
    assert stripe.Customer.list().data == []


def test_page_3ds_challenge_complete(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    status, _, html = page(s.url, {"test_card": "4000002760003184", "email": "e@example.com"})
    assert status == 200 and "3184" in html and "/challenge" in html
    assert stripe.checkout.Session.retrieve(s.id).status == "open"
    assert stripe.Customer.list().data == []

    status, headers, _ = page(s.url, {"outcome": "complete"}, suffix="/challenge")
    assert status == 303 and headers["Location"] == f"https://app.test/ok?s={s.id}"
    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "active"
    assert stripe.PaymentMethod.retrieve(sub.default_payment_method).card.last4 == "3184"


def test_page_3ds_challenge_fail(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    status, _, html = page(s.url, {"test_card": "4000002760003184"})
    assert status == 200
    status, _, html = page(s.url, {"outcome": "fail"}, suffix="/challenge")
    assert status == 402 and "unable to authenticate your payment method" in html
    again = stripe.checkout.Session.retrieve(s.id)
    assert (again.status, again.customer, again.subscription) == ("open", None, None)
    assert stripe.Customer.list().data == []
    # A stale challenge answer does nothing.
    status, _, _ = page(s.url, {"outcome": "complete"}, suffix="/challenge")
    assert stripe.checkout.Session.retrieve(s.id).status == "open"
    # The session can still be paid.
    status, _, _ = page(s.url, {"test_card": "4242424242424242"})
    assert status == 303 and stripe.checkout.Session.retrieve(s.id).status == "complete"


def test_page_cancel_link(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    _, _, html = page(s.url)
    assert _path(s.url) + "/cancel" in html
    status, headers, _ = page(s.url, suffix="/cancel")
    assert status == 303 and headers["Location"] == CANCEL
    # Going back does not end the session.
    assert stripe.checkout.Session.retrieve(s.id).status == "open"


def test_page_unknown_session_404(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    status, _, html = page(s.url.replace(s.id, "cs_test_nope"))
    assert status == 404 and "does not exist" in html


def test_trial_without_card_if_required(billing, page):
    price = billing.price(1500)
    s = _sub_session(price, trial_days=7, payment_method_collection="if_required", customer_email="f@example.com")
    assert s.payment_method_collection == "if_required" and s.payment_status == "no_payment_required"
    status, _, html = page(s.url)
    assert "No card needed" in html
    status, headers, _ = page(s.url, {"email": "f@example.com"})
    assert status == 303
    done = stripe.checkout.Session.retrieve(s.id)
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "trialing" and sub.default_payment_method is None
    assert stripe.PaymentMethod.list(customer=done.customer).data == []
    assert stripe.Customer.retrieve(done.customer).email == "f@example.com"


# --- expiry ----------------------------------------------------------------------------------


def test_expire_endpoint_and_twice_is_400(billing, page):
    price = billing.price(1500)
    s = _sub_session(price)
    expired = stripe.checkout.Session.expire(s.id)
    assert expired.status == "expired" and expired.url is None
    assert stripe.checkout.Session.retrieve(s.id).status == "expired"
    assert [e.data.object.id for e in stripe.Event.list(type="checkout.session.expired").data] == [s.id]
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.expire(s.id)
    assert e.value.http_status == 400
    status, _, html = page(s.url)
    assert status == 410 and "expired" in html
    # A payment attempt on the expired page does nothing.
    page(s.url, {"test_card": "4242424242424242"})
    assert stripe.checkout.Session.retrieve(s.id).status == "expired"
    assert stripe.Customer.list().data == []


def test_expiry_by_advancing_time(billing, control):
    price = billing.price(1500)
    s = _sub_session(price)
    short = _sub_session(price, expires_at=s.created + 3600)
    assert short.expires_at == s.created + 3600

    status, body = control("/_emulator/time/advance", by="30m")
    assert status == 200, body
    assert stripe.checkout.Session.retrieve(short.id).status == "open"

    status, body = control("/_emulator/time/advance", by="1h")
    assert status == 200, body
    assert stripe.checkout.Session.retrieve(short.id).status == "expired"
    assert stripe.checkout.Session.retrieve(s.id).status == "open"

    status, body = control("/_emulator/time/advance", by="24h")
    assert status == 200, body
    gone = stripe.checkout.Session.retrieve(s.id)
    assert gone.status == "expired" and gone.url is None
    evs = stripe.Event.list(type="checkout.session.expired").data
    assert sorted(e.data.object.id for e in evs) == sorted([s.id, short.id])
    assert all(e.data.object.status == "expired" and e.data.object.url is None for e in evs)
    assert {x.id for x in stripe.checkout.Session.list(status="expired").data} == {s.id, short.id}

    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa")
    assert status == 400, body
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.expire(s.id)


def test_completed_session_does_not_expire_later(billing, control):
    price = billing.price(1500)
    s = _sub_session(price)
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa")
    assert status == 200, body
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.expire(s.id)
    assert e.value.http_status == 400
    control("/_emulator/time/advance", by="25h")
    assert stripe.checkout.Session.retrieve(s.id).status == "complete"
    assert stripe.Event.list(type="checkout.session.expired").data == []


# --- headless completion ---------------------------------------------------------------------


def test_headless_subscription_existing_customer(billing, control):
    price = billing.price(1500, name="Pro")
    cus = billing.customer(pm=None, email="g@example.com")
    s = _sub_session(price, customer=cus.id, subscription_data={"metadata": {"k": "v"}})
    assert s.customer == cus.id
    before = billing.seen()
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4242424242424242",
                           exp_month="12", exp_year="2034", cvc="123")
    assert status == 200, body
    assert body["id"] == s.id and body["status"] == "complete" and body["customer"] == cus.id

    done = stripe.checkout.Session.retrieve(s.id)
    assert done.customer_details.email == "g@example.com"
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "active" and sub.customer == cus.id and sub.metadata.to_dict() == {"k": "v"}
    assert stripe.Customer.list().data[0].id == cus.id and len(stripe.Customer.list().data) == 1
    types = _types(billing, cus.id, exclude=before)
    assert "customer.created" not in types
    assert types[:5] == ["payment_method.attached", "customer.updated", "customer.subscription.created",
                         "invoice.created", "invoice.finalized"]
    assert types[-1] == "checkout.session.completed"

    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa")
    assert status == 400 and body["error"]["code"] == "checkout_session_not_open", body
    assert len(stripe.Subscription.list(customer=cus.id).data) == 1


def test_headless_with_existing_payment_method(billing, control):
    price = billing.price(1500)
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    s = _sub_session(price, customer_email="pm@example.com")
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card=pm.id)
    assert status == 200, body
    sub = stripe.Subscription.retrieve(body["subscription"])
    assert sub.default_payment_method == pm.id and sub.status == "active"
    assert stripe.PaymentMethod.retrieve(pm.id).customer == body["customer"]


def test_headless_declines_and_3ds(billing, control):
    price = billing.price(1500)
    s = _sub_session(price)
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4000000000000002")
    assert status == 402, body
    err = body["error"]
    assert (err["type"], err["code"], err.get("decline_code")) == ("card_error", "card_declined", "generic_decline")
    assert err["message"] == "Your card was declined."

    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_chargeDeclinedInsufficientFunds")
    assert status == 402, body
    assert body["error"].get("decline_code") == "insufficient_funds"

    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4000002760003184")
    assert status == 402 and body["error"]["code"] == "authentication_required", body
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4000002760003184", authentication="fail")
    assert status == 402 and body["error"]["code"] == "payment_intent_authentication_failure", body
    assert stripe.checkout.Session.retrieve(s.id).status == "open"
    assert stripe.Customer.list().data == []

    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4000002760003184", authentication="complete")
    assert status == 200 and body["status"] == "complete", body
    assert stripe.Subscription.retrieve(body["subscription"]).status == "active"

    # Unknown session on the control route.
    status, body = control("/_emulator/checkout/cs_test_nope/complete", card="pm_card_visa")
    assert status == 404, body


def test_headless_payment_mode(billing, control):
    price = _one_time_price(2500)
    s = stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id, "quantity": 2}],
                                       success_url=SUCCESS, customer_email="h@example.com")
    assert (s.payment_status, s.amount_total, s.payment_intent, s.subscription) == ("unpaid", 5000, None, None)
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa", name="Hal")
    assert status == 200, body
    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.subscription is None and done.customer is None  # guest: customer_creation=if_required
    assert done.customer_details.email == "h@example.com"
    pi = stripe.PaymentIntent.retrieve(done.payment_intent)
    assert (pi.status, pi.amount, pi.currency, pi.amount_received) == ("succeeded", 5000, "usd", 5000)
    types = [e.type for e in reversed(stripe.Event.list(limit=100).data) if e.type.startswith(("payment_intent", "charge", "checkout"))]
    assert types[-1] == "checkout.session.completed"
    assert sorted(types[:-1]) == ["charge.succeeded", "payment_intent.created", "payment_intent.succeeded"]
    assert stripe.Customer.list().data == []

    # A declined payment leaves the session open, and (since 2022-08-01) its intent keeps the failure.
    s2 = stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id}], success_url=SUCCESS)
    status, body = control(f"/_emulator/checkout/{s2.id}/complete", card="pm_card_chargeDeclined")
    assert status == 402 and body["error"]["code"] == "card_declined", body
    open_session = stripe.checkout.Session.retrieve(s2.id)
    assert open_session.status == "open"
    failed = stripe.PaymentIntent.retrieve(open_session.payment_intent)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "card_declined"


def test_payment_mode_customer_creation_always(billing, control):
    price = _one_time_price(2500)
    s = stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id}], success_url=SUCCESS,
                                       customer_creation="always", customer_email="cc@example.com")
    assert s.customer_creation == "always"
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa")
    assert status == 200, body
    done = stripe.checkout.Session.retrieve(s.id)
    assert done.customer is not None
    assert stripe.Customer.retrieve(done.customer).email == "cc@example.com"
    assert stripe.PaymentIntent.retrieve(done.payment_intent).customer == done.customer


def test_payment_mode_page_3ds(billing, page):
    price = _one_time_price(2500, name="Mug")
    s = stripe.checkout.Session.create(mode="payment", line_items=[{"price": price.id, "quantity": 2}],
                                       success_url=SUCCESS, cancel_url=CANCEL)
    _, _, html = page(s.url)
    assert "Mug" in html and "Pay $50.00" in html
    status, _, html = page(s.url, {"test_card": "4000002760003184", "email": "m@example.com"})
    assert status == 200 and "/challenge" in html
    assert stripe.PaymentIntent.list().data == []  # nothing kept while waiting for the challenge
    status, headers, _ = page(s.url, {"outcome": "complete"}, suffix="/challenge")
    assert status == 303 and headers["Location"] == f"https://app.test/ok?s={s.id}"
    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status, done.customer_details.email) == ("complete", "paid", "m@example.com")
    pis = stripe.PaymentIntent.list().data
    assert [(p.id, p.status, p.amount) for p in pis] == [(done.payment_intent, "succeeded", 5000)]


def test_headless_setup_mode(billing, control):
    cus = billing.customer(pm=None, email="i@example.com")
    s = stripe.checkout.Session.create(mode="setup", currency="usd", success_url=SUCCESS, customer=cus.id)
    assert s.mode == "setup" and s.payment_status == "no_payment_required" and s.amount_total in (0, None)
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="4242424242424242", exp_month="1", exp_year="2040")
    assert status == 200, body
    done = stripe.checkout.Session.retrieve(s.id)
    assert (done.status, done.payment_status, done.customer) == ("complete", "no_payment_required", cus.id)
    assert done.subscription is None and done.payment_intent is None
    si = stripe.SetupIntent.retrieve(done.setup_intent)
    assert si.status == "succeeded" and si.customer == cus.id and si.usage == "off_session"
    pm = stripe.PaymentMethod.retrieve(si.payment_method)
    assert pm.customer == cus.id and (pm.card.last4, pm.card.exp_year) == ("4242", 2040)
    assert [p.id for p in stripe.PaymentMethod.list(customer=cus.id).data] == [pm.id]
    assert "setup_intent.succeeded" in [e.type for e in stripe.Event.list().data]


def test_session_for_test_clock_customer_is_usable(billing, control):
    """A Checkout Session for a customer on a test clock must not be born expired: its
    expiry must be measured on the same clock as its expires_at."""
    clock = billing.clock()
    cus = billing.customer(clock, pm=None, email="tc@example.com")
    price = billing.price(1000)
    s = _sub_session(price, customer=cus.id)
    assert s.status == "open"
    assert stripe.checkout.Session.retrieve(s.id).status == "open"
    assert stripe.Event.list(type="checkout.session.expired").data == []
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa")
    assert status == 200, body
    sub = stripe.Subscription.retrieve(body["subscription"])
    assert sub.test_clock == clock.id and sub.start_date == billing.T0 and sub.status == "active"


# --- errors through the SDK --------------------------------------------------------------------


def test_unknown_checkout_session_404(client):
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.retrieve("cs_test_does_not_exist")
    assert e.value.http_status == 404 and e.value.code == "resource_missing"
    assert "cs_test_does_not_exist" in e.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as e:
        client.v1.checkout.sessions.line_items.list("cs_test_does_not_exist")
    assert e.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.expire("cs_test_does_not_exist")
    assert e.value.http_status == 404


def test_stripe_client_checkout_roundtrip(billing, client, control):
    price = billing.price(900)
    s = client.v1.checkout.sessions.create({"mode": "subscription", "success_url": SUCCESS,
                                            "line_items": [{"price": price.id, "quantity": 1}]})
    status, body = control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa", email="j@example.com")
    assert status == 200, body
    got = client.v1.checkout.sessions.retrieve(s.id, {"expand": ["line_items", "subscription"]})
    assert got.subscription.status == "active" and got.line_items.data[0].price.id == price.id
    assert got.customer_details.email == "j@example.com"
    assert [x.id for x in client.v1.checkout.sessions.list({"customer": got.customer}).data] == [s.id]


# --- Billing portal: configurations and sessions ---------------------------------------------


def _active_sub(billing, amount=1500, name="Basic", pm="pm_card_visa"):
    price = billing.price(amount, name=name)
    cus = billing.customer(pm=pm, email="pat@example.com")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active"
    return cus, price, sub


def test_portal_configurations(billing):
    configs = stripe.billing_portal.Configuration.list().data
    assert len(configs) == 1
    default = configs[0]
    assert default.is_default is True and default.active is True and default.id.startswith("bpc_")
    f = default.features
    assert f.subscription_cancel.enabled is True and f.subscription_cancel.mode == "at_period_end"
    assert list(f.subscription_cancel.cancellation_reason.options) == [
        "too_expensive", "missing_features", "switched_service", "unused", "other"]
    assert f.subscription_update.proration_behavior == "create_prorations"
    assert f.payment_method_update.enabled is True and f.invoice_history.enabled is True

    c = stripe.billing_portal.Configuration.create(
        business_profile={"headline": "Acme"},
        features={"subscription_cancel": {"enabled": True, "mode": "immediately"},
                  "subscription_update": {"enabled": False}},
        default_return_url="https://app.test/account",
    )
    assert c.is_default is False and c.features.subscription_cancel.mode == "immediately"
    assert c.features.subscription_update.enabled is False
    assert c.business_profile.headline == "Acme"
    assert stripe.billing_portal.Configuration.retrieve(c.id).default_return_url == "https://app.test/account"
    assert {x.id for x in stripe.billing_portal.Configuration.list().data} == {default.id, c.id}
    assert [x.id for x in stripe.billing_portal.Configuration.list(is_default=True).data] == [default.id]

    m = stripe.billing_portal.Configuration.modify(c.id, features={"invoice_history": {"enabled": False}},
                                                   metadata={"v": "2"})
    assert m.features.invoice_history.enabled is False and m.metadata.to_dict() == {"v": "2"}
    assert m.features.subscription_cancel.mode == "immediately"  # untouched
    upd = stripe.Event.list(type="billing_portal.configuration.updated").data
    assert len(upd) == 1 and upd[0].data.object.id == c.id

    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.billing_portal.Configuration.retrieve("bpc_nope")
    assert e.value.http_status == 404


def test_portal_session_with_and_without_configuration(billing, page):
    cus, price, sub = _active_sub(billing, name="Basic")
    s = stripe.billing_portal.Session.create(customer=cus.id, return_url="https://app.test/account")
    default = stripe.billing_portal.Configuration.list(is_default=True).data[0]
    assert s.object == "billing_portal.session" and s.id.startswith("bps_")
    assert s.configuration == default.id and s.customer == cus.id and s.flow is None
    assert s.return_url == "https://app.test/account"
    assert _path(s.url).startswith("/p/session/") and _path(s.url).endswith("/" + s.id)
    assert [e.data.object.id for e in stripe.Event.list(type="billing_portal.session.created").data] == [s.id]

    status, _, html = page(s.url)
    assert status == 200 and "TEST MODE" in html
    assert "Basic" in html and "$15.00 / month" in html and "4242" in html
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.number in html
    assert "https://app.test/account" in html
    assert "Cancel plan at period end" in html and "too_expensive" in html

    c = stripe.billing_portal.Configuration.create(
        features={"subscription_cancel": {"enabled": True, "mode": "immediately"},
                  "invoice_history": {"enabled": False}},
        default_return_url="https://app.test/from-config",
    )
    s2 = stripe.billing_portal.Session.create(customer=cus.id, configuration=c.id)
    assert s2.configuration == c.id and s2.return_url == "https://app.test/from-config"
    status, _, html = page(s2.url)
    assert status == 200 and "Cancel plan now" in html and inv.number not in html

    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.billing_portal.Session.create(customer=cus.id, configuration="bpc_nope")
    assert e.value.http_status == 400  # named by a parameter, not the URL path
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.billing_portal.Session.create(customer="cus_nope")
    assert e.value.http_status == 400


def test_portal_flow_data(billing):
    cus, _, sub = _active_sub(billing)
    s = stripe.billing_portal.Session.create(
        customer=cus.id,
        flow_data={"type": "subscription_cancel", "subscription_cancel": {"subscription": sub.id}},
    )
    assert s.flow.type == "subscription_cancel" and s.flow.subscription_cancel.subscription == sub.id
    assert s.flow.after_completion.type == "portal_homepage"

    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.billing_portal.Session.create(customer=cus.id, flow_data={"type": "subscription_cancel"})
    assert e.value.http_status == 400
    assert e.value.param == "flow_data[subscription_cancel][subscription]"

    other = billing.customer(pm=None)
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.billing_portal.Session.create(
            customer=other.id,
            flow_data={"type": "subscription_cancel", "subscription_cancel": {"subscription": sub.id}},
        )
    assert e.value.http_status == 400


# --- Billing portal actions: page and control route --------------------------------------------


@pytest.mark.parametrize("via", ["page", "control"])
def test_portal_cancel_at_period_end_and_undo(billing, page, control, via):
    cus, _, sub = _active_sub(billing)
    ps = stripe.billing_portal.Session.create(customer=cus.id)

    def act(**form):
        if via == "page":
            status, headers, _ = page(ps.url, form)
            assert status == 303, status
            loc = headers["Location"]
            assert loc.startswith(_path(ps.url) + "?"), loc
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
            assert "error" not in q, q
            return q["flash"][0]
        status, body = control(f"/_emulator/portal/{ps.id}/actions", **form)
        assert status == 200, body
        return body["message"]

    before = billing.seen()
    msg = act(action="cancel", subscription=sub.id, reason="too_expensive")
    assert "will end on" in msg
    s = stripe.Subscription.retrieve(sub.id)
    assert s.status == "active" and s.cancel_at_period_end is True
    assert s.cancellation_details.reason == "cancellation_requested"
    assert s.cancellation_details.feedback == "too_expensive"
    assert _types(billing, cus.id, exclude=before) == ["customer.subscription.updated"]
    ev = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert ev.data.object.cancel_at_period_end is True
    assert ev.data.previous_attributes.cancel_at_period_end is False

    if via == "page":
        _, _, html = page(ps.url)
        assert "Cancels on" in html and "renew plan" in html

    before = billing.seen()
    msg = act(action="undo_cancel", subscription=sub.id)
    assert "renew" in msg
    s = stripe.Subscription.retrieve(sub.id)
    assert s.cancel_at_period_end is False and s.status == "active"
    assert _types(billing, cus.id, exclude=before) == ["customer.subscription.updated"]
    ev = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert ev.data.previous_attributes.cancel_at_period_end is True


@pytest.mark.parametrize("via", ["page", "control"])
def test_portal_switch_plan_prorates(billing, page, control, via):
    cus, basic, sub = _active_sub(billing, amount=1000, name="Basic")
    pro = billing.price(3000, name="Pro")
    billing.price(5000, name="Yearly", interval="year")  # other interval: not offered
    ps = stripe.billing_portal.Session.create(customer=cus.id)
    if via == "page":
        _, _, html = page(ps.url)
        assert pro.id in html and "Yearly" not in html

    status, body = control("/_emulator/time/advance", by="10d")
    assert status == 200, body
    before = billing.seen()
    if via == "page":
        status, headers, _ = page(ps.url, {"action": "switch_plan", "subscription": sub.id, "price": pro.id})
        assert status == 303 and "flash=" in headers["Location"], headers["Location"]
    else:
        status, body = control(f"/_emulator/portal/{ps.id}/actions", action="switch_plan",
                               subscription=sub.id, price=pro.id)
        assert status == 200 and "Pro" in body["message"], body

    s = stripe.Subscription.retrieve(sub.id)
    assert [i.price.id for i in s["items"].data] == [pro.id]
    types = _types(billing, cus.id, exclude=before)
    assert sorted(types) == ["customer.subscription.updated", "invoiceitem.created", "invoiceitem.created"]
    items = stripe.InvoiceItem.list(customer=cus.id, pending=True).data
    assert len(items) == 2
    amounts = sorted(i.amount for i in items)
    assert amounts[0] < 0 < amounts[1]
    # 10 days used: the unused part of Basic back, the unused part of Pro charged.
    start, end = sub["items"].data[0].current_period_start, sub["items"].data[0].current_period_end
    unused = (end - start - 10 * DAY) / (end - start)
    assert amounts[0] == pytest.approx(-1000 * unused, abs=2)
    assert amounts[1] == pytest.approx(3000 * unused, abs=2)
    assert {i.period.end for i in items} == {end}
    assert all(i.subscription == sub.id if "subscription" in i else True for i in items)


def test_portal_switch_plan_refusals(billing, page, control):
    cus, basic, sub = _active_sub(billing)
    yearly = billing.price(5000, name="Yearly", interval="year")
    ps = stripe.billing_portal.Session.create(customer=cus.id)
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="switch_plan", subscription=sub.id, price=yearly.id)
    assert status == 400, body
    status, headers, _ = page(ps.url, {"action": "switch_plan", "subscription": sub.id, "price": yearly.id})
    assert status == 303 and "error=" in headers["Location"]
    status, headers, _ = page(ps.url, {"action": "cancel", "subscription": sub.id, "reason": "bored"})
    assert status == 303 and "error=" in headers["Location"]
    s = stripe.Subscription.retrieve(sub.id)
    assert s["items"].data[0].price.id == basic.id and s.cancel_at_period_end is False

    # Another customer's subscription cannot be touched.
    other_cus, _, other_sub = _active_sub(billing)
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="cancel", subscription=other_sub.id)
    assert status == 400, body
    assert stripe.Subscription.retrieve(other_sub.id).cancel_at_period_end is False
    status, body = control("/_emulator/portal/bps_nope/actions", action="cancel")
    assert status == 404, body


@pytest.mark.parametrize("via", ["page", "control"])
def test_portal_update_card(billing, page, control, via):
    cus, _, sub = _active_sub(billing)
    old_pm = stripe.Customer.retrieve(cus.id).invoice_settings.default_payment_method
    ps = stripe.billing_portal.Session.create(customer=cus.id)
    before = billing.seen()
    if via == "page":
        status, headers, _ = page(ps.url, {"action": "update_card", "card": "5555 5555 5555 4444",
                                           "exp": "11 / 33", "cvc": "321"})
        assert status == 303 and "flash=" in headers["Location"], headers["Location"]
    else:
        status, body = control(f"/_emulator/portal/{ps.id}/actions", action="update_card", card="5555555555554444",
                               exp_month="11", exp_year="2033", cvc="321")
        assert status == 200 and "4444" in body["message"], body

    c = stripe.Customer.retrieve(cus.id)
    new_pm = c.invoice_settings.default_payment_method
    assert new_pm and new_pm != old_pm
    pm = stripe.PaymentMethod.retrieve(new_pm)
    assert pm.customer == cus.id and pm.card.last4 == "4444" and (pm.card.exp_month, pm.card.exp_year) == (11, 2033)
    types = _types(billing, cus.id, exclude=before)
    # Saved through a SetupIntent for off-session use, as Stripe's portal does.
    assert types[:4] == ["setup_intent.created", "payment_method.attached", "setup_intent.succeeded", "customer.updated"]
    ev = stripe.Event.list(type="customer.updated", limit=1).data[0]
    assert ev.data.previous_attributes.invoice_settings.default_payment_method == old_pm
    if via == "page":
        _, _, html = page(ps.url)
        assert "4444" in html and "11/33" in html


def test_portal_update_card_declined(billing, page, control):
    cus, _, _ = _active_sub(billing)
    old_pm = stripe.Customer.retrieve(cus.id).invoice_settings.default_payment_method
    ps = stripe.billing_portal.Session.create(customer=cus.id)
    status, headers, _ = page(ps.url, {"action": "update_card", "test_card": "4000000000000002"})
    assert status == 303
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)
    assert q.get("error") == ["Your card was declined."], q
    _, _, html = page(headers["Location"])
    assert "Your card was declined." in html
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="update_card", card="4000000000000002")
    assert status == 400, body
    assert stripe.Customer.retrieve(cus.id).invoice_settings.default_payment_method == old_pm
    assert len(stripe.PaymentMethod.list(customer=cus.id).data) == 1


@pytest.mark.parametrize("via", ["page", "control"])
def test_portal_cancel_immediately(billing, page, control, via):
    cus, _, sub = _active_sub(billing)
    cfg = stripe.billing_portal.Configuration.create(
        features={"subscription_cancel": {"enabled": True, "mode": "immediately"}})
    ps = stripe.billing_portal.Session.create(customer=cus.id, configuration=cfg.id)
    before = billing.seen()
    if via == "page":
        status, headers, _ = page(ps.url, {"action": "cancel", "subscription": sub.id, "reason": "unused"})
        assert status == 303 and "flash=" in headers["Location"], headers["Location"]
    else:
        status, body = control(f"/_emulator/portal/{ps.id}/actions", action="cancel", subscription=sub.id, reason="unused")
        assert status == 200 and "canceled" in body["message"], body
    s = stripe.Subscription.retrieve(sub.id)
    assert s.status == "canceled" and s.canceled_at is not None and s.ended_at is not None
    assert s.cancellation_details.reason == "cancellation_requested"
    assert s.cancellation_details.feedback == "unused"
    assert "customer.subscription.deleted" in _types(billing, cus.id, exclude=before)
    if via == "page":
        _, _, html = page(ps.url)
        assert sub.id not in html  # canceled subscriptions are no longer listed


def test_portal_control_defaults_to_live_subscription(billing, control):
    cus, _, sub = _active_sub(billing)
    ps = stripe.billing_portal.Session.create(customer=cus.id)
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="cancel")
    assert status == 200 and body["subscription"] == sub.id, body
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="undo_cancel")
    assert status == 200, body
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="undo_cancel")
    assert status == 400, body  # not set to cancel any more
    status, body = control(f"/_emulator/portal/{ps.id}/actions", action="explode")
    assert status == 400, body


def test_checkout_then_portal_end_to_end(billing, page, control):
    """A customer subscribes through Checkout, then cancels in the portal."""
    price = billing.price(1500, name="Pro")
    s = _sub_session(price, trial_days=14)
    status, _, _ = page(s.url, {"test_card": "4242424242424242", "email": "k@example.com"})
    assert status == 303
    done = stripe.checkout.Session.retrieve(s.id)
    ps = stripe.billing_portal.Session.create(customer=done.customer, return_url="https://app.test/account")
    _, _, html = page(ps.url)
    assert "Trial ends on" in html and "k@example.com" in html
    status, headers, _ = page(ps.url, {"action": "cancel", "subscription": done.subscription, "reason": "other"})
    assert status == 303 and "flash=" in headers["Location"]
    sub = stripe.Subscription.retrieve(done.subscription)
    assert sub.status == "trialing" and sub.cancel_at_period_end is True

    # A new card in the portal becomes the default of the customer and of the subscription.
    before = billing.seen()
    status, headers, _ = page(ps.url, {"action": "update_card", "test_card": "5555555555554444"})
    assert status == 303 and "flash=" in headers["Location"]
    new_pm = stripe.Customer.retrieve(done.customer).invoice_settings.default_payment_method
    assert stripe.Subscription.retrieve(sub.id).default_payment_method == new_pm
    assert stripe.PaymentMethod.retrieve(new_pm).card.last4 == "4444"
    assert _types(billing, done.customer, exclude=before) == [
        "setup_intent.created", "payment_method.attached", "setup_intent.succeeded", "customer.updated",
        "customer.subscription.updated"]

    # Switching plans during the trial ends it (trial_update_behavior=end_trial) and charges the new card.
    pro2 = billing.price(2500, name="Pro Plus")
    status, headers, _ = page(ps.url, {"action": "switch_plan", "subscription": sub.id, "price": pro2.id})
    assert status == 303 and "flash=" in headers["Location"], headers["Location"]
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "active" and sub["items"].data[0].price.id == pro2.id
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.amount_paid) == ("paid", 2500)
