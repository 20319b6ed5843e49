import FeedbackStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Recommend

/// Every failure as a JSON body `{"error": {"status": 400, "message": "…"}}`: the request's own
/// problem (4xx, named), or 500/503 with a message that names no internals (the detail goes to
/// the log).
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var (status, message) = Self.describe(error, request)
            if status >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(error)") }
            // A known path with another method: 405 and the methods it takes.
            var allow: String?
            if status == 404, (error as? HTTPError)?.status == .notFound, let methods = allowedMethods(request.uri.path) {
                status = 405
                message = "\(request.method) is not allowed on \(request.uri.path.prefix(200)): use \(methods)"
                allow = methods
            }
            var response = try json(ErrorJSON(error: .init(status: status, message: message)),
                                    status: HTTPResponse.Status(code: status))
            if let allow { response.headers[.allow] = allow }
            return response
        }
    }

    static func describe(_ error: any Error, _ request: Request) -> (Int, String) {
        switch error {
        case let error as APIError:
            return (error.status, error.message)
        case let error as RecommenderError:
            switch error {
            case .unknownItemID, .noItemSimilarity, .notSessionModel: return (404, error.description)
            case .notFitted, .nonFiniteModel, .notSaveable, .evaluation, .unknownUser, .unknownItem: return (500, "internal error")
            default: return (400, error.description)
            }
        case let error as HTTPError:
            let status = Int(error.status.code)
            if error.status == .notFound { return (404, "no route \(request.method) \(request.uri.path.prefix(200))") }
            return (status, error.body ?? error.status.reasonPhrase)
        case is NIOTooManyBytesError:
            return (413, "request body too large")
        case is FeedbackStoreError:
            return (503, "the feedback store could not write the events; nothing was stored")
        case let error as any HTTPResponseError:
            return (Int(error.status.code), error.status.reasonPhrase)
        default:
            return (500, "internal error")
        }
    }
}

/// Counts and times every request (``ServerMetrics``) by its route template; requests that
/// match no route count under `unmatched`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                       status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }
}
