"""Refunds, separate authorization and capture, and disputes through the official SDK: amounts to
the cent, Stripe's errors, and the events in order."""

import pytest
import stripe


def pay(amount, pm="pm_card_visa", **kw):
    return stripe.PaymentIntent.create(amount=amount, currency="usd", payment_method=pm, confirm=True, **kw)


def types_since(before):
    """Event types created after the event id `before` (None: all), oldest first."""
    evs = list(stripe.Event.list(limit=100).auto_paging_iter())
    out = []
    for e in evs:
        if e.id == before:
            break
        out.append(e.type)
    return out[::-1]


def last_event_id():
    data = stripe.Event.list(limit=1).data
    return data[0].id if data else None


def drain(billing):
    """Runs the work due now (a test card's refund settling, a dispute decided) and delivers."""
    billing.control("/_emulator/deliveries/drain")


# --- Refunds ----------------------------------------------------------------------------


def test_partial_then_full_refund_of_a_payment():
    pi = pay(5000)
    mark = last_event_id()
    first = stripe.Refund.create(payment_intent=pi.id, amount=1234, reason="requested_by_customer",
                                 metadata={"ticket": "T-1"})
    assert types_since(mark) == ["charge.refunded", "refund.created"]
    assert first.id.startswith("re_")
    assert (first.amount, first.status, first.reason, first.currency) == (1234, "succeeded", "requested_by_customer", "usd")
    assert first.charge == pi.latest_charge and first.payment_intent == pi.id
    assert first.metadata.to_dict() == {"ticket": "T-1"}
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1234, False)

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.create(charge=pi.latest_charge, amount=3767)
    assert ei.value.http_status == 400
    assert ei.value.param == "amount"
    assert ei.value.user_message == "Refund amount ($37.67) is greater than unrefunded amount on charge ($37.66)"

    rest = stripe.Refund.create(charge=pi.latest_charge)
    assert rest.amount == 3766  # 5000 - 1234
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.create(payment_intent=pi.id)
    assert ei.value.code == "charge_already_refunded"
    assert ei.value.user_message == f"Charge {pi.latest_charge} has already been refunded."


def test_refund_list_retrieve_update_and_cancel():
    a, b = pay(1000), pay(2500)
    ra = stripe.Refund.create(payment_intent=a.id, amount=100)
    rb = stripe.Refund.create(payment_intent=b.id)
    assert [r.id for r in stripe.Refund.list().data] == [rb.id, ra.id]
    assert [r.id for r in stripe.Refund.list(charge=a.latest_charge).data] == [ra.id]
    assert [r.id for r in stripe.Refund.list(payment_intent=b.id).data] == [rb.id]
    assert stripe.Refund.retrieve(rb.id).amount == 2500

    mark = last_event_id()
    updated = stripe.Refund.modify(ra.id, metadata={"order_id": "6735"})
    assert updated.metadata.to_dict() == {"order_id": "6735"}
    assert types_since(mark) == ["charge.refund.updated", "refund.updated"]

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.modify(ra.id, amount=5)
    assert ei.value.user_message == "Received unknown parameter: amount"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.cancel(ra.id)
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.create(payment_intent=a.id, reverse_transfer=True)
    assert ei.value.param == "reverse_transfer"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.retrieve("re_missing")
    assert ei.value.http_status == 404


def test_refund_fail_card_fails_after_the_request(billing):
    pi = pay(1000, pm="pm_card_refundFail")
    # The server's background loop may settle the refund as soon as the request is answered.
    mark = last_event_id()
    refund = stripe.Refund.create(payment_intent=pi.id)
    assert refund.status == "succeeded"
    drain(billing)
    assert types_since(mark) == ["charge.refunded", "refund.created", "charge.refund.updated", "refund.updated",
                                 "refund.failed"]
    failed = stripe.Refund.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)


def test_pending_refund_card_settles_later(billing):
    pi = pay(1000, pm="pm_card_pendingRefund")
    refund = stripe.Refund.create(payment_intent=pi.id, amount=600)
    assert (refund.status, refund.pending_reason) == ("pending", "processing")
    drain(billing)
    assert stripe.Refund.retrieve(refund.id).status == "succeeded"
    assert stripe.Charge.retrieve(pi.latest_charge).amount_refunded == 600


def test_refund_of_a_subscription_invoice_payment(billing):
    price = billing.price(1999)
    cus = billing.customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    charge = stripe.Charge.list(customer=cus.id).data[0]
    assert charge.amount == 1999
    refund = stripe.Refund.create(charge=charge.id, amount=1000, reason="duplicate")
    assert refund.payment_intent == charge.payment_intent
    assert stripe.Charge.retrieve(charge.id).amount_refunded == 1000
    invoice = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", 1999)


# --- Separate authorization and capture --------------------------------------------------


