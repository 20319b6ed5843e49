import Foundation
import Prometheus
import Synchronization

/// The service's metrics in the Prometheus text format (swift-prometheus, a registry of its
/// own: nothing process-wide):
/// - `rectrain_http_requests_total{route, method, status}`: requests answered;
/// - `rectrain_http_request_duration_seconds{route}`: a latency histogram per route (50 µs – 1 s);
/// - `rectrain_model_version`: 1 at start-up, +1 per reload;
/// - `rectrain_feedback_events_stored`: events in the store;
/// - `rectrain_users_with_feedback`: users whose history grew since training.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let modelVersion: Gauge
    let eventsStored: Gauge
    let usersWithFeedback: Gauge

    static let buckets: [Duration] = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000]
        .map { Duration.microseconds($0) }

    static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "rectrain", subsystem: "http", metricName: "requests", unitName: "total",
                                               helpText: "HTTP requests answered, by route template, method and status.") }
    static var latency: MetricNameDescriptor { MetricNameDescriptor(namespace: "rectrain", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                                              helpText: "Time from the request's head to its response, by route template.")}

    public init() {
        modelVersion = registry.makeGauge(descriptor: .init(namespace: "rectrain", metricName: "model", unitName: "version",
                                                            helpText: "Version of the loaded model: 1 at start-up, +1 per reload."))
        eventsStored = registry.makeGauge(descriptor: .init(namespace: "rectrain", subsystem: "feedback", metricName: "events", unitName: "stored",
                                                            helpText: "Feedback events in the store."))
        usersWithFeedback = registry.makeGauge(descriptor: .init(namespace: "rectrain", metricName: "users_with", unitName: "feedback",
                                                                 helpText: "Users whose history grew since training."))
    }

    struct Key: Hashable { var route: String; var method: String; var status: Int }
    /// The counter and histogram of each route, method and status met so far (the registry's
    /// own lookup builds label arrays on every call).
    let series = Mutex<[Key: (Counter, DurationHistogram)]>([:])

    /// Counts one answered request and its latency.
    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = Key(route: route, method: method, status: status)
        let (counter, histogram) = series.withLock { series in
            if let found = series[key] { return found }
            let made = (registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]),
                        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.buckets))
            series[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// The exposition text.
    func text(version: Int, events: Int, users: Int) -> String {
        modelVersion.set(Double(version))
        eventsStored.set(Double(events))
        usersWithFeedback.set(Double(users))
        return registry.emitToString()
    }
}
