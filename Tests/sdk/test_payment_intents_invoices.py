"""PaymentIntents (declines, retries, 3D Secure), one-off invoices and the Events API."""

import uuid

import pytest
import stripe


# --- PaymentIntents ---------------------------------------------------------------------


def test_payment_intent_decline_then_retry_with_another_card():
    cus = stripe.Customer.create(email="pi@example.com")
    pi = stripe.PaymentIntent.create(amount=2500, currency="usd", customer=cus.id)
    assert pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(pi.id + "_secret_")

    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds")
    err = ei.value
    assert err.http_status == 402
    assert err.code == "card_declined"
    assert err.user_message == "Your card has insufficient funds."
    body = err.json_body["error"]
    assert body["type"] == "card_error"
    assert body["decline_code"] == "insufficient_funds"
    assert body["charge"].startswith("ch_")
    assert body["payment_intent"]["id"] == pi.id
    assert body["payment_intent"]["status"] == "requires_payment_method"

    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    assert pi.last_payment_error.decline_code == "insufficient_funds"
    assert pi.last_payment_error.charge == body["charge"]
    assert pi.latest_charge == body["charge"]
    assert pi.amount_received == 0

    ok = stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded"
    assert ok.amount_received == 2500
    assert ok.last_payment_error is None
    assert ok.latest_charge != body["charge"]

    charges = stripe.Charge.list(payment_intent=pi.id).data
    assert [(c.status, c.failure_code) for c in charges] == [("succeeded", None), ("failed", "card_declined")]
    assert charges[0].id == ok.latest_charge
    assert charges[1].outcome.reason == "insufficient_funds"
    types = [e.type for e in stripe.Event.list().data][::-1]
    assert types[-5:] == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


