"""Legacy card sources (customer `source`, /v1/customers/{id}/sources, `default_source`) and
Checkout paid the way Stripe's own client pays it (`payment_intent_data`, `setup_intent_data`,
the private /v1/payment_pages API), through the official SDK."""

import pytest
import stripe


def _types(since=None):
    evs = list(stripe.Event.list(limit=100).auto_paging_iter())
    evs.reverse()
    if since is not None:
        evs = [e for e in evs if e.id not in since]
    return [e.type for e in evs]


def _seen():
    return {e.id for e in stripe.Event.list(limit=100).auto_paging_iter()}


def _page(client, method, path, **params):
    """The private payment page API has no SDK method: StripeClient.raw_request calls it."""
    return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")


# --- sources ----------------------------------------------------------------------------------


def test_customer_created_with_a_source_gets_a_default_card():
    c = stripe.Customer.create(source="tok_visa", email="legacy@example.com")
    assert c.default_source.startswith("card_")
    card = stripe.Customer.retrieve_source(c.id, c.default_source)
    assert card.object == "card"
    assert card.brand == "Visa"
    assert card.last4 == "4242"
    assert card.customer == c.id
    assert _types() == ["customer.created", "customer.source.created"]


def test_sources_lifecycle_and_events_in_order():
    c = stripe.Customer.create()
    seen = _seen()
    a = stripe.Customer.create_source(c.id, source="tok_visa", metadata={"k": "v"})
    b = stripe.Customer.create_source(c.id, source="tok_mastercard")
    assert a.metadata["k"] == "v"
    assert stripe.Customer.retrieve(c.id).default_source == a.id
    listed = stripe.Customer.list_sources(c.id, object="card")
    assert [s.id for s in listed.data] == [b.id, a.id]
    u = stripe.Customer.modify_source(c.id, a.id, name="Jenny Rosen", exp_year=2040, metadata={"foo": "bar"})
    assert u.name == "Jenny Rosen"
    assert u.exp_year == 2040
    assert u.metadata.to_dict() == {"k": "v", "foo": "bar"}
    stripe.Customer.modify(c.id, default_source=b.id)
    d = stripe.Customer.delete_source(c.id, b.id)
    assert d.deleted is True
    assert stripe.Customer.retrieve(c.id).default_source == a.id
    assert _types(seen) == [
        "customer.source.created", "customer.updated", "customer.source.created", "customer.source.updated",
        "customer.updated", "customer.source.deleted", "customer.updated",
    ]


def test_source_errors():
    c = stripe.Customer.create()
    with pytest.raises(stripe.CardError) as ei:
        stripe.Customer.create_source(c.id, source="tok_chargeDeclinedInsufficientFunds")
    assert ei.value.code == "card_declined"
    assert ei.value.error.decline_code == "insufficient_funds"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.create_source(c.id, source="tok_unknown")
    assert ei.value.code == "resource_missing"
    assert ei.value.param == "source"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.retrieve_source(c.id, "card_missing")
    assert ei.value.http_status == 404
    other = stripe.Customer.create(source="tok_visa")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.modify(c.id, default_source=other.default_source)
    assert ei.value.param == "default_source"


def test_subscription_of_a_customer_with_only_a_default_source_is_paid_with_it():
    c = stripe.Customer.create(source="tok_visa")
    prod = stripe.Product.create(name="Legacy")
    price = stripe.Price.create(product=prod.id, unit_amount=2500, currency="usd", recurring={"interval": "month"})
    sub = stripe.Subscription.create(customer=c.id, items=[{"price": price.id}], expand=["latest_invoice"])
    assert sub.status == "active"
    assert sub.latest_invoice.amount_paid == 2500
    charge = stripe.Charge.list(customer=c.id).data[0]
    assert charge.payment_method == c.default_source
    assert charge.amount == 2500


def test_payment_intent_with_a_card_source():
    c = stripe.Customer.create(source="tok_amex")
    pi = stripe.PaymentIntent.create(amount=1050, currency="usd", customer=c.id, payment_method=c.default_source, confirm=True)
    assert pi.status == "succeeded"
    assert pi.amount_received == 1050
    assert pi.payment_method == c.default_source


# --- Checkout: payment_intent_data and the payment page API -------------------------------------


def _payment_session(**extra):
    prod = stripe.Product.create(name="myproduct")
    price = stripe.Price.create(product=prod.id, unit_amount=1500, currency="usd")
    return stripe.checkout.Session.create(
        mode="payment", success_url="https://app.test/ok", cancel_url="https://app.test/no",
        line_items=[{"price": price.id, "quantity": 2}], **extra)


