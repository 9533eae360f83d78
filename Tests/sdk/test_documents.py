"""Invoice, credit-note and quote PDFs and the hosted invoice page, as the SDK and a browser get
them: `Quote.pdf()` streams from the files host, `invoice_pdf` / `hosted_invoice_url` / a credit
note's `pdf` open without a key."""

import urllib.request

import stripe


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.headers.get("Content-Type"), resp.read()


def test_quote_pdf_streams_a_pdf(billing, base_url):
    cus = billing.customer()
    price = billing.price(4900)
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": price.id, "quantity": 3}])
    q = stripe.Quote.finalize_quote(q.id)
    saved = stripe.upload_api_base
    stripe.upload_api_base = base_url  # the SDK fetches PDFs from Stripe's files host
    try:
        stream = stripe.Quote.pdf(q.id)
        body = stream.io.read()
    finally:
        stripe.upload_api_base = saved
    assert body.startswith(b"%PDF-1.4")
    assert body.rstrip().endswith(b"%%EOF")
    # The content streams are not compressed: the number and the total (3 x $49.00) are literal strings.
    assert b"(" + q.number.encode() + b")" in body
    assert b"($147.00)" in body


def test_invoice_pdf_and_hosted_page_open_without_a_key(billing):
    cus = billing.customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=2500, currency="usd", description="Setup fee")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    inv = stripe.Invoice.finalize_invoice(inv.id)
    status, ctype, body = _fetch(inv.invoice_pdf)
    assert (status, ctype) == (200, "application/pdf")
    assert body.startswith(b"%PDF-1.4") and b"(" + inv.number.encode() + b")" in body and b"($25.00)" in body
    status, ctype, page = _fetch(inv.hosted_invoice_url)
    assert status == 200 and ctype.startswith("text/html")
    assert b"Setup fee" in page and b"Pay $25.00" in page

    note = stripe.CreditNote.create(invoice=inv.id, amount=500)
    status, ctype, body = _fetch(note.pdf)
    assert (status, ctype) == (200, "application/pdf")
    assert b"(" + note.number.encode() + b")" in body and b"($5.00)" in body