@pytest.mark.parametrize(
    "pm,code,decline_code,message",
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", "Your card was declined."),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", None, "Your card has expired."),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", None, None),
    ],
)
def test_payment_intent_create_and_confirm_declines_client(client, pm, code, decline_code, message):
    """StripeClient style: create with confirm=true in one call."""
    with pytest.raises(stripe.CardError) as ei:
        client.v1.payment_intents.create(
            params={"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}
        )
    assert ei.value.code == code
    assert ei.value.http_status == 402
    if decline_code:
        assert ei.value.json_body["error"]["decline_code"] == decline_code
    if message:
        assert ei.value.user_message == message
    pi_id = ei.value.json_body["error"]["payment_intent"]["id"]
    pi = client.v1.payment_intents.retrieve(pi_id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code


def test_payment_intent_3ds_requires_action_then_authenticate(raw):
    cus = stripe.Customer.create()
    pm = stripe.PaymentMethod.attach("pm_card_authenticationRequired", customer=cus.id)
    pi = stripe.PaymentIntent.create(amount=4200, currency="usd", customer=cus.id, payment_method=pm.id, confirm=True)
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.latest_charge is None
    assert stripe.Charge.list(payment_intent=pi.id).data == []
    assert stripe.Event.list(type="payment_intent.requires_action").data[0].data.object.id == pi.id

    status, _, body = raw("POST", f"/_emulator/payment_intents/{pi.id}/authenticate", body="outcome=complete")
    assert status == 200
    assert body["status"] == "succeeded"
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert (pi.status, pi.amount_received, pi.next_action) == ("succeeded", 4200, None)
    assert [c.status for c in stripe.Charge.list(payment_intent=pi.id).data] == ["succeeded"]

    # Not waiting any more.
    status, _, body = raw("POST", f"/_emulator/payment_intents/{pi.id}/authenticate", body="outcome=complete")
    assert status == 400
    assert body["error"]["code"] == "payment_intent_unexpected_state"


def test_payment_intent_3ds_authentication_failed(raw):
    cus = stripe.Customer.create()
    pm = stripe.PaymentMethod.attach("pm_card_authenticationRequired", customer=cus.id)
    pi = stripe.PaymentIntent.create(amount=4200, currency="usd", customer=cus.id, payment_method=pm.id, confirm=True)
    status, _, body = raw("POST", f"/_emulator/payment_intents/{pi.id}/authenticate", body="outcome=fail")
    assert status == 200
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert stripe.Event.list(type="payment_intent.payment_failed").data[0].data.object.id == pi.id


def test_payment_intent_off_session_authentication_required():
    cus = stripe.Customer.create()
    pm = stripe.PaymentMethod.attach("pm_card_authenticationRequired", customer=cus.id)
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentIntent.create(
            amount=4200, currency="usd", customer=cus.id, payment_method=pm.id, confirm=True, off_session=True
        )
    assert ei.value.code == "authentication_required"
    assert ei.value.json_body["error"]["decline_code"] == "authentication_required"
    assert ei.value.json_body["error"]["payment_intent"]["status"] == "requires_payment_method"


def test_payment_intent_cancel_and_state_errors():
    pi = stripe.PaymentIntent.create(amount=100, currency="usd")
    canceled = stripe.PaymentIntent.cancel(pi.id, cancellation_reason="requested_by_customer")
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert canceled.canceled_at is not None
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert (ei.value.http_status, ei.value.code) == (400, "payment_intent_unexpected_state")

    done = stripe.PaymentIntent.create(amount=100, currency="usd", payment_method="pm_card_visa", confirm=True)
    assert done.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentIntent.cancel(done.id)
    assert ei.value.code == "payment_intent_unexpected_state"
    assert [p.id for p in stripe.PaymentIntent.list().data] == [done.id, pi.id]


# --- one-off invoices ---------------------------------------------------------------------


def _customer_with_card(pm="pm_card_visa"):
    return stripe.Customer.create(payment_method=pm, invoice_settings={"default_payment_method": pm})


def _open_invoice(cus, amount=1234, description="Setup fee"):
    stripe.InvoiceItem.create(customer=cus.id, amount=amount, currency="usd", description=description)
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    assert inv.status == "draft"
    return stripe.Invoice.finalize_invoice(inv.id)


def test_invoice_item_invoice_finalize_lines_and_void():
    cus = _customer_with_card()
    ii = stripe.InvoiceItem.create(customer=cus.id, amount=1234, currency="usd", description="Setup fee")
    assert [x.id for x in stripe.InvoiceItem.list(customer=cus.id, pending=True).data] == [ii.id]
    draft = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    assert (draft.status, draft.amount_due, draft.billing_reason) == ("draft", 1234, "manual")
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []
    assert stripe.InvoiceItem.retrieve(ii.id).invoice == draft.id

    fin = stripe.Invoice.finalize_invoice(draft.id)
    assert fin.status == "open"
    assert fin.number
    assert fin.amount_remaining == 1234
    lines = stripe.Invoice.list_lines(fin.id)
    assert lines.object == "list"
    assert lines.url == f"/v1/invoices/{fin.id}/lines"
    assert [(line.amount, line.description) for line in lines.data] == [(1234, "Setup fee")]

    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.finalize_invoice(fin.id)
    voided = stripe.Invoice.void_invoice(fin.id)
    assert voided.status == "void"
    assert voided.status_transitions.voided_at is not None
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Invoice.pay(fin.id)
    assert ei.value.http_status == 400
    assert [i.id for i in stripe.Invoice.list(customer=cus.id, status="void").data] == [fin.id]
    assert stripe.Invoice.list(customer=cus.id, status="open").data == []


def test_invoice_pay_decline_then_default_card(client):
    cus = _customer_with_card()
    inv = _open_invoice(cus, amount=700)
    bad = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=cus.id)
    with pytest.raises(stripe.CardError) as ei:
        client.v1.invoices.pay(inv.id, params={"payment_method": bad.id})
    assert ei.value.http_status == 402
    assert ei.value.code == "card_declined"
    inv = client.v1.invoices.retrieve(inv.id)
    assert (inv.status, inv.attempt_count, inv.attempted) == ("open", 1, True)
    paid = client.v1.invoices.pay(inv.id)
    assert (paid.status, paid.amount_paid) == ("paid", 700)
    pi = client.v1.payment_intents.retrieve(paid.payments.data[0].payment.payment_intent)
    assert pi.status == "succeeded"
    assert pi.payment_method == cus.invoice_settings.default_payment_method


def test_uncollectible_invoice_can_still_be_voided():
    cus = _customer_with_card()
    inv = _open_invoice(cus, amount=500)
    u = stripe.Invoice.mark_uncollectible(inv.id)
    assert u.status == "uncollectible"
    assert u.status_transitions.marked_uncollectible_at is not None
    assert stripe.Invoice.void_invoice(inv.id).status == "void"


def test_uncollectible_invoice_can_still_be_paid():
    """Invoice status machine: uncollectible -> paid is allowed (customer pays late)."""
    cus = _customer_with_card()
    inv = _open_invoice(cus, amount=500)
    stripe.Invoice.mark_uncollectible(inv.id)
    paid = stripe.Invoice.pay(inv.id)
    assert (paid.status, paid.amount_paid) == ("paid", 500)


# --- events -------------------------------------------------------------------------------


def test_event_shape_request_and_previous_attributes():
    key = "idem-" + uuid.uuid4().hex
    cus = stripe.Customer.create(name="Before", idempotency_key=key)
    created = stripe.Event.list(type="customer.created").data
    assert len(created) == 1
    ev = created[0]
    assert ev.id.startswith("evt_")
    assert ev.object == "event"
    assert ev.api_version == "2026-10-28.endive"
    assert ev.livemode is False
    assert ev.request.id.startswith("req_")
    assert ev.request.idempotency_key == key
    assert ev.data.object.id == cus.id
    assert "previous_attributes" not in ev.data

    stripe.Customer.modify(cus.id, name="After", metadata={"tier": "gold"})
    upd = stripe.Event.list(type="customer.updated").data[0]
    prev = upd.data.previous_attributes.to_dict()
    assert prev["name"] == "Before"
    assert upd.data.object.name == "After"
    assert "email" not in prev
    assert upd.request.idempotency_key is not None  # the SDK sends one on every POST
    assert upd.request.idempotency_key != key

    got = stripe.Event.retrieve(upd.id)
    assert got.type == "customer.updated"
    assert got.data.object.name == "After"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Event.retrieve("evt_doesnotexist")
    assert ei.value.http_status == 404


def test_event_list_type_and_types_filters(client):
    cus = client.v1.customers.create(params={"name": "x"})
    client.v1.customers.update(cus.id, params={"name": "y"})
    client.v1.products.create(params={"name": "p"})
    one = client.v1.events.list(params={"type": "customer.updated"}).data
    assert [e.type for e in one] == ["customer.updated"]
    two = client.v1.events.list(params={"types": ["customer.created", "product.created"]}).data
    assert [e.type for e in two] == ["product.created", "customer.created"]
    wildcard = client.v1.events.list(params={"type": "customer.*"}).data
    assert [e.type for e in wildcard] == ["customer.updated", "customer.created"]


def test_events_auto_paging_forward_and_backward():
    for i in range(9):
        stripe.Customer.create(name=f"c{i}")
    full = [e.id for e in stripe.Event.list(limit=100).data]
    assert len(full) == 9
    fwd = [e.id for e in stripe.Event.list(limit=2).auto_paging_iter()]
    assert fwd == full
    # Starting from ending_before the SDK walks backwards (towards newer events).
    back = [e.id for e in stripe.Event.list(limit=2, ending_before=full[-1]).auto_paging_iter()]
    assert back == list(reversed(full[:-1]))
