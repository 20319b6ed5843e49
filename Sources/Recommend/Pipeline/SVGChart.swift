import Foundation

/// One titled, labelled chart panel of the dashboard, drawn as SVG.
public struct ChartPanel: Sendable {
    public enum Content: Sendable {
        /// Vertical bars, one per category.
        case bars(labels: [String], values: [Double])
        /// Horizontal bars, one per category (long labels).
        case horizontalBars(labels: [String], values: [Double])
        /// Vertical bars in groups: for each category, one bar per series.
        case groupedBars(labels: [String], series: [(name: String, values: [Double])])
        /// Lines through (x, y) points, with optional log₁₀ axes.
        case lines(series: [(name: String, points: [(x: Double, y: Double)])], logX: Bool, logY: Bool)
        /// A grid of values, colour from low (light) to high (dark).
        case heatmap(rowLabels: [String], columnLabels: [String], values: [[Double]], legend: String)
        /// Labelled points.
        case scatter(points: [(label: String, x: Double, y: Double)])
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var content: Content
    /// A short line under the title (a caption with a key figure).
    public var note: String = ""

    public init(title: String, xLabel: String, yLabel: String, content: Content, note: String = "") {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.content = content; self.note = note
    }
}

/// SVG drawing of ``ChartPanel``s in a grid.
public enum SVGChart {
    static let palette = ["#3366cc", "#dc7633", "#2e9e6b", "#c0392b", "#8e44ad", "#7f8c8d", "#d4ac0d", "#16a085", "#e84393", "#34495e"]

    /// A page of panels, `columns` per row, each `panelWidth` × `panelHeight`, under a heading.
    public static func page(title: String, subtitle: String, panels: [ChartPanel], columns: Int = 3,
                            panelWidth: Double = 520, panelHeight: Double = 360) -> String {
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * panelWidth, height = 70 + Double(rows) * panelHeight
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        svg += text(width / 2, 32, title, size: 24, anchor: "middle", weight: "bold")
        svg += text(width / 2, 56, subtitle, size: 13, anchor: "middle", fill: "#555")
        for (n, panel) in panels.enumerated() {
            let x = Double(n % columns) * panelWidth, y = 70 + Double(n / columns) * panelHeight
            svg += draw(panel, x: x, y: y, width: panelWidth, height: panelHeight)
        }
        return svg + "</svg>\n"
    }

    /// One panel alone as a complete SVG document.
    public static func single(_ panel: ChartPanel, width: Double = 520, height: Double = 360) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + draw(panel, x: 0, y: 0, width: width, height: height) + "</svg>\n"
    }

    static func draw(_ p: ChartPanel, x: Double, y: Double, width: Double, height: Double) -> String {
        var s = "<g transform=\"translate(\(f(x)),\(f(y)))\">\n"
        s += "<rect x=\"6\" y=\"6\" width=\"\(f(width - 12))\" height=\"\(f(height - 12))\" fill=\"#fafafa\" stroke=\"#dddddd\" rx=\"6\"/>\n"
        s += text(width / 2, 30, p.title, size: 15, anchor: "middle", weight: "bold")
        if !p.note.isEmpty { s += text(width / 2, 47, p.note, size: 11, anchor: "middle", fill: "#555") }
        // Plot area; horizontal bars and heatmaps need room for row labels on the left.
        var left = 68.0
        switch p.content {
        case let .horizontalBars(labels, _): left = longLabels(labels) ? 40 : 14 + 6.4 * Double(labels.map(\.count).max() ?? 4)
        case let .heatmap(rows, _, _, _): left = max(58, min(120, 36 + 6.4 * Double(rows.map(\.count).max() ?? 3)))
        default: break
        }
        let area = Area(x: left, y: 58, width: width - left - 26, height: height - 58 - 62)
        s += text(area.x + area.width / 2, height - 16, p.xLabel, size: 12, anchor: "middle", fill: "#333")
        s += "<text transform=\"translate(16,\(f(area.y + area.height / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">\(escape(p.yLabel))</text>\n"
        switch p.content {
        case let .bars(labels, values): s += bars(labels, [("", values)], area, legend: false)
        case let .groupedBars(labels, series): s += bars(labels, series, area, legend: true)
        case let .horizontalBars(labels, values): s += horizontalBars(labels, values, area)
        case let .lines(series, logX, logY): s += lines(series, logX: logX, logY: logY, area)
        case let .heatmap(rows, columns, values, legend): s += heatmap(rows, columns, values, legend, area)
        case let .scatter(points): s += scatter(points, area)
        }
        return s + "</g>\n"
    }

