/// The CRM page's template: counts against the plan's limits, a form per resource, and the
/// upgrade modal a refused creation opens (a `<dialog open>`, no JavaScript).
enum CRMTemplate {
    static let page = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>CRM · EFFINITY</title>
    <style>
    :root { --ink:#14213d; --muted:#586070; --line:#e5e7eb; --brand:#0f766e; --bad:#b91c1c; --bg:#f8fafc; }
    * { box-sizing:border-box; } body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:var(--ink); background:var(--bg); }
    header { background:#fff; border-bottom:1px solid var(--line); padding:14px 24px; display:flex; justify-content:space-between; flex-wrap:wrap; gap:8px; }
    main { max-width:1040px; margin:24px auto; padding:0 16px; display:grid; gap:20px; grid-template-columns: repeat(3, 1fr); }
    @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
    section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:20px; }
    h1 { font-size:22px; margin:0; } h2 { font-size:16px; margin:0 0 8px; } .muted { color:var(--muted); }
    label { display:block; font-size:13px; color:var(--muted); margin:10px 0 4px; }
    input { width:100%; padding:9px 10px; border:1px solid #9ca3af; border-radius:6px; font:inherit; }
    button { font:inherit; cursor:pointer; padding:9px 14px; border-radius:6px; border:1px solid #9ca3af; background:#fff; margin-top:12px; }
    button.primary { background:var(--brand); color:#fff; border:0; }
    a:focus, button:focus, input:focus { outline:3px solid #5eead4; outline-offset:2px; }
    .ok { background:#ecfdf5; border:1px solid #a7f3d0; color:var(--brand); border-radius:10px; padding:12px 16px; grid-column:1 / -1; }
    .error { background:#fef2f2; border:1px solid #fecaca; color:var(--bad); border-radius:10px; padding:12px 16px; grid-column:1 / -1; }
    .backdrop { position:fixed; inset:0; background:rgba(20,33,61,.55); }
    dialog { position:fixed; top:15vh; max-width:460px; width:calc(100% - 32px); border:0; border-radius:12px; padding:24px; box-shadow:0 20px 50px rgba(0,0,0,.3); z-index:2; }
    dialog h2 { font-size:19px; } dialog .actions { display:flex; gap:12px; align-items:center; flex-wrap:wrap; }
    </style></head><body>
    <header><strong>EFFINITY · CRM</strong><span class="muted">{{org}} · {{email}} · <a href="/dashboard/billing">Billing</a></span></header>
    <main {{#limit}}aria-hidden="true"{{/limit}}>
      {{#notice}}<div class="ok" role="status">{{notice}}</div>{{/notice}}
      {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
      {{#resources}}<section><h2>{{title}}</h2><p class="muted">{{used}} of {{limitText}} on the {{planName}} plan</p>{{{form}}}</section>{{/resources}}
    </main>
    {{#limit}}<div class="backdrop"></div>
    <dialog open aria-modal="true" aria-labelledby="limit-title" aria-describedby="limit-text">
      <h2 id="limit-title">{{title}}</h2>
      <p id="limit-text">{{message}}</p>
      <div class="actions">{{#upgradeForm}}{{{upgradeForm}}}{{/upgradeForm}}
      {{^upgradeForm}}<p class="muted">Ask an owner or admin of {{org}} to upgrade.</p>{{/upgradeForm}}
      <a href="/dashboard/crm" autofocus>Not now</a></div>
    </dialog>{{/limit}}
    </body></html>
    """
}
