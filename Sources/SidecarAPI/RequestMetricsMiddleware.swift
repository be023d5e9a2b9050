import Hummingbird

/// Records every request the router answers in the API's `RequestMetrics`.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics
    public init(metrics: RequestMetrics) { self.metrics = metrics }
    public init(load: LoadCounters) { self.init(metrics: RequestMetrics(load: load)) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = metrics.begin()
        var status = 500
        defer { metrics.end(start, route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status) }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}