def test_payment_page_confirm_completes_with_payment_intent_data(client):
    session = _payment_session(payment_intent_data={
        "shipping": {"name": "Jenny Rosen", "address": {"line1": "510 Townsend St", "postal_code": "94103",
                                                        "city": "San Francisco", "state": "CA", "country": "US"}},
        "metadata": {"order": "7"},
    })
    page = _page(client, "get", f"/v1/payment_pages/{session.id}")
    assert page["line_item_group"]["total"] == 3000
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    seen = _seen()
    done = _page(client, "post", f"/v1/payment_pages/{session.id}/confirm", payment_method=pm.id, expected_amount=3000)
    assert done["status"] == "complete"
    assert _types(seen) == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                            "checkout.session.completed"]
    s = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert s.payment_status == "paid"
    assert s.payment_intent.amount == 3000
    assert s.payment_intent.shipping.name == "Jenny Rosen"
    assert s.payment_intent.metadata["order"] == "7"


def test_payment_page_declines_and_amount_mismatch(client):
    session = _payment_session()
    with pytest.raises(stripe.InvalidRequestError) as ei:
        _page(client, "post", f"/v1/payment_pages/{session.id}/confirm", payment_method="pm_card_visa", expected_amount=100)
    assert ei.value.param == "expected_amount"
    with pytest.raises(stripe.CardError) as ei:
        _page(client, "post", f"/v1/payment_pages/{session.id}/confirm", payment_method="pm_card_chargeDeclined")
    assert ei.value.code == "card_declined"
    assert stripe.checkout.Session.retrieve(session.id).status == "open"


def test_checkout_manual_capture_then_capture(client):
    session = _payment_session(payment_intent_data={"capture_method": "manual"})
    _page(client, "post", f"/v1/payment_pages/{session.id}/confirm", payment_method="pm_card_visa", expected_amount=3000)
    s = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert s.status == "complete"
    assert s.payment_status == "unpaid"
    assert s.payment_intent.status == "requires_capture"
    pi = stripe.PaymentIntent.capture(s.payment_intent.id)
    assert pi.status == "succeeded"
    assert pi.amount_received == 3000


def test_setup_intent_data_on_setup_sessions(client):
    session = stripe.checkout.Session.create(mode="setup", currency="usd", success_url="https://app.test/ok",
                                             setup_intent_data={"description": "Card on file", "metadata": {"a": "b"}})
    _page(client, "post", f"/v1/payment_pages/{session.id}/confirm", payment_method="pm_card_visa")
    s = stripe.checkout.Session.retrieve(session.id, expand=["setup_intent"])
    assert s.status == "complete"
    assert s.setup_intent.description == "Card on file"
    assert s.setup_intent.metadata["a"] == "b"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        _payment_session(setup_intent_data={"description": "x"})
    assert ei.value.param == "setup_intent_data"


# --- payments that settle later (sepa_debit, us_bank_account) ---------------------------------


def _run_due(base_url):
    import urllib.request
    req = urllib.request.Request(base_url + "/_emulator/time/advance", data=b"by=3m", method="POST",
                                 headers={"Authorization": "Bearer " + stripe.api_key})
    urllib.request.urlopen(req, timeout=10).read()


def test_sepa_debit_processes_then_succeeds(base_url):
    pm = stripe.PaymentMethod.create(type="sepa_debit", sepa_debit={"iban": "AT321904300235473204"},
                                     billing_details={"name": "Jenny Rosen", "email": "j@example.com"})
    assert pm.sepa_debit.last4 == "3204"
    seen = _seen()
    pi = stripe.PaymentIntent.create(amount=2500, currency="eur", payment_method=pm.id, payment_method_types=["sepa_debit"],
                                     confirm=True, mandate_data={"customer_acceptance": {"type": "offline"}})
    assert pi.status == "processing"
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert charge.status == "pending"
    mandate = stripe.Mandate.retrieve(charge.payment_method_details.sepa_debit.mandate)
    assert mandate.customer_acceptance.type == "offline"
    _run_due(base_url)
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert pi.status == "succeeded"
    assert pi.amount_received == 2500
    assert _types(seen) == ["payment_intent.created", "charge.pending", "payment_intent.processing",
                            "charge.succeeded", "payment_intent.succeeded"]


def test_ach_debit_fails_with_the_bank_code(base_url):
    pm = stripe.PaymentMethod.create(type="us_bank_account", billing_details={"name": "Jenny Rosen"},
                                     us_bank_account={"account_number": "000222222227", "routing_number": "110000000",
                                                      "account_holder_type": "individual"})
    pi = stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method=pm.id,
                                     payment_method_types=["us_bank_account"], confirm=True)
    assert pi.status == "processing"
    _run_due(base_url)
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "insufficient_funds"
    assert stripe.Charge.retrieve(pi.latest_charge).status == "failed"


def test_bank_debit_errors():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentMethod.create(type="sepa_debit", sepa_debit={"iban": "AT001904300234573201"},
                                    billing_details={"name": "J"})
    assert ei.value.param == "sepa_debit[iban]"
    pm = stripe.PaymentMethod.create(type="sepa_debit", sepa_debit={"iban": "AT611904300234573201"},
                                     billing_details={"name": "J"})
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method=pm.id,
                                    payment_method_types=["sepa_debit"], confirm=True)
    assert ei.value.param == "currency"
