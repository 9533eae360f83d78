extension Suite {
    /// What a project's app cannot do, refused before anything runs: `given.plans` (EFFINITY's
    /// catalog), `expect_emails` (its email outbox) and `inject … org` (its subscriptions table).
    /// Another app names its customer with a reference instead (`"customer": "${step:customer}"`).
    public func checkForProject() throws(ScenarioErrors) {
        var errors: [ScenarioError] = []
        for s in scenarios {
            if s.given.plans != nil {
                errors.append(ScenarioError(file: s.file, path: "given.plans", message: "given.plans replaces EFFINITY's catalog; a project's app has its own (drop it)"))
            }
            func walk(_ steps: [Step]) {
                for step in steps {
                    switch step.kind {
                    case .expectEmails:
                        errors.append(ScenarioError(file: s.file, path: step.location, message: "expect_emails reads EFFINITY's email outbox; a project's app has none"))
                    case .inject(.chargeFailure(.org, _, _)), .inject(.clearChargeFailure(.org)):
                        errors.append(ScenarioError(file: s.file, path: step.location, message: "inject by org reads EFFINITY's subscriptions; name the customer instead (\"customer\": \"${step:…}\")"))
                    case .repeatBlock(_, let inner), .parallel(let inner): walk(inner)
                    default: break
                    }
                }
            }
            walk(s.steps)
        }
        if !errors.isEmpty { throw ScenarioErrors(errors: errors) }
    }
}
