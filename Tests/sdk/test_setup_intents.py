import pytest
import stripe


def _customer():
    return stripe.Customer.create(email="seti@example.com")


def test_create_setup_intent_defaults():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id)
    assert si.id.startswith("seti_")
    assert si.object == "setup_intent"
    assert si.customer == cus.id
    assert si.status == "requires_payment_method"
    assert si.usage == "off_session"
    assert si.client_secret.startswith(si.id + "_secret_")
    assert si.livemode is False
    assert si.last_setup_error is None


def test_create_with_usage_and_pm_requires_confirmation():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id, payment_method="pm_card_visa", usage="on_session")
    assert si.usage == "on_session"
    assert si.status == "requires_confirmation"
    assert isinstance(si.payment_method, str)


def test_create_and_confirm_succeeds_and_attaches():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id, payment_method="pm_card_visa", confirm=True)
    assert si.status == "succeeded"
    pm_id = si.payment_method
    assert isinstance(pm_id, str) and pm_id.startswith("pm_")
    pm = stripe.PaymentMethod.retrieve(pm_id)
    assert pm.customer == cus.id
    assert pm.card.last4 == "4242"
    assert [p.id for p in stripe.Customer.list_payment_methods(cus.id).data] == [pm_id]


def test_retrieve_update_list():
    cus = _customer()
    other = _customer()
    a = stripe.SetupIntent.create(customer=cus.id)
    b = stripe.SetupIntent.create(customer=cus.id, metadata={"k": "v"})
    c = stripe.SetupIntent.create(customer=other.id)
    got = stripe.SetupIntent.retrieve(a.id)
    assert got.id == a.id and got.customer == cus.id
    u = stripe.SetupIntent.modify(a.id, metadata={"order": "42"}, description="for order 42")
    assert u.metadata["order"] == "42"
    assert u.description == "for order 42"
    assert stripe.SetupIntent.retrieve(a.id).description == "for order 42"
    assert [x.id for x in stripe.SetupIntent.list(customer=cus.id).data] == [b.id, a.id]
    assert [x.id for x in stripe.SetupIntent.list().data] == [c.id, b.id, a.id]


def test_confirm_separately_succeeds():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id)
    conf = stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa")
    assert conf.id == si.id
    assert conf.status == "succeeded"
    assert stripe.PaymentMethod.retrieve(conf.payment_method).customer == cus.id
    assert stripe.SetupIntent.retrieve(si.id).status == "succeeded"


def test_confirm_with_declining_card():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id)
    with pytest.raises(stripe.CardError) as ei:
        stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa_chargeDeclined")
    e = ei.value
    assert e.http_status == 402
    assert e.code == "card_declined"
    assert e.error.decline_code == "generic_decline"
    after = stripe.SetupIntent.retrieve(si.id)
    assert after.status == "requires_payment_method"
    assert after.last_setup_error is not None
    assert after.last_setup_error.code == "card_declined"
    assert after.last_setup_error.decline_code == "generic_decline"
    assert stripe.Customer.list_payment_methods(cus.id).data == []


def test_create_confirm_declining_card_error_names_setup_intent():
    cus = _customer()
    with pytest.raises(stripe.CardError) as ei:
        stripe.SetupIntent.create(
            customer=cus.id, payment_method="pm_card_visa_chargeDeclined", confirm=True
        )
    err = ei.value.json_body["error"]
    assert err["code"] == "card_declined"
    assert err["setup_intent"]["id"].startswith("seti_")
    si = stripe.SetupIntent.retrieve(err["setup_intent"]["id"])
    assert si.status == "requires_payment_method"
    assert si.last_setup_error.code == "card_declined"


def test_declining_card_number_then_good_card():
    cus = _customer()
    bad = stripe.PaymentMethod.create(
        type="card", card={"number": "4000000000000002", "exp_month": 1, "exp_year": 2035, "cvc": "314"}
    )
    si = stripe.SetupIntent.create(customer=cus.id)
    with pytest.raises(stripe.CardError):
        stripe.SetupIntent.confirm(si.id, payment_method=bad.id)
    assert stripe.SetupIntent.retrieve(si.id).status == "requires_payment_method"
    ok = stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded"


def test_authentication_required_pm_requires_action():
    cus = _customer()
    si = stripe.SetupIntent.create(
        customer=cus.id, payment_method="pm_card_authenticationRequired", confirm=True
    )
    assert si.status == "requires_action"
    assert si.next_action is not None


def test_authentication_required_card_number_requires_action():
    cus = _customer()
    pm = stripe.PaymentMethod.create(
        type="card", card={"number": "4000002760003184", "exp_month": 1, "exp_year": 2035, "cvc": "314"}
    )
    si = stripe.SetupIntent.create(customer=cus.id)
    conf = stripe.SetupIntent.confirm(si.id, payment_method=pm.id)
    assert conf.status == "requires_action"
    assert conf.next_action is not None


def test_cancel_setup_intent():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id)
    c = stripe.SetupIntent.cancel(si.id)
    assert c.id == si.id
    assert c.status == "canceled"
    assert stripe.SetupIntent.retrieve(si.id).status == "canceled"


def test_cannot_cancel_succeeded_setup_intent():
    cus = _customer()
    si = stripe.SetupIntent.create(customer=cus.id, payment_method="pm_card_visa", confirm=True)
    assert si.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.SetupIntent.cancel(si.id)
    assert ei.value.http_status == 400


def test_client_style_setup_intent(client):
    cus = client.v1.customers.create(params={"email": "x@example.com"})
    si = client.v1.setup_intents.create(params={"customer": cus.id, "usage": "off_session"})
    assert si.status == "requires_payment_method"
    conf = client.v1.setup_intents.confirm(si.id, params={"payment_method": "pm_card_visa"})
    assert conf.status == "succeeded"
    lst = client.v1.setup_intents.list(params={"customer": cus.id})
    assert [x.id for x in lst.data] == [si.id]
    si2 = client.v1.setup_intents.create(params={"customer": cus.id})
    assert client.v1.setup_intents.cancel(si2.id).status == "canceled"
