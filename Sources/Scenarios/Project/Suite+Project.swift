extension Suite {
    /// What a project's app cannot take, refused before anything runs: `given.plans` replaces the
    /// app's catalog, which only an app that says so can do (its command or environment uses
    /// `${scenario.plans}`, the path of a file holding them). `expect_emails` and `inject … org`
    /// read tables by EFFINITY's names (`email_outbox`, `subscriptions`): an app without them
    /// fails those steps with a message saying so.
    public func checkForProject(_ project: Project) throws(ScenarioErrors) {
        guard !project.takesPlans else { return }
        let errors = scenarios.filter { $0.given.plans != nil }.map {
            ScenarioError(file: $0.file, path: "given.plans",
                          message: "given.plans replaces the app's catalog; \(project.file) does not pass it to the app (use ${scenario.plans} in app.command or app.env)")
        }
        if !errors.isEmpty { throw ScenarioErrors(errors: errors) }
    }
}