    struct Area { var x, y, width, height: Double }

    /// Labels too long to stand left of horizontal bars.
    static func longLabels(_ labels: [String]) -> Bool { (labels.map(\.count).max() ?? 0) > 22 }

    static func bars(_ labels: [String], _ series: [(name: String, values: [Double])], _ a: Area, legend: Bool) -> String {
        let top = niceMax((series.flatMap(\.values).max() ?? 1) * (legend ? 1.2 : 1))
        var s = yAxis(0, top, a, log: false)
        let slot = a.width / Double(max(1, labels.count)), inner = slot * 0.8 / Double(max(1, series.count))
        for (k, (_, values)) in series.enumerated() {
            for (i, v) in values.enumerated() {
                let h = a.height * max(0, v) / top
                let bx = a.x + Double(i) * slot + slot * 0.1 + Double(k) * inner
                s += "<rect x=\"\(f(bx))\" y=\"\(f(a.y + a.height - h))\" width=\"\(f(max(1, inner - 1)))\" height=\"\(f(h))\" fill=\"\(palette[k % palette.count])\"><title>\(escape(labels[i])): \(format(v))</title></rect>\n"
            }
        }
        s += categoryLabels(labels, a, slot: slot)
        if legend { s += legendBox(series.map(\.name), a) }
        return s
    }

    static func horizontalBars(_ labels: [String], _ values: [Double], _ a: Area) -> String {
        let top = niceMax(values.max() ?? 1)
        var s = ""
        for t in ticks(0, top) {
            let x = a.x + a.width * t / top
            s += "<line x1=\"\(f(x))\" y1=\"\(f(a.y))\" x2=\"\(f(x))\" y2=\"\(f(a.y + a.height))\" stroke=\"#e3e3e3\"/>\n"
            s += text(x, a.y + a.height + 15, format(t), size: 10, anchor: "middle", fill: "#444")
        }
        let slot = a.height / Double(max(1, labels.count))
        let above = longLabels(labels)
        for (i, v) in values.enumerated() {
            let y = a.y + Double(i) * slot
            // Long labels stand above their bar, inside the plot; short ones to the left.
            let barTop = above ? y + min(20, slot * 0.4) : y + slot * 0.12, barHeight = above ? slot * 0.88 - (barTop - y) : slot * 0.76
            s += "<rect x=\"\(f(a.x))\" y=\"\(f(barTop))\" width=\"\(f(a.width * max(0, v) / top))\" height=\"\(f(barHeight))\" fill=\"\(palette[0])\"><title>\(escape(labels[i])): \(format(v))</title></rect>\n"
            if above {
                s += text(a.x + 4, barTop - 4, "\(labels[i]) (\(format(v)))", size: 11, anchor: "start", fill: "#222")
            } else {
                s += text(a.x - 6, y + slot / 2 + 4, labels[i], size: 11, anchor: "end", fill: "#222")
            }
        }
        return s + "<line x1=\"\(f(a.x))\" y1=\"\(f(a.y))\" x2=\"\(f(a.x))\" y2=\"\(f(a.y + a.height))\" stroke=\"#555\"/>\n"
    }

