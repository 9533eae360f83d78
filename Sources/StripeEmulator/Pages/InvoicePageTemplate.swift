extension PageTemplates {
    /// The hosted invoice page: the invoice, its totals and payment history, and for an open
    /// invoice the pay form (a card or a test card).
    static let invoice = """
    <main>
    <section>
      <p class="muted">{{merchant}}</p>
      <h1>Invoice {{number}} <span class="pill {{statusClass}}">{{status}}</span></h1>
      <div class="amount">{{headline}}</div>
      {{#dueText}}<p>{{dueText}}</p>{{/dueText}}
      {{#flash}}<div class="flash" role="status">{{flash}}</div>{{/flash}}
      <p><a href="{{pdfURL}}">Download invoice (PDF)</a></p>
      <table>
        <caption class="muted" style="text-align:left">Lines</caption>
        <tr><th scope="col">Description</th><th scope="col" class="right">Qty</th><th scope="col" class="right">Amount</th></tr>
        {{#rows}}<tr><td>{{description}}{{#detail}}<br><span class="muted">{{detail}}</span>{{/detail}}</td><td class="right">{{quantity}}</td><td class="right">{{amount}}</td></tr>{{/rows}}
        {{#totals}}<tr><td colspan="2" class="right">{{#emphasized}}<strong>{{label}}</strong>{{/emphasized}}{{^emphasized}}{{label}}{{/emphasized}}</td><td class="right">{{#emphasized}}<strong>{{amount}}</strong>{{/emphasized}}{{^emphasized}}{{amount}}{{/emphasized}}</td></tr>{{/totals}}
      </table>
      <h2 style="margin-top:24px">Payment history</h2>
      {{^attempts}}<p class="muted">No payment attempts yet.</p>{{/attempts}}
      {{#hasAttempts}}<table><tr><th scope="col">Date</th><th scope="col">Card</th><th scope="col" class="right">Amount</th><th scope="col" class="right">Result</th></tr>
      {{#attempts}}<tr><td>{{date}}</td><td>{{card}}</td><td class="right">{{amount}}</td><td class="right"><span class="pill {{resultClass}}">{{result}}</span>{{#reason}}<br><span class="muted">{{reason}}</span>{{/reason}}</td></tr>{{/attempts}}
      </table>{{/hasAttempts}}
    </section>
    <section>
      {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
      {{#payable}}
      <h2>Pay this invoice</h2>
      <form method="post" action="{{action}}">
        {{> cardFields}}
        {{#cardOnFile}}<p class="muted">Leave the card empty to pay with the card on file ({{cardOnFile}}).</p>{{/cardOnFile}}
        <button class="primary" type="submit">Pay {{amountDue}}</button>
        {{> testCards}}
      </form>
      {{/payable}}
      {{^payable}}
      <h2>{{closedHeading}}</h2>
      <p class="muted">{{closedText}}</p>
      {{/payable}}
    </section>
    </main>
    """
}
