import StripeWire

/// Every form the dashboard's newer pages draw goes through ``render(action:fields:submit:primary:)``,
/// so what each form must carry (a CSRF token, say) is added in one place.
enum DashboardForm {
    /// A labelled input: `name`, its label, and its type (`text`, `email`, …).
    struct Field {
        var name: String
        var label: String
        var type = "text"
        var value = ""
        var required = true
        /// A fixed value posted without being shown.
        var hidden = false
    }

    /// A POST form to `action` with the fields and one submit button. `csrf` is the session's
    /// hidden CSRF field (``DashboardRoutes/csrfField(_:)``), already HTML. `idPrefix` keeps the
    /// inputs' ids unique when a page has several forms.
    static func render(action: String, fields: [Field], submit: String, csrf: String, primary: Bool = true, idPrefix: String = "") -> String {
        var html = "<form method=\"post\" action=\"\(action.markupEscaped)\">" + csrf
        for f in fields {
            if f.hidden {
                html += "<input type=\"hidden\" name=\"\(f.name.markupEscaped)\" value=\"\(f.value.markupEscaped)\">"
                continue
            }
            let id = (idPrefix + f.name).markupEscaped
            html += "<label for=\"\(id)\">\(f.label.markupEscaped)</label>"
            html += "<input id=\"\(id)\" name=\"\(f.name.markupEscaped)\" type=\"\(f.type.markupEscaped)\" value=\"\(f.value.markupEscaped)\"\(f.required ? " required" : "")>"
        }
        html += "<button type=\"submit\"\(primary ? " class=\"primary\"" : "")>\(submit.markupEscaped)</button></form>"
        return html
    }
}
