import pytest
import stripe


def _card(number, **kw):
    c = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    c.update(kw)
    return c


def _customer():
    return stripe.Customer.create(email="pm@example.com")


# --- create / retrieve ---------------------------------------------------------


def test_create_card_payment_method_from_number():
    pm = stripe.PaymentMethod.create(type="card", card=_card("4242424242424242"))
    assert pm.id.startswith("pm_")
    assert pm.object == "payment_method"
    assert pm.type == "card"
    assert pm.card.brand == "visa"
    assert pm.card.last4 == "4242"
    assert pm.card.exp_month == 12
    assert pm.card.exp_year == 2034
    assert pm.customer is None
    assert pm.livemode is False


def test_create_mastercard_payment_method():
    pm = stripe.PaymentMethod.create(type="card", card=_card("5555555555554444"))
    assert pm.card.brand == "mastercard"
    assert pm.card.last4 == "4444"


def test_create_payment_method_from_token():
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    assert pm.id.startswith("pm_")
    assert pm.card.brand == "visa"
    assert pm.card.last4 == "4242"


def test_retrieve_payment_method():
    pm = stripe.PaymentMethod.create(type="card", card=_card("4242424242424242"))
    got = stripe.PaymentMethod.retrieve(pm.id)
    assert got.id == pm.id
    assert got.card.last4 == "4242"


def test_retrieve_unknown_payment_method():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentMethod.retrieve("pm_doesnotexist")
    assert ei.value.http_status == 404
    assert ei.value.code == "resource_missing"


def test_luhn_invalid_number_is_card_error():
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentMethod.create(type="card", card=_card("4242424242424241"))
    assert ei.value.http_status == 402
    assert ei.value.code == "incorrect_number"
    assert ei.value.json_body["error"]["type"] == "card_error"


def test_invalid_expiry_month_is_card_error():
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentMethod.create(type="card", card=_card("4242424242424242", exp_month=13))
    assert ei.value.http_status == 402
    assert ei.value.code == "invalid_expiry_month"


# --- attach / detach / list ------------------------------------------------------


def test_attach_pm_card_visa_creates_new_attached_pm():
    cus = _customer()
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    assert pm.id.startswith("pm_")
    assert pm.id != "pm_card_visa"
    assert pm.customer == cus.id
    assert pm.card.brand == "visa"
    assert pm.card.last4 == "4242"
    assert stripe.PaymentMethod.retrieve(pm.id).customer == cus.id


def test_attach_twice_gives_distinct_ids():
    cus = _customer()
    a = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    b = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    assert a.id != b.id
    listed = stripe.Customer.list_payment_methods(cus.id)
    assert {p.id for p in listed.data} == {a.id, b.id}


def test_attach_created_pm():
    cus = _customer()
    pm = stripe.PaymentMethod.create(type="card", card=_card("5555555555554444"))
    att = stripe.PaymentMethod.attach(pm.id, customer=cus.id)
    assert att.id == pm.id
    assert att.customer == cus.id


def test_attach_to_unknown_customer():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.PaymentMethod.attach("pm_card_visa", customer="cus_nope")
    assert ei.value.code == "resource_missing"
    assert "cus_nope" in ei.value.user_message


def test_detach_payment_method():
    cus = _customer()
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    d = stripe.PaymentMethod.detach(pm.id)
    assert d.id == pm.id
    assert d.customer is None
    assert stripe.PaymentMethod.retrieve(pm.id).customer is None
    assert stripe.Customer.list_payment_methods(cus.id).data == []


def test_list_payment_methods_by_customer_both_ways():
    cus = _customer()
    other = _customer()
    a = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    b = stripe.PaymentMethod.attach("pm_card_mastercard", customer=cus.id)
    stripe.PaymentMethod.attach("pm_card_visa", customer=other.id)

    via_customer = stripe.Customer.list_payment_methods(cus.id)
    assert via_customer.object == "list"
    assert [p.id for p in via_customer.data] == [b.id, a.id]

    via_pm = stripe.PaymentMethod.list(customer=cus.id, type="card")
    assert [p.id for p in via_pm.data] == [b.id, a.id]
    assert all(p.customer == cus.id for p in via_pm.data)


def test_list_payment_methods_client_style(client):
    cus = client.v1.customers.create(params={"email": "c@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    assert pm.customer == cus.id
    lst = client.v1.customers.payment_methods.list(cus.id)
    assert [p.id for p in lst.data] == [pm.id]
    lst2 = client.v1.payment_methods.list(params={"customer": cus.id, "type": "card"})
    assert [p.id for p in lst2.data] == [pm.id]
    det = client.v1.payment_methods.detach(pm.id)
    assert det.customer is None


# --- declines on attach -------------------------------------------------------------


def test_attach_declining_pm_raises_card_error():
    cus = _customer()
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentMethod.attach("pm_card_visa_chargeDeclined", customer=cus.id)
    e = ei.value
    assert e.http_status == 402
    assert e.code == "card_declined"
    assert e.error.decline_code == "generic_decline"
    assert e.json_body["error"]["type"] == "card_error"
    assert e.request_id is not None and e.request_id.startswith("req_")
    assert stripe.Customer.list_payment_methods(cus.id).data == []


def test_attach_declining_card_number_raises_card_error():
    cus = _customer()
    pm = stripe.PaymentMethod.create(type="card", card=_card("4000000000000002"))
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentMethod.attach(pm.id, customer=cus.id)
    assert ei.value.code == "card_declined"
    assert ei.value.error.decline_code == "generic_decline"
    assert stripe.PaymentMethod.retrieve(pm.id).customer is None


@pytest.mark.parametrize(
    "pm_id,code,decline_code",
    [
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", None),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", None),
    ],
)
def test_attach_other_declines(pm_id, code, decline_code):
    cus = _customer()
    with pytest.raises(stripe.CardError) as ei:
        stripe.PaymentMethod.attach(pm_id, customer=cus.id)
    assert ei.value.code == code
    if decline_code is not None:
        assert ei.value.error.decline_code == decline_code


def test_customer_create_with_declining_pm_fails():
    with pytest.raises(stripe.CardError) as ei:
        stripe.Customer.create(email="d@example.com", payment_method="pm_card_visa_chargeDeclined")
    assert ei.value.code == "card_declined"


def test_charge_customer_fail_attaches_fine():
    cus = _customer()
    pm = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=cus.id)
    assert pm.customer == cus.id
    assert pm.card.last4 == "0341"
    assert [p.id for p in stripe.Customer.list_payment_methods(cus.id).data] == [pm.id]


# --- tokens ---------------------------------------------------------------------------


def test_create_card_token():
    tok = stripe.Token.create(card=_card("4242424242424242"))
    assert tok.id.startswith("tok_")
    assert tok.object == "token"
    assert tok.type == "card"
    assert tok.card.last4 == "4242"
    assert tok.card.exp_month == 12
    assert tok.used is False


def test_retrieve_tok_visa():
    tok = stripe.Token.retrieve("tok_visa")
    assert tok.object == "token"
    assert tok.card.last4 == "4242"


def test_token_luhn_invalid():
    with pytest.raises(stripe.CardError) as ei:
        stripe.Token.create(card=_card("4242424242424241"))
    assert ei.value.code == "incorrect_number"


def test_pm_from_created_token():
    tok = stripe.Token.create(card=_card("5555555555554444"))
    pm = stripe.PaymentMethod.create(type="card", card={"token": tok.id})
    assert pm.card.last4 == "4444"
    assert pm.card.brand == "mastercard"
