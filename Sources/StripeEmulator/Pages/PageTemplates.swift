/// The hosted pages' Mustache templates. Kept in code so the binary needs no resource files.
enum PageTemplates {
    static let layout = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · effinity test mode</title>
    <style>
    :root { --ink:#1a1f36; --muted:#697386; --line:#e3e8ee; --brand:#635bff; --bad:#df1b41; --good:#0e6245; --bg:#f6f9fc; }
    * { box-sizing: border-box; }
    body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:var(--ink); background:var(--bg); }
    .testmode { background:#ffde92; color:#5a3e00; text-align:center; font-size:13px; padding:6px 12px; font-weight:600; }
    main { max-width:980px; margin:32px auto; padding:0 16px; display:grid; gap:32px; grid-template-columns: 1fr 1fr; align-items:start; }
    main.single { grid-template-columns: 1fr; max-width:720px; }
    @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
    section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:24px; }
    h1 { font-size:22px; margin:0 0 4px; } h2 { font-size:16px; margin:0 0 12px; } .muted { color:var(--muted); }
    .amount { font-size:32px; font-weight:700; margin:8px 0; }
    table { width:100%; border-collapse:collapse; } td, th { text-align:left; padding:8px 0; border-bottom:1px solid var(--line); font-size:14px; }
    th { color:var(--muted); font-weight:500; } td.right, th.right { text-align:right; }
    label { display:block; font-size:13px; color:var(--muted); margin:12px 0 4px; }
    input, select { width:100%; padding:10px 12px; border:1px solid var(--line); border-radius:6px; font-size:15px; }
    .row { display:flex; gap:12px; } .row > * { flex:1; }
    button { font:inherit; cursor:pointer; border-radius:6px; padding:10px 14px; border:1px solid var(--line); background:#fff; }
    button.primary { width:100%; margin-top:16px; background:var(--brand); color:#fff; border:0; font-weight:600; padding:12px; }
    button.danger { color:var(--bad); }
    .cards { display:grid; grid-template-columns: 1fr 1fr; gap:8px; margin-top:8px; }
    .cards button { text-align:left; font-size:13px; } .cards small { display:block; color:var(--muted); }
    .error { background:#fff0f3; border:1px solid #ffc9d4; color:var(--bad); padding:10px 12px; border-radius:6px; margin:12px 0; }
    .flash { background:#e9fff3; border:1px solid #b7ebce; color:var(--good); padding:10px 12px; border-radius:6px; margin:0 0 16px; }
    .pill { display:inline-block; font-size:12px; padding:2px 8px; border-radius:10px; background:#eef1f6; }
    .pill.bad { background:#fff0f3; color:var(--bad); } .pill.good { background:#e9fff3; color:var(--good); }
    a { color:var(--brand); } .actions { display:flex; gap:8px; flex-wrap:wrap; margin-top:12px; }
    .sub + .sub { margin-top:24px; padding-top:24px; border-top:1px solid var(--line); }
    </style>
    {{#brandColor}}<style>:root { --brand:{{brandColor}}; }</style>{{/brandColor}}</head>
    <body><div class="testmode">TEST MODE · effinity's local Stripe · no real card is charged and no money moves</div>
    {{{body}}}
    </body></html>
    """

    static let testCards = """
    <label>Or use a test card</label>
    <div class="cards">
    {{#testCards}}<button type="submit" name="test_card" value="{{value}}" formnovalidate>{{label}}<small>{{note}}</small></button>
    {{/testCards}}</div>
    """

    /// A new card's number, expiry and CVC (Checkout and the invoice page).
    static let cardFields = """
    <label for="card">Card number</label>
    <input id="card" name="card" inputmode="numeric" placeholder="4242 4242 4242 4242" autocomplete="cc-number">
    <div class="row">
      <div><label for="exp">Expiry</label><input id="exp" name="exp" placeholder="MM / YY" autocomplete="cc-exp"></div>
      <div><label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123" autocomplete="cc-csc"></div>
    </div>
    """

    static let checkout = """
    <main>
    <section>
      <p class="muted">{{merchant}}</p>
      <h1>{{headline}}</h1>
      <div class="amount">{{dueToday}}</div>
      {{#trialText}}<p>{{trialText}}</p>{{/trialText}}
      <table>
        <tr><th>Item</th><th class="right">Qty</th><th class="right">Price</th></tr>
        {{#lineItems}}<tr><td>{{name}}</td><td class="right">{{quantity}}</td><td class="right">{{priceText}}</td></tr>{{/lineItems}}
      </table>
      {{#discountText}}<p>{{discountText}}</p>{{/discountText}}
      {{#cancelURL}}<p><a href="{{cancelURL}}">← Cancel and go back</a></p>{{/cancelURL}}
    </section>
    <section>
      <h2>{{formTitle}}</h2>
      {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
      <form method="post" action="{{action}}">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" value="{{email}}" {{#emailLocked}}readonly{{/emailLocked}} autocomplete="email">
        {{#collectsCard}}
        {{> cardFields}}
        <label for="name">Name on card</label>
        <input id="name" name="name" autocomplete="cc-name">
        {{/collectsCard}}
        {{#allowPromotionCodes}}
        <label for="promotion_code">Promotion code</label>
        <input id="promotion_code" name="promotion_code" autocomplete="off">
        {{/allowPromotionCodes}}
        <button class="primary" type="submit">{{submitLabel}}</button>
        {{#collectsCard}}{{> testCards}}{{/collectsCard}}
      </form>
    </section>
    </main>
    """

    static let challenge = """
    <main class="single"><section>
      <h1>3D Secure test challenge</h1>
      <p class="muted">Your bank asks you to confirm this payment. In test mode you choose the outcome.</p>
      <p>Card ending in <strong>{{last4}}</strong> · {{dueToday}}</p>
      <form method="post" action="{{action}}" class="actions">
        {{#paymentMethod}}<input type="hidden" name="card" value="{{paymentMethod}}">{{/paymentMethod}}
        <button class="primary" type="submit" name="outcome" value="complete">Complete authentication</button>
        <button class="danger" type="submit" name="outcome" value="fail">Fail authentication</button>
      </form>
    </section></main>
    """

    static let message = """
    <main class="single"><section>
      <h1>{{heading}}</h1>
      <p>{{text}}</p>
      {{#link}}<p><a href="{{link}}">{{linkText}}</a></p>{{/link}}
    </section></main>
    """

    static let portal = """
    <main class="single">
    <section>
      <p class="muted">{{merchant}}</p>
      <h1>Billing for {{customer}}</h1>
      {{#returnURL}}<p><a href="{{returnURL}}">← Return</a></p>{{/returnURL}}
      {{#flash}}<div class="flash" role="status">{{flash}}</div>{{/flash}}
      {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
    </section>
    <section>
      <h2>Current plan</h2>
      {{^subscriptions}}<p class="muted">No subscription.</p>{{/subscriptions}}
      {{#subscriptions}}<div class="sub">
        <p><strong>{{planName}}</strong> · {{priceText}} <span class="pill {{statusClass}}">{{status}}</span></p>
        <p class="muted">{{periodText}}</p>
        {{#nextInvoice}}<p>Next invoice: <strong>{{nextInvoice}}</strong></p>{{/nextInvoice}}
        {{#cancelPending}}<form method="post" action="{{action}}"><input type="hidden" name="subscription" value="{{id}}">
          <button type="submit" name="action" value="undo_cancel">Don't cancel (renew plan)</button></form>{{/cancelPending}}
        {{#canSwitch}}<form method="post" action="{{action}}"><input type="hidden" name="subscription" value="{{id}}">
          <label for="price-{{id}}">Change plan</label>
          <div class="row"><select id="price-{{id}}" name="price">{{#options}}<option value="{{priceID}}" {{#current}}selected{{/current}}>{{label}}</option>{{/options}}</select>
          <button type="submit" name="action" value="switch_plan">Update plan</button></div></form>{{/canSwitch}}
        {{#canRedeem}}<form method="post" action="{{action}}"><input type="hidden" name="subscription" value="{{id}}">
          <label for="code-{{id}}">Promotion code</label>
          <div class="row"><input id="code-{{id}}" name="promotion_code" autocomplete="off">
          <button type="submit" name="action" value="apply_promotion_code">Apply</button></div></form>{{/canRedeem}}
        {{#canCancel}}<form method="post" action="{{action}}"><input type="hidden" name="subscription" value="{{id}}">
          {{#hasReasons}}<label for="reason-{{id}}">Reason for cancelling (optional)</label>
          <select id="reason-{{id}}" name="reason"><option value="">—</option>{{#reasons}}<option value="{{.}}">{{.}}</option>{{/reasons}}</select>{{/hasReasons}}
          <div class="actions"><button class="danger" type="submit" name="action" value="cancel">{{cancelLabel}}</button></div></form>{{/canCancel}}
      </div>{{/subscriptions}}
    </section>
    {{#showCard}}<section>
      <h2>Payment method</h2>
      {{#card}}<p>{{brand}} ending in <strong>{{last4}}</strong> · expires {{exp}}</p>{{/card}}
      {{^card}}<p class="muted">No card on file.</p>{{/card}}
      <form method="post" action="{{action}}">
        <input type="hidden" name="action" value="update_card">
        <label for="card">New card number</label><input id="card" name="card" inputmode="numeric" placeholder="4242 4242 4242 4242">
        <div class="row"><div><label for="exp">Expiry</label><input id="exp" name="exp" placeholder="MM / YY"></div>
        <div><label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123"></div></div>
        <button class="primary" type="submit">Save card</button>
        {{> testCards}}
      </form>
    </section>{{/showCard}}
    {{#showInvoices}}<section>
      <h2>Invoice history</h2>
      {{#balanceText}}<p>{{balanceText}}</p>{{/balanceText}}
      {{^invoices}}<p class="muted">No invoices yet.</p>{{/invoices}}
      {{#hasInvoices}}<table><tr><th>Date</th><th>Number</th><th class="right">Amount</th><th class="right">Status</th></tr>
      {{#invoices}}<tr><td>{{date}}</td><td>{{#url}}<a href="{{url}}">{{number}}</a>{{/url}}{{^url}}{{number}}{{/url}}</td><td class="right">{{amount}}{{#credited}}<br><span class="muted">{{credited}}</span>{{/credited}}</td><td class="right"><span class="pill">{{status}}</span></td></tr>{{/invoices}}
      </table>{{/hasInvoices}}
    </section>{{/showInvoices}}
    </main>
    """
}
