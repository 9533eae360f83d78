/// The billing dashboard's Mustache template (kept in code: no resource files to ship).
enum DashboardTemplate {
    static let page = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Billing · EFFINITY</title>
    <style>
    :root { --ink:#14213d; --muted:#6b7280; --line:#e5e7eb; --brand:#0f766e; --bad:#b91c1c; --warn:#b45309; --bg:#f8fafc; }
    * { box-sizing:border-box; } body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:var(--ink); background:var(--bg); }
    header { background:#fff; border-bottom:1px solid var(--line); padding:14px 24px; display:flex; justify-content:space-between; }
    main { max-width:1040px; margin:24px auto; padding:0 16px; display:grid; gap:20px; }
    section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:20px; }
    h1 { font-size:22px; margin:0; } h2 { font-size:16px; margin:0 0 12px; } .muted { color:var(--muted); }
    .status { display:inline-block; padding:2px 10px; border-radius:12px; font-size:13px; background:#ecfdf5; color:var(--brand); }
    .status.bad { background:#fef2f2; color:var(--bad); } .status.warn { background:#fffbeb; color:var(--warn); }
    .bar { height:10px; background:#eef2f7; border-radius:6px; overflow:hidden; } .bar > div { height:100%; background:var(--brand); }
    .bar.full > div { background:var(--bad); } .usage { display:grid; grid-template-columns: repeat(3, 1fr); gap:16px; }
    .plans { display:grid; grid-template-columns: repeat(4, 1fr); gap:12px; }
    @media (max-width: 800px) { .plans, .usage { grid-template-columns: 1fr; } }
    .plan { border:1px solid var(--line); border-radius:10px; padding:16px; } .plan.current { border-color:var(--brand); }
    .price { font-size:24px; font-weight:700; } button { font:inherit; cursor:pointer; padding:9px 14px; border-radius:6px; border:1px solid var(--line); background:#fff; }
    button.primary { background:var(--brand); color:#fff; border:0; } .alert { border-radius:10px; padding:14px 16px; }
    .alert.bad { background:#fef2f2; border:1px solid #fecaca; color:var(--bad); } .alert.warn { background:#fffbeb; border:1px solid #fde68a; color:var(--warn); }
    .alert.good { background:#ecfdf5; border:1px solid #a7f3d0; color:var(--brand); }
    table { width:100%; border-collapse:collapse; } td, th { text-align:left; padding:8px 0; border-bottom:1px solid var(--line); font-size:14px; } th { color:var(--muted); font-weight:500; }
    </style></head><body>
    <header><strong>EFFINITY</strong><span class="muted">{{org}} · {{email}} · <a href="/dashboard/crm">CRM</a>
    <form method="post" action="/api/auth/logout" style="display:inline">{{{csrfField}}}<button type="submit">Sign out</button></form></span></header>
    <main>
      {{#notice}}<div class="alert {{noticeClass}}" role="status">{{notice}}</div>{{/notice}}
      {{#limitPrompt}}<div class="alert warn" role="alert">{{limitPrompt}}</div>{{/limitPrompt}}
      {{#hasDeadJobs}}<div class="alert bad" role="alert"><strong>Billing updates that could not be applied</strong>
        <p>These Stripe events failed on every attempt; your plan shown here may be out of date until support replays them.</p>
        <table><tr><th>Event</th><th>Attempts</th><th>Last error</th><th>Date</th></tr>
        {{#deadJobs}}<tr><td>{{event}}</td><td>{{attempts}}</td><td>{{error}}</td><td>{{date}}</td></tr>{{/deadJobs}}</table></div>{{/hasDeadJobs}}
      <section>
        <h1>{{planName}} plan <span class="status {{statusClass}}">{{statusText}}</span></h1>
        <p class="muted">{{periodText}}</p>
        {{#trialDaysLeft}}<p><strong>{{trialDaysLeft}}</strong> days left in your free trial.</p>{{/trialDaysLeft}}
        {{#canManage}}{{#hasCustomer}}<form method="post" action="/dashboard/billing/portal">{{{csrfField}}}<button type="submit">Manage billing</button></form>{{/hasCustomer}}{{/canManage}}
      </section>
      <section>
        <h2>Usage</h2>
        <div class="usage">{{#usage}}<div><p>{{label}} <span class="muted">{{used}} / {{limitText}}</span></p>
          <div class="bar {{#full}}full{{/full}}"><div style="width:{{percent}}%"></div></div></div>{{/usage}}</div>
      </section>
      <section>
        <h2>Plans</h2>
        <div class="plans">{{#plans}}<div class="plan {{#current}}current{{/current}}">
          <p><strong>{{name}}</strong></p><p class="price">{{price}}<span class="muted"> / {{period}}</span></p>
          <p class="muted">{{limitsText}}</p>{{#trialText}}<p class="muted">{{trialText}}</p>{{/trialText}}
          {{#current}}<p class="muted">Your plan</p>{{/current}}
          {{^current}}{{#canManage}}<form method="post" action="/dashboard/billing/choose">{{{csrfField}}}<input type="hidden" name="plan" value="{{id}}">
          <button class="primary" type="submit">{{actionLabel}}</button></form>{{/canManage}}{{/current}}
        </div>{{/plans}}</div>
      </section>
      {{#canSeeInvoices}}<section>
        <h2>Invoices</h2>
        {{^invoices}}<p class="muted">No invoices yet.</p>{{/invoices}}
        {{#hasInvoices}}<table><tr><th>Date</th><th>Number</th><th>Amount</th><th>Status</th><th>PDF</th></tr>
        {{#invoices}}<tr><td>{{date}}</td><td>{{#url}}<a href="{{url}}">{{number}}</a>{{/url}}{{^url}}{{number}}{{/url}}</td><td>{{amount}}</td><td>{{status}}</td><td>{{#pdf}}<a href="{{pdf}}">PDF</a>{{/pdf}}</td></tr>{{/invoices}}
        </table>{{/hasInvoices}}
      </section>{{/canSeeInvoices}}
    </main></body></html>
    """

    /// The page a sign-in link opens: one button that uses the link (a POST), so fetching the URL spends nothing.
    static let signIn = """
    <h1>Sign in to EFFINITY</h1><p>Continue as <strong>{{email}}</strong> in <strong>{{org}}</strong>?</p>
    <form method="post" action="/auth/link"><input type="hidden" name="code" value="{{code}}"><button type="submit">Continue</button></form>
    """

    static let message = """
    <p>{{text}}</p><p><a href="/dashboard/billing">Back</a></p>
    """
}