def test_manual_capture_partial_releases_the_rest():
    mark = last_event_id()
    pi = pay(2000, capture_method="manual")
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 2000, 0)
    assert types_since(mark) == ["payment_intent.created", "charge.succeeded", "payment_intent.amount_capturable_updated"]
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.paid) == (False, 0, True)
    assert charge.payment_method_details.card.capture_before == charge.created + 7 * 86400

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentIntent.capture(pi.id, amount_to_capture=2001)
    assert (ei.value.param, ei.value.code) == ("amount_to_capture", "amount_too_large")

    mark = last_event_id()
    captured = stripe.PaymentIntent.capture(pi.id, amount_to_capture=1500)
    assert types_since(mark) == ["charge.captured", "refund.created", "payment_intent.succeeded"]
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 1500, 0)
    charge = stripe.Charge.retrieve(pi.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded, charge.refunded) == (True, 1500, 500, False)
    assert [(r.amount, r.destination_details.card.type) for r in charge.refunds.data] == [(500, "reversal")]
    refund = stripe.Refund.create(payment_intent=pi.id)
    assert refund.amount == 1500
    assert stripe.Charge.retrieve(pi.latest_charge).refunded is True

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentIntent.capture(pi.id)
    assert ei.value.code == "payment_intent_unexpected_state"


def test_cancel_and_expiry_of_authorizations(billing):
    held = pay(3000, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.create(payment_intent=held.id)
    assert ei.value.code == "charge_not_refundable"
    mark = last_event_id()
    canceled = stripe.PaymentIntent.cancel(held.id)
    assert types_since(mark) == ["charge.refunded", "refund.created", "payment_intent.canceled"]
    assert canceled.status == "canceled"
    charge = stripe.Charge.retrieve(held.latest_charge)
    assert (charge.amount_refunded, charge.refunded, charge.captured) == (3000, True, False)

    lapsing = pay(4000, capture_method="manual")
    mark = last_event_id()
    billing.control("/_emulator/time/advance", by="7d")
    assert types_since(mark) == ["charge.expired", "refund.created", "payment_intent.canceled"]
    expired = stripe.PaymentIntent.retrieve(lapsing.id)
    assert (expired.status, expired.cancellation_reason) == ("canceled", "automatic")
    assert stripe.Refund.list(payment_intent=lapsing.id).data[0].reason == "expired_uncaptured_charge"


def test_automatic_async_captures_like_automatic():
    pi = pay(1000, capture_method="automatic_async")
    assert (pi.status, pi.capture_method, pi.amount_received) == ("succeeded", "automatic_async", 1000)


# --- Disputes ---------------------------------------------------------------------------


def test_dispute_won_with_winning_evidence(billing):
    mark = last_event_id()
    pi = pay(4200, pm="pm_card_createDispute")
    assert types_since(mark)[-2:] == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    disputes = stripe.Dispute.list(payment_intent=pi.id).data
    assert len(disputes) == 1
    d = disputes[0]
    assert (d.status, d.amount, d.reason, d.charge, d.is_charge_refundable) == ("needs_response", 4200, "fraudulent",
                                                                                  pi.latest_charge, False)
    assert stripe.Charge.retrieve(pi.latest_charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Refund.create(payment_intent=pi.id)
    assert ei.value.code == "charge_disputed"

    mark = last_event_id()
    d = stripe.Dispute.modify(d.id, evidence={"uncategorized_text": "winning_evidence", "customer_name": "Ann"})
    assert (d.status, d.evidence_details.submission_count, d.evidence_details.has_evidence) == ("under_review", 1, True)
    drain(billing)
    assert types_since(mark) == ["charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_reinstated"]
    assert stripe.Dispute.retrieve(d.id).status == "won"


def test_dispute_lost_closed_and_inquiry(billing):
    pi = pay(1000, pm="pm_card_createDispute")
    d = stripe.Dispute.list(charge=pi.latest_charge).data[0]
    stripe.Dispute.modify(d.id, evidence={"uncategorized_text": "losing_evidence"})
    drain(billing)
    assert stripe.Dispute.retrieve(d.id).status == "lost"

    inquiry_pi = pay(1000, pm="pm_card_createDisputeInquiry")
    inquiry = stripe.Dispute.list(payment_intent=inquiry_pi.id).data[0]
    assert (inquiry.status, inquiry.is_charge_refundable) == ("warning_needs_response", True)
    mark = last_event_id()
    updated = stripe.Dispute.modify(inquiry.id, metadata={"foo": "bar"})
    assert updated.status == "warning_needs_response"
    closed = stripe.Dispute.close(inquiry.id)
    assert closed.status == "lost"
    assert types_since(mark) == ["charge.dispute.updated", "charge.dispute.closed"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Dispute.close(inquiry.id)
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Dispute.modify(d.id, evidence={"receipt": "file_123"})
    assert ei.value.param == "evidence"
