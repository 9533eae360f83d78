import EffinityTesting
import Foundation
import Logging
import StripeEmulator
import StripeWire

extension World {
    /// A world for an app of a project file: a fresh fake in this process (sequential ids, its
    /// clock frozen at the scenario's start), the app's webhook endpoint registered on it, a
    /// database of its own, and the app started as a child process on a free port. Whatever
    /// fails half-way is cleaned up before the error is thrown.
    static func project(_ project: Project, given: Given, janitor: WorldJanitor = .shared) async throws -> World {
        // A free port is picked, released, then bound by the fake or the app a moment later:
        // another world (or process) can take it in between. Such a world is made again on
        // other ports; any other failure is the scenario's.
        var attempt = 1
        while true {
            do {
                return try await projectWorld(project, given: given, janitor: janitor)
            } catch let failure where attempt < 5 && Self.lostItsPort(failure) {
                attempt += 1
            }
        }
    }

    /// Whether a world failed because a port it picked was taken before it bound it.
    static func lostItsPort(_ error: any Error) -> Bool {
        let text = "\(error)"
        return text.contains("Address already in use") || text.contains("address already in use") || text.contains("EADDRINUSE")
    }

    private static func projectWorld(_ project: Project, given: Given, janitor: WorldJanitor) async throws -> World {
        let key = "sk_test_scenario"
        let folder = try janitor.newWorld()
        var fake: LoopbackServer? = nil
        var app: ProjectApp? = nil
        do {
            guard let stripePort = FreePort.pick(host: "127.0.0.1"), let appPort = FreePort.pick(host: "127.0.0.1") else {
                throw ScenarioFailure("no free port on 127.0.0.1")
            }
            let stripeURL = "http://127.0.0.1:\(stripePort)", appURL = "http://127.0.0.1:\(appPort)"
            var quiet = Logger(label: "effinity.project")
            quiet.logLevel = .critical
            let emulator = StripeEmulator(database: try .inMemory(),
                                          settings: EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(given.start), baseURL: stripeURL,
                                                                     eventRetentionDays: 0),  // as `inProcess`: every event kept
                                          logger: quiet)
            fake = try await LoopbackServer.start(StripeHTTPResponder(emulator: emulator), name: "effinity-stripe", port: stripePort,
                                                  server: .stripe(emulator))
            var settings = "webhook_signature_time=\(project.stripe.signatureTime == "real" ? "real" : "account")"
            if let v = project.stripe.apiVersion { settings += "&api_version=\(v)" }
            let account = try await emulator.must("POST", "/_emulator/settings", settings, key: key)
            var endpointForm = [("url", FormValue.string(appURL + project.stripe.webhookPath))]
            for (i, e) in project.stripe.events.enumerated() { endpointForm.append(("enabled_events[\(i)]", .string(e))) }
            if let v = project.stripe.apiVersion { endpointForm.append(("api_version", .string(v))) }
            let endpoint = try await emulator.must("POST", "/v1/webhook_endpoints", FormEncoder.encode(endpointForm), key: key)
            guard let endpointID = endpoint["id"].stringValue, let secret = endpoint["secret"].stringValue else {
                throw ScenarioFailure("the fake refused the app's webhook endpoint: \(JSONWriter.string(endpoint))")
            }
            let database = try await ProjectDatabase.create(project.database, folder: folder, janitor: janitor)
            // given.plans, for an app that takes them (`${scenario.plans}`): a file in the world's folder.
            var plansFile = ""
            if let plans = given.plans {
                plansFile = (folder as NSString).appendingPathComponent("plans.json")
                try Data(JSONWriter.data(plans)).write(to: URL(fileURLWithPath: plansFile))
            }
            let values: [String: String] = [
                "stripe.url": stripeURL, "stripe.secret_key": key, "stripe.publishable_key": "pk_test_scenario", "stripe.webhook_secret": secret,
                "app.port": String(appPort), "app.url": appURL, "database.url": database.url, "database.path": database.path ?? "",
                "clock.url": account["clock_url"].stringValue ?? "", "world.dir": folder, "scenario.plans": plansFile,
            ]
            app = try await ProjectApp.start(project, folder: folder, appURL: appURL, database: database, values: values, janitor: janitor)
            let started = app!, server = fake!
            return World(stripeURL: stripeURL, appURL: appURL, key: key, start: given.start, endpointID: endpointID, app: started,
                         urlNames: [(stripeURL, "http://stripe.scenario"), (appURL, "http://app.scenario")],
                         cleanup: {
                             await started.stop()
                             await server.stop()
                             janitor.finish(folder)
                         })
        } catch {
            await app?.stop()
            await fake?.stop()
            janitor.finish(folder)
            throw error
        }
    }
}
