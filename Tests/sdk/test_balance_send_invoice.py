"""Customer balance transactions and invoices sent for payment, through the official SDK.
Test clocks start at 2026-01-01T00:00Z (T0); amounts are worked out by hand in the comments."""

import pytest
import stripe

from conftest import DAY, HOUR, T0


# --- customer balance ---------------------------------------------------------------------


def test_balance_transactions_adjust_the_balance_and_report_it(billing):
    cus = billing.customer()
    credit = stripe.Customer.create_balance_transaction(cus.id, amount=-500, currency="usd", description="Goodwill")
    assert (credit.object, credit.type, credit.amount, credit.ending_balance) == ("customer_balance_transaction", "adjustment", -500, -500)
    assert credit.id.startswith("cbtxn_") and credit.customer == cus.id
    debit = stripe.Customer.create_balance_transaction(cus.id, amount=200, currency="usd")
    assert debit.ending_balance == -300
    cus = stripe.Customer.retrieve(cus.id)
    assert (cus.balance, cus.currency) == (-300, "usd")
    upd = [e for e in billing.all_events() if e.type == "customer.updated"]
    assert [e.data.previous_attributes.to_dict().get("balance") for e in upd] == [0, -500]
    same = stripe.Customer.modify_balance_transaction(cus.id, credit.id, description="Goodwill credit", metadata={"t": "1"})
    assert same.description == "Goodwill credit" and same.amount == -500
    assert [t.id for t in stripe.Customer.list_balance_transactions(cus.id).data] == [debit.id, credit.id]
    e = pytest.raises(stripe.InvalidRequestError, stripe.Customer.create_balance_transaction, cus.id, amount=100, currency="eur")
    assert e.value.param == "currency"


def test_credit_balance_pays_part_of_the_next_invoice(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    stripe.Customer.create_balance_transaction(cus.id, amount=-700, currency="usd")
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # $7.00 of credit against $10.00: $3.00 charged, nothing left.
    assert (inv.total, inv.starting_balance, inv.ending_balance, inv.amount_due, inv.amount_paid) == (1000, -700, 0, 300, 300)
    txns = stripe.Customer.list_balance_transactions(cus.id).data
    assert (txns[0].type, txns[0].amount, txns[0].ending_balance, txns[0].invoice) == ("applied_to_invoice", 700, 0, inv.id)
    assert stripe.Customer.retrieve(cus.id).balance == 0


def test_downgrade_credit_lands_in_the_balance(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    pro = billing.price(3000, name="Pro")
    basic = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": pro.id}])
    billing.advance(clock, T0 + 15 * DAY)
    sub = stripe.Subscription.modify(sub.id, items=[{"id": sub["items"].data[0].id, "price": basic.id}],
                                     proration_behavior="always_invoice")
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # 16 of 31 days remain: -3000*16/31 = -1548.39 -> -1548; +1000*16/31 = 516.13 -> 516. Total -1032.
    assert (inv.total, inv.amount_due, inv.ending_balance, inv.status) == (-1032, 0, -1032, "paid")
    cus = stripe.Customer.retrieve(cus.id)
    assert cus.balance == -1032
    upd = [e for e in billing.all_events() if e.type == "customer.updated"][-1]
    assert upd.data.previous_attributes.balance == 0
    # The credit pays the next renewal: $10.00 - $10.32 -> nothing due, $0.32 left.
    billing.advance(clock, 1769904000 + HOUR + 60)  # 2026-02-01 01:01
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert (renewal.total, renewal.starting_balance, renewal.amount_due, renewal.ending_balance) == (1000, -1032, 0, -32)
    assert stripe.Customer.retrieve(cus.id).balance == -32


# --- invoices sent for payment ------------------------------------------------------------


def test_send_invoice_then_overdue_on_the_clock(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    inv = stripe.Invoice.create(customer=cus.id, collection_method="send_invoice", days_until_due=14)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=4200, currency="usd")
    sent = stripe.Invoice.send_invoice(inv.id)
    assert sent.status == "open" and sent.due_date == T0 + 14 * DAY
    assert sent.hosted_invoice_url
    before = billing.seen()
    billing.advance(clock, T0 + 14 * DAY)
    types = [e.type for e in billing.all_events() if e.id not in before and not e.type.startswith("test_helpers.")]
    # The reminder seven days before the due date, the notice on it.
    assert types == ["invoice.will_be_due", "invoice.overdue"]
    sent_events = [e for e in billing.all_events() if e.type == "invoice.sent"]
    assert len(sent_events) == 1 and sent_events[0].data.object.id == inv.id


def test_paid_invoice_is_never_overdue(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    inv = stripe.Invoice.create(customer=cus.id, collection_method="send_invoice", days_until_due=3)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=1000, currency="usd")
    stripe.Invoice.send_invoice(inv.id)
    stripe.Invoice.pay(inv.id, paid_out_of_band=True)
    billing.advance(clock, T0 + 10 * DAY)
    types = [e.type for e in billing.all_events()]
    assert "invoice.overdue" not in types and "invoice.will_be_due" not in types


def test_send_needs_send_invoice_collection(billing):
    cus = billing.customer()
    inv = stripe.Invoice.create(customer=cus.id)
    e = pytest.raises(stripe.InvalidRequestError, stripe.Invoice.send_invoice, inv.id)
    assert e.value.http_status == 400


def test_subscription_sending_invoices_goes_past_due_when_unpaid(billing):
    clock = billing.clock()
    cus = billing.customer(clock, pm=None)
    price = billing.price(2500)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], collection_method="send_invoice",
                                     days_until_due=10)
    assert sub.status == "active"
    billing.advance(clock, T0 + 2 * HOUR)  # the first invoice is finalized and sent an hour after creation
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.amount_due, inv.due_date) == ("open", 2500, T0 + HOUR + 10 * DAY)
    assert "invoice.sent" in [e.type for e in billing.all_events()]
    billing.advance(clock, T0 + HOUR + 10 * DAY)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    stripe.Invoice.pay(inv.id, paid_out_of_band=True)
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_due_date_on_create(billing):
    cus = billing.customer()
    e = pytest.raises(stripe.InvalidRequestError, stripe.Invoice.create, customer=cus.id, due_date=T0 + DAY)
    assert e.value.param == "due_date"
