"""What an integration touches first (#18): the account, every list it would sync walked with
auto_paging_iter() and every expandable field expanded, the lists of resources the fake does not
create, and the balance."""
import pytest
import stripe

# Every list route a sync walks: (SDK class, list arguments, the object type its items have).
LISTS = [
    (stripe.Customer, {}, "customer"),
    (stripe.Product, {}, "product"),
    (stripe.Price, {}, "price"),
    (stripe.Subscription, {"status": "all"}, "subscription"),
    (stripe.Invoice, {}, "invoice"),
    (stripe.InvoiceItem, {}, "invoiceitem"),
    (stripe.PaymentIntent, {}, "payment_intent"),
    (stripe.Charge, {}, "charge"),
    (stripe.SetupIntent, {}, "setup_intent"),
    (stripe.checkout.Session, {}, "checkout.session"),
    (stripe.billing_portal.Configuration, {}, "billing_portal.configuration"),
    (stripe.Event, {}, "event"),
    (stripe.WebhookEndpoint, {}, "webhook_endpoint"),
    (stripe.test_helpers.TestClock, {}, "test_helpers.test_clock"),
    (stripe.Payout, {}, "payout"),
    (stripe.BalanceTransaction, {}, "balance_transaction"),
    (stripe.Transfer, {}, "transfer"),
    (stripe.ApplicationFee, {}, "application_fee"),
    (stripe.File, {}, "file"),
    (stripe.ShippingRate, {}, "shipping_rate"),
    (stripe.TaxCode, {}, "tax_code"),
    (stripe.CountrySpec, {}, "country_spec"),
    (stripe.entitlements.Feature, {}, "entitlements.feature"),
    (stripe.Account, {}, "account"),
]


@pytest.fixture
def synced_world(billing):
    price = billing.price(2500, name="Sync")
    cus = stripe.Customer.create(email="sync@example.com", payment_method="pm_card_visa",
                                 invoice_settings={"default_payment_method": "pm_card_visa"})
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    stripe.InvoiceItem.create(customer=cus.id, amount=300, currency="usd")
    stripe.SetupIntent.create(customer=cus.id, payment_method="pm_card_visa", confirm=True)
    stripe.checkout.Session.create(mode="subscription", customer=cus.id, line_items=[{"price": price.id, "quantity": 1}],
                                   success_url="https://example.com/ok")
    stripe.billing_portal.Session.create(customer=cus.id)
    stripe.WebhookEndpoint.create(url="https://example.com/hook", enabled_events=["*"])
    stripe.test_helpers.TestClock.create(frozen_time=1767225600)
    for i in range(3):
        stripe.Customer.create(email=f"more{i}@example.com")
    return cus, sub


def test_the_account(billing):
    account = stripe.Account.retrieve()
    assert account.id.startswith("acct_") and account.object == "account"
    assert (account.country, account.default_currency, account.charges_enabled, account.payouts_enabled) == ("US", "usd", True, True)
    assert account.settings.dashboard.display_name
    assert stripe.Account.retrieve(account.id).id == account.id
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Account.retrieve("acct_notmine")
    assert e.value.http_status == 404


def test_every_list_walked_with_every_expansion(synced_world, raw):
    status, _, table = raw("GET", "/_emulator/expandable")
    assert status == 200
    cus, sub = synced_world
    walked = {}
    scoped = [(stripe.SubscriptionItem, {"subscription": sub.id}, "subscription_item"),
              (stripe.PaymentMethod, {"customer": cus.id, "type": "card"}, "payment_method"),
              (stripe.InvoicePayment, {"invoice": sub.latest_invoice}, "invoice_payment")]
    for cls, args, kind in LISTS + scoped:
        paths = sorted(set(table["expandable"].get(kind, [])) | set(table["includable"].get(kind, [])))
        expand = ["data." + p for p in paths]
        items = list(cls.list(limit=2, expand=expand, **args).auto_paging_iter())
        walked[kind] = len(items)
        for item in items:
            assert item.object == kind
    assert walked["customer"] == 4 and walked["event"] > 10 and walked["invoice"] >= 1
    assert walked["subscription_item"] == 1 and walked["payment_method"] >= 1 and walked["invoice_payment"] == 1
    for empty in ("payout", "balance_transaction", "transfer", "application_fee", "file", "shipping_rate", "tax_code",
                  "country_spec", "entitlements.feature", "account"):
        assert walked[empty] == 0, empty


def test_expanded_fields_are_objects_or_stay_empty(synced_world):
    cus, sub = synced_world
    c = stripe.Customer.retrieve(cus.id, expand=["sources", "subscriptions", "invoice_settings.default_payment_method", "default_source"])
    assert c.sources.data == [] and c.default_source is None
    assert c.subscriptions.data[0].id == sub.id
    assert c.invoice_settings.default_payment_method.card.last4 == "4242"
    inv = stripe.Invoice.retrieve(sub.latest_invoice, expand=["discounts", "lines.data.discounts", "customer"])
    assert inv.discounts == [] and inv.customer.id == cus.id
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Invoice.retrieve(sub.latest_invoice, expand=["number"])
    assert e.value.http_status == 400 and "cannot be expanded" in e.value.user_message


def test_resources_not_emulated(billing):
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Payout.retrieve("po_123")
    assert e.value.http_status == 404 and e.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Payout.create(amount=100, currency="usd")
    assert e.value.http_status == 400 and "not emulated" in e.value.user_message


def test_balance_from_charges(billing):
    stripe.PaymentIntent.create(amount=5000, currency="usd", payment_method="pm_card_visa", confirm=True)
    balance = stripe.Balance.retrieve()
    # $50.00 less 2.9% ($1.45) and $0.30, pending for two days.
    assert balance.pending[0].amount == 4825 and balance.available[0].amount == 0
