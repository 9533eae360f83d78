/// The console's Mustache templates: plain HTML and forms, no JavaScript; labelled fields, a
/// visible focus ring, text contrast of at least 4.5:1, and one column at phone width.
enum ConsoleTemplates {
    static let layout = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · effinity console</title>{{#refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/refresh}}
    <style>
    :root { --ink:#1a1f36; --muted:#545969; --line:#d5dbe1; --brand:#4b45c6; --bad:#b3093c; --good:#0e6245; --bg:#f6f9fc; }
    * { box-sizing:border-box; }
    body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:var(--ink); background:var(--bg); }
    a { color:var(--brand); } a:focus, button:focus, input:focus, select:focus { outline:3px solid #8d88ff; outline-offset:2px; }
    .skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:8px; z-index:2; }
    .testmode { background:#ffde92; color:#4a3300; text-align:center; font-size:13px; padding:6px 12px; font-weight:600; }
    header { background:#fff; border-bottom:1px solid var(--line); padding:8px 16px; }
    header .brand { font-weight:700; margin-right:16px; }
    nav ul { list-style:none; margin:0; padding:0; display:flex; flex-wrap:wrap; gap:4px 14px; }
    nav a { text-decoration:none; padding:4px 0; display:inline-block; } nav a[aria-current="page"] { font-weight:700; border-bottom:2px solid var(--brand); }
    .account { font-size:13px; color:var(--muted); }
    main { max-width:1100px; margin:20px auto; padding:0 16px; }
    section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px; margin-bottom:16px; overflow-x:auto; }
    h1 { font-size:22px; margin:0 0 12px; } h2 { font-size:17px; margin:0 0 10px; } h3 { font-size:15px; margin:12px 0 6px; }
    .muted { color:var(--muted); }
    table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:6px 8px 6px 0; border-bottom:1px solid var(--line); font-size:14px; vertical-align:top; }
    th { color:var(--muted); font-weight:600; } td.num { text-align:right; font-variant-numeric:tabular-nums; }
    code, pre { font:13px/1.4 ui-monospace, Menlo, Consolas, monospace; } pre { background:#f3f5f8; padding:12px; border-radius:6px; overflow-x:auto; white-space:pre-wrap; word-break:break-all; }
    label { display:block; font-size:13px; color:var(--muted); margin:8px 0 4px; }
    input, select { padding:8px 10px; border:1px solid #8a94a6; border-radius:6px; font-size:15px; max-width:100%; }
    button { font:inherit; cursor:pointer; border-radius:6px; padding:8px 12px; border:1px solid #8a94a6; background:#fff; color:var(--ink); }
    button.primary { background:var(--brand); color:#fff; border-color:var(--brand); font-weight:600; }
    form.inline { display:inline-flex; gap:8px; align-items:end; flex-wrap:wrap; margin:4px 8px 4px 0; }
    .buttons { display:flex; flex-wrap:wrap; gap:8px; }
    .flash { background:#e9fff3; border:1px solid #8fd6ae; color:var(--good); padding:10px 12px; border-radius:6px; margin-bottom:16px; }
    .error { background:#fff0f3; border:1px solid #f5a3b5; color:var(--bad); padding:10px 12px; border-radius:6px; margin-bottom:16px; }
    .pill { display:inline-block; font-size:12px; padding:1px 8px; border-radius:10px; background:#e8ebf1; }
    .pill.bad { background:#fff0f3; color:var(--bad); } .pill.good { background:#e9fff3; color:var(--good); }
    .grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap:16px; }
    @media (max-width: 600px) { th, td { font-size:13px; } .hide-narrow { display:none; } }
    </style></head>
    <body><a class="skip" href="#content">Skip to content</a>
    <div class="testmode">TEST MODE · effinity's local Stripe console</div>
    {{#account}}<header><span class="brand">effinity console</span> <span class="account">Account <code>{{accountLabel}}</code> · clock {{clockText}}</span>
    <nav aria-label="Console"><ul>{{#nav}}<li><a href="{{href}}" {{#current}}aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}
    <li><form class="inline" method="post" action="/console/signout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Switch account</button></form></li></ul></nav></header>{{/account}}
    <main id="content">
    {{#flash}}<div class="flash" role="status">{{flash}}</div>{{/flash}}
    {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
    {{{body}}}
    </main></body></html>
    """

    static let signin = """
    <section><h1>Open the console</h1>
    <p>The console shows one account of this fake Stripe: each API key is an account.</p>
    <form method="post" action="/console/signin">
      <label for="key">Secret key</label>
      <input id="key" name="key" autocomplete="off" placeholder="sk_test_..." required size="40">
      <button class="primary" type="submit">Open</button>
    </form></section>
    {{#showAccounts}}<section><h2>Accounts this fake has seen</h2>
    {{^accounts}}<p class="muted">None yet: make an API call with any <code>sk_test_</code> key.</p>{{/accounts}}
    {{#hasAccounts}}<table><tr><th scope="col">Key</th><th scope="col" class="num">Objects</th><th scope="col"></th></tr>
    {{#accounts}}<tr><td><code>{{key}}</code></td><td class="num">{{objects}}</td><td><form method="post" action="/console/signin"><input type="hidden" name="key" value="{{key}}"><button type="submit">Open {{key}}</button></form></td></tr>{{/accounts}}
    </table>{{/hasAccounts}}</section>{{/showAccounts}}
    """

    static let overview = """
    <h1>Overview</h1>
    <div class="grid">{{#counts}}<section><h2><a href="{{href}}">{{label}}</a></h2><p>{{text}}</p></section>{{/counts}}</div>
    """

    static let list = """
    <h1>{{heading}}</h1>
    <section>
    <form method="get" action="{{path}}" role="search" class="inline">
      <div><label for="q">Search (an id opens it; other text filters the page)</label><input id="q" name="q" value="{{q}}" size="30"></div>
      <button type="submit">Search</button>{{#q}} <a href="{{path}}">Clear</a>{{/q}}
    </form>
    {{^rows}}<p class="muted">Nothing here{{#q}} matching “{{q}}”{{/q}}.</p>{{/rows}}
    {{#hasRows}}<table><tr>{{#columns}}<th scope="col" class="{{class}}">{{.}}</th>{{/columns}}</tr>
    {{#rows}}<tr>{{#cells}}<td class="{{class}}">{{#href}}<a href="{{href}}">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}</td>{{/cells}}</tr>{{/rows}}
    </table>{{/hasRows}}
    <p>{{#first}}<a href="{{first}}">First page</a> {{/first}}{{#next}}<a href="{{next}}" rel="next">Next page</a>{{/next}}</p>
    </section>
    """

    static let detail = """
    <h1>{{heading}}</h1>
    {{#links}}<p class="buttons">{{#items}}<a href="{{href}}">{{label}}</a>{{/items}}</p>{{/links}}
    {{{extra}}}
    <section><h2>Fields</h2><table>
    {{#fields}}<tr><th scope="row">{{name}}</th><td>{{#href}}<a href="{{href}}">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}</td></tr>{{/fields}}
    </table></section>
    {{#related}}<section><h2>Related objects</h2><ul>{{#items}}<li>{{path}}: <a href="{{href}}">{{id}}</a></li>{{/items}}</ul></section>{{/related}}
    <section><h2>Raw JSON</h2><pre>{{json}}</pre></section>
    """

    static let eventExtra = """
    <section><h2>Deliveries</h2>
    {{^endpoints}}<p class="muted">No webhook endpoint listens to {{type}}.</p>{{/endpoints}}
    {{#endpoints}}<div><h3>{{url}} <span class="muted">({{id}}, API version {{version}})</span></h3>
      <form class="inline" method="post" action="/console/events/{{event}}/resend"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="endpoint" value="{{id}}"><button type="submit">Resend to {{id}}</button></form>
      {{^attempts}}<p class="muted">No attempt yet.</p>{{/attempts}}
      {{#hasAttempts}}<table><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col" class="num">Time</th><th scope="col">Response body</th></tr>
      {{#attempts}}<tr><td>{{attempt}}</td><td>{{at}}</td><td><code>POST {{url}}</code><br><span class="muted">Stripe-Signature t={{signedAt}}{{#duplicate}} · duplicate{{/duplicate}}</span></td>
        <td><span class="pill {{class}}">{{status}}</span>{{#error}}<br><span class="muted">{{error}}</span>{{/error}}</td><td class="num">{{ms}} ms</td><td><code>{{body}}</code></td></tr>{{/attempts}}
      </table>{{/hasAttempts}}
      <details><summary>Payload sent (API version {{version}})</summary><pre>{{payload}}</pre></details>
    </div>{{/endpoints}}
    </section>
    """

    static let time = """
    <h1>Time</h1>
    <section><h2>Account clock</h2>
    <p>Now: <strong>{{now}}</strong> {{#frozen}}<span class="pill">frozen</span>{{/frozen}}</p>
    {{#nextDue}}<p class="muted">Next scheduled work: {{nextDue}}</p>{{/nextDue}}
    <div class="buttons">{{#spans}}<form class="inline" method="post" action="/console/time/advance"><input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="by" value="{{by}}"><button type="submit">Advance {{label}}</button></form>{{/spans}}
    {{#renewal}}<form class="inline" method="post" action="/console/time/set"><input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="to" value="{{to}}"><button type="submit">To the next renewal ({{text}})</button></form>{{/renewal}}</div>
    <form class="inline" method="post" action="/console/time/set"><input type="hidden" name="csrf" value="{{csrf}}">
      <div><label for="date">Move to a date (UTC)</label><input id="date" name="date" type="date" min="{{today}}" required></div>
      <button type="submit">Move</button></form>
    <p class="muted">A long move runs every renewal, retry and webhook on the way; the page answers when it is done.</p>
    </section>
    <section><h2>Test clocks</h2>
    {{^clocks}}<p class="muted">No test clocks.</p>{{/clocks}}
    {{#clocks}}<div><h3>{{name}} <span class="muted">({{id}})</span> <span class="pill">{{status}}</span></h3><p>Now: {{now}}</p>
    <div class="buttons">{{#spans}}<form class="inline" method="post" action="/console/test_clocks/{{clock}}/advance"><input type="hidden" name="csrf" value="{{csrf}}">
      <input type="hidden" name="by" value="{{by}}"><button type="submit">Advance {{label}}</button></form>{{/spans}}</div></div>{{/clocks}}
    </section>
    """

    static let progress = """
    <h1>Moving the clock</h1>
    <section>
    <p>From {{from}} to {{target}}: every renewal, retry and webhook on the way runs in order.</p>
    <label for="travel">Progress</label>
    <progress id="travel" max="100" value="{{percent}}">{{percent}}%</progress> <strong>{{percent}}%</strong>
    <p class="muted">The clock is at {{now}}. This page reloads itself every second until the move is done.</p>
    </section>
    """

    static let faults = """
    <h1>Faults</h1>
    <section><h2>Decline a customer's next charges</h2>
    <form method="post" action="/console/faults/charges"><input type="hidden" name="csrf" value="{{csrf}}">
      <label for="customer">Customer id</label><input id="customer" name="customer" placeholder="cus_..." required>
      <label for="decline_code">Decline code</label>
      <select id="decline_code" name="decline_code">{{#declineCodes}}<option value="{{.}}">{{.}}</option>{{/declineCodes}}</select>
      <p class="muted">Every charge of the customer fails with this code until cleared.</p>
      <p><button class="primary" type="submit">Make them fail</button></p></form>
    <form method="post" action="/console/faults/charges/clear"><input type="hidden" name="csrf" value="{{csrf}}">
      <label for="clear-customer">Customer id</label><input id="clear-customer" name="customer" placeholder="cus_..." required>
      <p><button type="submit">Clear the customer's charge failures</button></p></form>
    </section>
    <section><h2>Make API calls fail</h2>
    <form method="post" action="/console/faults/api"><input type="hidden" name="csrf" value="{{csrf}}">
      <label for="path">Path (end with * for a prefix)</label><input id="path" name="path" placeholder="/v1/subscriptions*" required>
      <label for="method">Method</label><select id="method" name="method"><option value="">any</option><option>GET</option><option>POST</option><option>DELETE</option></select>
      <label for="status">Answer</label><select id="status" name="status"><option value="429">429 rate limited</option><option value="500">500 server error</option></select>
      <label for="api-count">Calls</label><input id="api-count" name="count" value="1" inputmode="numeric">
      <p><button class="primary" type="submit">Add fault</button></p></form>
    <form method="post" action="/console/faults/api/clear"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Clear every API fault</button></form>
    </section>
    <section><h2>Webhook chaos</h2>
    <p>Now: {{chaosText}}</p>
    <form method="post" action="/console/webhooks/chaos"><input type="hidden" name="csrf" value="{{csrf}}">
      <label for="fail_first">Fail each delivery's first attempts</label><input id="fail_first" name="fail_first" value="1" inputmode="numeric">
      <label for="duplicate_rate">Duplicate rate (0 to 1)</label><input id="duplicate_rate" name="duplicate_rate" value="0.2">
      <label for="reorder_window">Reorder window</label><input id="reorder_window" name="reorder_window" value="3" inputmode="numeric">
      <p><button class="primary" type="submit">Chaos on</button></p></form>
    <form method="post" action="/console/webhooks/chaos"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="clear" value="true">
      <button type="submit">Chaos off</button></form>
    </section>
    """
}
