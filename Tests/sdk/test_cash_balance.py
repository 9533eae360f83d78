"""Bank transfers into a customer's cash balance (the `customer_balance` payment method), through
the official SDK: transfer instructions on the intent, the test helper that funds the balance,
partial funding, reconciliation (automatic and manual) and the cash balance's own objects."""

import pytest
import stripe


def _types(since):
    evs = list(stripe.Event.list(limit=100).auto_paging_iter())
    evs.reverse()
    return [e.type for e in evs if e.id not in since]


def _seen():
    return {e.id for e in stripe.Event.list(limit=100).auto_paging_iter()}


def _transfer_intent(customer, amount, currency="jpy", kind="jp_bank_transfer", **bank_transfer):
    return stripe.PaymentIntent.create(
        amount=amount, currency=currency, customer=customer, payment_method_types=["customer_balance"],
        payment_method_data={"type": "customer_balance"},
        payment_method_options={"customer_balance": {"funding_type": "bank_transfer",
                                                     "bank_transfer": {"type": kind, **bank_transfer}}},
        confirm=True)


def test_partially_funded_then_succeeded():
    cus = stripe.Customer.create(name="Yamada Taro")
    before = _seen()
    pi = _transfer_intent(cus.id, 20000)
    assert pi.status == "requires_action"
    shown = pi.next_action.display_bank_transfer_instructions
    assert (shown.amount_remaining, shown.currency, shown.type) == (20000, "jpy", "jp_bank_transfer")
    assert shown.financial_addresses[0].type == "zengin"
    assert stripe.PaymentMethod.retrieve(pi.payment_method).type == "customer_balance"

    funded = stripe.Customer.TestHelpers.fund_cash_balance(cus.id, amount=10000, currency="jpy")
    assert (funded.type, funded.net_amount, funded.ending_balance) == ("funded", 10000, 10000)
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert pi.status == "requires_action"
    assert pi.next_action.display_bank_transfer_instructions.amount_remaining == 10000

    stripe.Customer.TestHelpers.fund_cash_balance(cus.id, amount=10000, currency="jpy")
    pi = stripe.PaymentIntent.retrieve(pi.id)
    assert (pi.status, pi.amount_received, pi.next_action) == ("succeeded", 20000, None)
    assert stripe.Charge.retrieve(pi.latest_charge).payment_method_details.type == "customer_balance"
    assert _types(before) == [
        "payment_intent.created", "payment_intent.requires_action",
        "customer_cash_balance_transaction.created", "customer_cash_balance_transaction.created",
        "payment_intent.partially_funded",
        "customer_cash_balance_transaction.created", "customer_cash_balance_transaction.created",
        "charge.succeeded", "payment_intent.succeeded",
    ]
    balance = stripe.Customer.retrieve_cash_balance(cus.id)
    assert balance.available.to_dict() == {"jpy": 0}
    txns = stripe.Customer.list_cash_balance_transactions(cus.id).data
    assert [(t.type, t.net_amount, t.ending_balance) for t in txns] == [
        ("applied_to_payment", -10000, 0), ("funded", 10000, 10000), ("applied_to_payment", -10000, 0), ("funded", 10000, 10000)]
    one = stripe.Customer.retrieve_cash_balance_transaction(cus.id, txns[0].id)
    assert one.applied_to_payment.payment_intent == pi.id


def test_manual_reconciliation_and_apply_customer_balance():
    cus = stripe.Customer.create(email="gb@example.com")
    settings = stripe.Customer.modify_cash_balance(cus.id, settings={"reconciliation_mode": "manual"}).settings
    assert (settings.reconciliation_mode, settings.using_merchant_default) == ("manual", False)
    pi = _transfer_intent(cus.id, 4000, currency="gbp", kind="gb_bank_transfer")
    before = _seen()
    stripe.Customer.TestHelpers.fund_cash_balance(cus.id, amount=5000, currency="gbp", reference="INV-7")
    assert _types(before) == ["customer_cash_balance_transaction.created", "cash_balance.funds_available"]
    assert stripe.PaymentIntent.retrieve(pi.id).status == "requires_action"
    pi = stripe.PaymentIntent.apply_customer_balance(pi.id, amount=1500)
    assert pi.next_action.display_bank_transfer_instructions.amount_remaining == 2500
    pi = stripe.PaymentIntent.apply_customer_balance(pi.id)
    assert pi.status == "succeeded"
    assert stripe.Customer.retrieve_cash_balance(cus.id).available.to_dict() == {"gbp": 1000}
    back = stripe.Customer.modify_cash_balance(cus.id, settings={"reconciliation_mode": "merchant_default"}).settings
    assert (back.reconciliation_mode, back.using_merchant_default) == ("automatic", True)


def test_errors_name_their_param():
    cus = stripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as e:
        _transfer_intent(cus.id, 1000, currency="eur", kind="eu_bank_transfer")
    assert e.value.param == "payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]"
    with pytest.raises(stripe.InvalidRequestError) as e:
        _transfer_intent(cus.id, 1000, currency="usd")
    assert e.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.TestHelpers.fund_cash_balance(cus.id, amount=100, currency="chf")
    assert e.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.retrieve_cash_balance_transaction(cus.id, "ccsbtxn_missing")
    assert e.value.http_status == 404
