import Hummingbird

/// Records every request's latency in ``AppMetrics``, labelled with the matched route pattern,
/// the method and the status. Added to the app's router before any route, so it wraps them all.
///
/// The time is taken when the handler returns: the app's bodies are fully built by then, so
/// writing them adds nothing worth measuring, and the number is recorded before the client sees
/// the response.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: Int(status), since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status,
                              duration: ContinuousClock.now - started)
    }
}
