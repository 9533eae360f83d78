"""Credit notes through the official SDK: before and after payment, by amount and by lines,
preview, void, and their effect on the invoice and the customer's balance (amounts by hand)."""

import pytest
import stripe

from conftest import DAY, HOUR, T0


def _open_invoice(billing, amount=5000, tax_rate=None):
    cus = billing.customer()
    inv = stripe.Invoice.create(customer=cus.id, collection_method="send_invoice", days_until_due=30)
    kw = {"tax_rates": [tax_rate]} if tax_rate else {}
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=amount, currency="usd", description="Consulting", **kw)
    return cus, stripe.Invoice.finalize_invoice(inv.id)


def test_pre_payment_credit_note_lowers_what_is_owed(billing):
    cus, inv = _open_invoice(billing)
    note = stripe.CreditNote.create(invoice=inv.id, amount=1500, reason="order_change", memo="Fewer hours")
    assert (note.object, note.type, note.status, note.amount, note.total) == ("credit_note", "pre_payment", "issued", 1500, 1500)
    assert (note.pre_payment_amount, note.post_payment_amount, note.reason) == (1500, 0, "order_change")
    assert note.number == inv.number + "-CN-01" and note.id.startswith("cn_")
    inv = stripe.Invoice.retrieve(inv.id)
    # 5000 - 1500 = 3500 still owed.
    assert (inv.amount_due, inv.amount_remaining, inv.pre_payment_credit_notes_amount, inv.status) == (3500, 3500, 1500, "open")
    types = [e.type for e in billing.all_events()][-2:]
    assert types == ["credit_note.created", "invoice.updated"]


def test_credit_note_for_everything_owed_marks_the_invoice_paid(billing):
    cus, inv = _open_invoice(billing, amount=2000)
    stripe.CreditNote.create(invoice=inv.id, amount=2000)
    inv = stripe.Invoice.retrieve(inv.id)
    assert (inv.status, inv.amount_remaining, inv.amount_paid) == ("paid", 0, 0)
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=inv.id, amount=1)
    assert e.value.param == "amount"


def test_too_much_credit_is_refused(billing):
    cus, inv = _open_invoice(billing, amount=1000)
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=inv.id, amount=1001)
    assert e.value.param == "amount" and e.value.http_status == 400
    draft = stripe.Invoice.create(customer=cus.id)
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=draft.id, amount=100)
    assert e.value.param == "invoice"


def test_post_payment_credit_to_the_balance_after_a_downgrade(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(3000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.status == "paid"
    note = stripe.CreditNote.create(invoice=inv.id, amount=1200, credit_amount=1200)
    assert (note.type, note.post_payment_amount, note.customer_balance_transaction is not None) == ("post_payment", 1200, True)
    inv = stripe.Invoice.retrieve(inv.id)
    assert inv.post_payment_credit_notes_amount == 1200 and inv.status == "paid"
    cus = stripe.Customer.retrieve(cus.id)
    assert cus.balance == -1200
    txn = stripe.Customer.list_balance_transactions(cus.id).data[0]
    assert (txn.type, txn.amount, txn.credit_note, txn.ending_balance) == ("credit_note", -1200, note.id, -1200)
    # The credit pays part of the next renewal: 3000 - 1200 = 1800 charged.
    billing.advance(clock, 1769904000 + HOUR + 60)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert (renewal.starting_balance, renewal.amount_due, renewal.amount_paid) == (-1200, 1800, 1800)


def test_post_payment_amounts_must_add_up(billing):
    cus = billing.customer()
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=sub.latest_invoice, amount=500,
                      credit_amount=200, out_of_band_amount=200)
    assert e.value.param == "credit_amount"
    note = stripe.CreditNote.create(invoice=sub.latest_invoice, amount=500, credit_amount=300, out_of_band_amount=200)
    assert (note.out_of_band_amount, note.amount) == (200, 500)
    assert stripe.Customer.retrieve(cus.id).balance == -300


def test_credit_note_lines_credit_tax_too(billing):
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=False)
    cus, inv = _open_invoice(billing, amount=5000, tax_rate=rate.id)
    assert inv.total == 6000  # 5000 + 20%
    line = inv.lines.data[0]
    preview = stripe.CreditNote.preview(invoice=inv.id, lines=[{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 1000}])
    # 1000 credited plus its 20% tax: 1200.
    assert (preview.subtotal, preview.total, preview.total_excluding_tax) == (1000, 1200, 1000)
    assert preview.lines.data[0].taxes[0].amount == 200
    assert stripe.CreditNote.list(invoice=inv.id).data == []  # a preview stores nothing
    lines = stripe.CreditNote.preview_lines(invoice=inv.id, lines=[{"type": "custom_line_item", "description": "Goodwill",
                                                                     "unit_amount": 250, "quantity": 2}])
    assert [(l.type, l.amount, l.quantity) for l in lines.data] == [("custom_line_item", 500, 2)]
    note = stripe.CreditNote.create(invoice=inv.id, lines=[{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 1000}])
    assert note.total == 1200
    assert stripe.Invoice.retrieve(inv.id).amount_remaining == 4800  # 6000 - 1200
    assert [l.invoice_line_item for l in stripe.CreditNote.list_lines(note.id).data] == [line.id]


