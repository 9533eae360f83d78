import uuid

import pytest
import stripe


def _key():
    return "idem-" + uuid.uuid4().hex


def test_same_key_same_params_returns_same_object():
    k = _key()
    a = stripe.Customer.create(email="idem@example.com", name="Same", idempotency_key=k)
    b = stripe.Customer.create(email="idem@example.com", name="Same", idempotency_key=k)
    assert a.id == b.id
    assert a.created == b.created
    assert b.email == "idem@example.com"
    assert [c.id for c in stripe.Customer.list().data] == [a.id]


def test_replay_returns_original_body_even_after_update():
    k = _key()
    a = stripe.Customer.create(name="Original", idempotency_key=k)
    stripe.Customer.modify(a.id, name="Changed")
    b = stripe.Customer.create(name="Original", idempotency_key=k)
    assert b.id == a.id
    assert b.name == "Original"  # stored response is replayed verbatim


def test_same_key_different_params_is_idempotency_error():
    k = _key()
    stripe.Customer.create(email="one@example.com", idempotency_key=k)
    with pytest.raises(stripe.IdempotencyError) as ei:
        stripe.Customer.create(email="two@example.com", idempotency_key=k)
    assert ei.value.http_status == 400
    assert ei.value.json_body["error"]["type"] == "idempotency_error"
    assert len(stripe.Customer.list().data) == 1


def test_same_key_different_endpoint_is_idempotency_error():
    k = _key()
    stripe.Customer.create(name="x", idempotency_key=k)
    with pytest.raises(stripe.IdempotencyError):
        stripe.Product.create(name="x", idempotency_key=k)
    assert stripe.Product.list().data == []


def test_different_keys_create_different_objects():
    a = stripe.Customer.create(email="same@example.com", idempotency_key=_key())
    b = stripe.Customer.create(email="same@example.com", idempotency_key=_key())
    assert a.id != b.id
    assert len(stripe.Customer.list().data) == 2


def test_sdk_auto_idempotency_keys_do_not_collide():
    # The SDK sends a fresh Idempotency-Key on every POST; plain repeated creates
    # must still produce distinct objects.
    ids = {stripe.Customer.create(name="dup").id for _ in range(3)}
    assert len(ids) == 3


def test_idempotency_key_is_scoped_per_account(make_client):
    from conftest import new_key

    k = _key()
    a = make_client(new_key())
    b = make_client(new_key())
    ca = a.v1.customers.create(params={"name": "scoped"}, options={"idempotency_key": k})
    cb = b.v1.customers.create(params={"name": "scoped"}, options={"idempotency_key": k})
    assert ca.id != cb.id
    assert [c.id for c in b.v1.customers.list().data] == [cb.id]


def test_client_style_idempotency(client):
    k = _key()
    p1 = client.v1.products.create(params={"name": "Idem product"}, options={"idempotency_key": k})
    p2 = client.v1.products.create(params={"name": "Idem product"}, options={"idempotency_key": k})
    assert p1.id == p2.id
    assert [p.id for p in client.v1.products.list().data] == [p1.id]
    with pytest.raises(stripe.IdempotencyError):
        client.v1.products.create(params={"name": "Other name"}, options={"idempotency_key": k})


def test_idempotent_update_replay():
    c = stripe.Customer.create(name="v0")
    k = _key()
    u1 = stripe.Customer.modify(c.id, metadata={"n": "1"}, idempotency_key=k)
    u2 = stripe.Customer.modify(c.id, metadata={"n": "1"}, idempotency_key=k)
    assert u1.metadata["n"] == "1"
    assert u2.metadata["n"] == "1"
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.modify(c.id, metadata={"n": "2"}, idempotency_key=k)
    assert stripe.Customer.retrieve(c.id).metadata["n"] == "1"


def test_card_error_is_replayed():
    cus = stripe.Customer.create(name="decl")
    k = _key()
    with pytest.raises(stripe.CardError) as e1:
        stripe.PaymentMethod.attach("pm_card_visa_chargeDeclined", customer=cus.id, idempotency_key=k)
    with pytest.raises(stripe.CardError) as e2:
        stripe.PaymentMethod.attach("pm_card_visa_chargeDeclined", customer=cus.id, idempotency_key=k)
    assert e1.value.code == e2.value.code == "card_declined"
    assert e1.value.json_body == e2.value.json_body