    static func lines(_ series: [(name: String, points: [(x: Double, y: Double)])], logX: Bool, logY: Bool, _ a: Area) -> String {
        let all = series.flatMap(\.points).filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        guard !all.isEmpty else { return text(a.x + a.width / 2, a.y + a.height / 2, "no data", size: 12, anchor: "middle") }
        func tx(_ v: Double) -> Double { logX ? log10(v) : v }
        func ty(_ v: Double) -> Double { logY ? log10(v) : v }
        var (x0, x1) = (all.map { tx($0.x) }.min()!, all.map { tx($0.x) }.max()!)
        var (y0, y1) = (all.map { ty($0.y) }.min()!, all.map { ty($0.y) }.max()!)
        if logX { x0 = floor(x0); x1 = max(ceil(x1), x0 + 1) } else { x0 = min(0, x0); x1 = niceMax(x1) }
        if logY { y0 = floor(y0); y1 = max(ceil(y1), y0 + 1) } else { y0 = min(0, y0); y1 = niceMax(y1) }
        var s = yAxis(y0, y1, a, log: logY)
        s += xAxis(x0, x1, a, log: logX)
        for (k, (_, points)) in series.enumerated() {
            let path = points.filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }.map { p in
                "\(f(a.x + a.width * (tx(p.x) - x0) / (x1 - x0))),\(f(a.y + a.height * (1 - (ty(p.y) - y0) / (y1 - y0))))"
            }
            s += "<polyline fill=\"none\" stroke=\"\(palette[k % palette.count])\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>\n"
        }
        if series.count > 1 { s += legendBox(series.map(\.name), a) }
        return s
    }

    static func heatmap(_ rows: [String], _ columns: [String], _ values: [[Double]], _ legend: String, _ a: Area) -> String {
        let hi = values.flatMap { $0 }.max() ?? 1, lo = values.flatMap { $0 }.min() ?? 0
        let cw = a.width / Double(max(1, columns.count)), ch = (a.height - 14) / Double(max(1, rows.count))
        var s = ""
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let t = hi > lo ? (v - lo) / (hi - lo) : 0
                s += "<rect x=\"\(f(a.x + Double(j) * cw))\" y=\"\(f(a.y + Double(i) * ch))\" width=\"\(f(cw + 0.3))\" height=\"\(f(ch + 0.3))\" fill=\"\(color(t))\"><title>\(escape(rows[i])) × \(escape(columns[j])): \(format(v))</title></rect>\n"
            }
        }
        let rowStep = max(1, Int((14 / ch).rounded(.up)))
        for (i, label) in rows.enumerated() where i % rowStep == 0 && !label.isEmpty {
            s += text(a.x - 5, a.y + (Double(i) + 0.5) * ch + 4, label, size: 10, anchor: "end", fill: "#333")
        }
        let columnStep = max(1, Int((22 / cw).rounded(.up)))
        for (j, label) in columns.enumerated() where j % columnStep == 0 && !label.isEmpty {
            s += text(a.x + (Double(j) + 0.5) * cw, a.y + Double(rows.count) * ch + 13, label, size: 10, anchor: "middle", fill: "#333")
        }
        // Colour key.
        let ky = a.y + a.height + 20
        for k in 0..<20 {
            s += "<rect x=\"\(f(a.x + a.width - 120 + Double(k) * 6))\" y=\"\(f(ky))\" width=\"6.3\" height=\"9\" fill=\"\(color(Double(k) / 19))\"/>\n"
        }
        s += text(a.x + a.width - 126, ky + 8, "\(legend) \(format(lo))", size: 10, anchor: "end", fill: "#333")
        s += text(a.x + a.width + 4, ky + 8, format(hi), size: 10, anchor: "start", fill: "#333")
        return s
    }

    static func scatter(_ points: [(label: String, x: Double, y: Double)], _ a: Area) -> String {
        guard !points.isEmpty else { return "" }
        let x1 = niceMax(points.map(\.x).max()!), y1 = niceMax(points.map(\.y).max()!)
        var s = yAxis(0, y1, a, log: false) + xAxis(0, x1, a, log: false)
        // Labels sit right of their point (left near the edge); one that would overlap a label
        // already placed moves down a line until it is clear.
        var placed: [(x0: Double, x1: Double, y: Double)] = []
        for (k, p) in points.enumerated() {
            let px = a.x + a.width * p.x / x1, py = a.y + a.height * (1 - p.y / y1)
            s += "<circle cx=\"\(f(px))\" cy=\"\(f(py))\" r=\"5\" fill=\"\(palette[k % palette.count])\"><title>\(escape(p.label))</title></circle>\n"
            let anchor = px > a.x + a.width * 0.8 ? "end" : "start"
            let width = 6.2 * Double(p.label.count)
            let lx0 = anchor == "end" ? px - 7 - width : px + 7, lx1 = lx0 + width
            var ly = py - 5
            while placed.contains(where: { $0.x0 < lx1 && lx0 < $0.x1 && abs($0.y - ly) < 11 }) { ly += 11 }
            placed.append((lx0, lx1, ly))
            s += text(anchor == "end" ? px - 7 : px + 7, ly, p.label, size: 10, anchor: anchor, fill: "#222")
        }
        return s
    }

    // MARK: axes and helpers

    static func yAxis(_ lo: Double, _ hi: Double, _ a: Area, log: Bool) -> String {
        var s = ""
        for t in log ? Array(stride(from: lo, through: hi, by: 1)) : ticks(lo, hi) {
            let y = a.y + a.height * (1 - (t - lo) / (hi - lo))
            s += "<line x1=\"\(f(a.x))\" y1=\"\(f(y))\" x2=\"\(f(a.x + a.width))\" y2=\"\(f(y))\" stroke=\"#e3e3e3\"/>\n"
            s += text(a.x - 5, y + 4, log ? format(pow(10, t)) : format(t), size: 10, anchor: "end", fill: "#444")
        }
        return s + "<line x1=\"\(f(a.x))\" y1=\"\(f(a.y + a.height))\" x2=\"\(f(a.x + a.width))\" y2=\"\(f(a.y + a.height))\" stroke=\"#555\"/>\n"
            + "<line x1=\"\(f(a.x))\" y1=\"\(f(a.y))\" x2=\"\(f(a.x))\" y2=\"\(f(a.y + a.height))\" stroke=\"#555\"/>\n"
    }

    static func xAxis(_ lo: Double, _ hi: Double, _ a: Area, log: Bool) -> String {
        var s = ""
        for t in log ? Array(stride(from: lo, through: hi, by: 1)) : ticks(lo, hi) {
            let x = a.x + a.width * (t - lo) / (hi - lo)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(a.y + a.height))\" x2=\"\(f(x))\" y2=\"\(f(a.y + a.height + 4))\" stroke=\"#555\"/>\n"
            s += text(x, a.y + a.height + 16, log ? format(pow(10, t)) : format(t), size: 10, anchor: "middle", fill: "#444")
        }
        return s
    }

    static func categoryLabels(_ labels: [String], _ a: Area, slot: Double) -> String {
        let rotate = labels.map(\.count).reduce(0, +) * 6 > Int(a.width) || (labels.map(\.count).max() ?? 0) * 6 > Int(slot)
        var s = ""
        for (i, label) in labels.enumerated() {
            let x = a.x + (Double(i) + 0.5) * slot, y = a.y + a.height + 14
            if rotate {
                s += "<text transform=\"translate(\(f(x + 3)),\(f(y - 4))) rotate(-35)\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">\(escape(label))</text>\n"
            } else {
                s += text(x, y, label, size: 10, anchor: "middle", fill: "#333")
            }
        }
        return s
    }

    static func legendBox(_ names: [String], _ a: Area) -> String {
        var s = ""
        for (k, name) in names.enumerated() {
            let y = a.y + 4 + Double(k) * 15
            s += "<rect x=\"\(f(a.x + 10))\" y=\"\(f(y))\" width=\"10\" height=\"10\" fill=\"\(palette[k % palette.count])\"/>\n"
            s += text(a.x + 24, y + 9, name, size: 11, anchor: "start", fill: "#222")
        }
        return s
    }

    /// About five round tick values from lo to hi.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return Array(stride(from: (lo / step).rounded(.up) * step, through: hi + step * 1e-9, by: step))
    }

    /// The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `v`.
    static func niceMax(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(v)))
        return ([1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= v * 0.999_999 }) ?? v
    }

    /// Light yellow → green → dark blue, `t` in [0, 1].
    static func color(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(255, 255, 217), (127, 205, 187), (29, 145, 192), (37, 52, 148), (8, 29, 88)]
        let x = min(1, max(0, t)) * Double(stops.count - 1), i = min(stops.count - 2, Int(x)), u = x - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int((a + (b - a) * u).rounded())
        }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    static func text(_ x: Double, _ y: Double, _ s: String, size: Int, anchor: String, weight: String = "normal", fill: String = "#111") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" fill=\"\(fill)\">\(escape(s))</text>\n"
    }

    /// A number for a tick or tooltip: thousands as k/M, small values with 2–3 decimals.
    static func format(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1_000_000 { return String(format: "%.1fM", v / 1_000_000).replacingOccurrences(of: ".0M", with: "M") }
        if a >= 10_000 { return String(format: "%.0fk", v / 1_000) }
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.1f", v) }
        return String(format: a >= 0.1 ? "%.2f" : "%.3f", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// XML text escaping.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