def test_void_restores_the_invoice_and_the_balance(billing):
    cus, inv = _open_invoice(billing, amount=4000)
    note = stripe.CreditNote.create(invoice=inv.id, amount=1000)
    voided = stripe.CreditNote.void_credit_note(note.id)
    assert voided.status == "void" and voided.voided_at is not None
    inv = stripe.Invoice.retrieve(inv.id)
    assert (inv.amount_remaining, inv.pre_payment_credit_notes_amount) == (4000, 0)
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.void_credit_note, note.id)
    assert e.value.code == "credit_note_already_voided"
    assert "credit_note.voided" in [e.type for e in billing.all_events()]


def test_update_memo_and_metadata(billing):
    cus, inv = _open_invoice(billing)
    note = stripe.CreditNote.create(invoice=inv.id, amount=100)
    upd = stripe.CreditNote.modify(note.id, memo="Sorry", metadata={"ticket": "42"})
    assert upd.memo == "Sorry" and upd.metadata.to_dict() == {"ticket": "42"}
    assert [c.id for c in stripe.CreditNote.list(customer=cus.id).data] == [note.id]


def test_portal_shows_the_credit_balance_and_credited_invoices(billing):
    import urllib.request
    cus = billing.customer()
    price = billing.price(3000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    stripe.CreditNote.create(invoice=sub.latest_invoice, amount=1250, credit_amount=1250)
    portal = stripe.billing_portal.Session.create(customer=cus.id)
    with urllib.request.urlopen(portal.url, timeout=10) as r:
        page = r.read().decode()
    assert "Credit balance: $12.50" in page
    assert "credited $12.50" in page


def test_refund_amount_refunds_the_card_that_paid(billing):
    cus = billing.customer()
    price = billing.price(4000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    note = stripe.CreditNote.create(invoice=inv.id, amount=1500, refund_amount=1000, credit_amount=500)
    assert note.refunds[0].amount_refunded == 1000 and note.refunds[0].type == "refund"
    refund = stripe.Refund.retrieve(note.refunds[0].refund)
    assert (refund.amount, refund.status) == (1000, "succeeded")
    charge = stripe.Charge.retrieve(refund.charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    assert stripe.Customer.retrieve(cus.id).balance == -500
    # 4000 - 1500 left to credit: a refund of 3000 is more than the note may give.
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=inv.id, amount=3000, refund_amount=3000)
    assert e.value.param == "amount"
    # A credit note that refunded cannot be voided.
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.void_credit_note, note.id)
    assert e.value.code == "credit_note_not_voidable"
    old = stripe.CreditNote.retrieve(note.id, stripe_version="2024-06-20")
    assert old.refund == refund.id and "refunds" not in old


def test_refund_amount_needs_a_card_payment(billing):
    cus = billing.customer()
    inv = stripe.Invoice.create(customer=cus.id, collection_method="send_invoice", days_until_due=5)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=1000, currency="usd")
    stripe.Invoice.finalize_invoice(inv.id)
    stripe.Invoice.pay(inv.id, paid_out_of_band=True)
    e = pytest.raises(stripe.InvalidRequestError, stripe.CreditNote.create, invoice=inv.id, amount=500, refund_amount=500)
    assert e.value.param == "refund_amount"


def test_credit_note_lines_of_an_exempt_customer_carry_no_tax(billing):
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=False)
    cus = billing.customer(tax_exempt="exempt")
    inv = stripe.Invoice.create(customer=cus.id, collection_method="send_invoice", days_until_due=30)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=1000, currency="usd", tax_rates=[rate.id])
    inv = stripe.Invoice.finalize_invoice(inv.id)
    note = stripe.CreditNote.preview(invoice=inv.id, lines=[{"type": "invoice_line_item", "invoice_line_item": inv.lines.data[0].id,
                                                             "amount": 400}])
    tax = note.lines.data[0].taxes[0]
    assert (tax.amount, tax.taxability_reason, note.total) == (0, "customer_exempt", 400)
