import EmoMusikCore
import Foundation

/// A session log as a page a therapist reads: a short summary, the child's affect over time beside
/// the music's tempo, mode and loudness on one time axis, the strategy's decisions as numbered
/// markers with their reasons, and every fault and warning.
///
/// The HTML is self-contained (inline CSS and SVG, no scripts, no external assets) and
/// well-formed XML, so it opens anywhere and can be checked by a parser.
public struct SessionReport: Sendable {
    public var contents: SessionLog.Contents
    /// Shown in the title, e.g. the log's file name.
    public var title: String

    public init(contents: SessionLog.Contents, title: String) {
        self.contents = contents
        self.title = title
    }

    // MARK: The data, by kind

    var start: SessionStart? { contents.start }
    var smoothed: [SmoothedRecord] { contents.events.compactMap { if case .smoothed(let r) = $0 { r } else { nil } } }
    var estimates: [EstimateRecord] { contents.events.compactMap { if case .estimate(let r) = $0 { r } else { nil } } }
    var decisions: [DecisionRecord] { contents.decisions }
    var bars: [MusicRecord] { contents.events.compactMap { if case .music(let r) = $0 { r } else { nil } } }
    var warnings: [Notice] { contents.events.compactMap { if case .warning(let r) = $0 { r } else { nil } } }
    var faults: [Notice] { contents.events.compactMap { if case .fault(let r) = $0 { r } else { nil } } }

    var duration: Double {
        let logged = contents.end?.duration ?? 0
        let last = [smoothed.last?.t, decisions.last?.t, bars.last?.t].compactMap { $0 }.max() ?? 0
        return max(logged, last, 1)
    }

    /// Decisions whose reason differs from the one before: the moments the strategy changed its mind.
    var turningPoints: [DecisionRecord] {
        var points: [DecisionRecord] = []
        for decision in decisions where points.last?.reason != decision.reason { points.append(decision) }
        return points
    }

    /// Stretches where the face was lost, from the face-lost and face-found warnings. A loss is
    /// declared after the smoother's grace period without a face, so it began that much earlier.
    public var lostStretches: [(from: Double, to: Double)] {
        var stretches: [(Double, Double)] = []
        var since: Double?
        let grace = start?.smoother.lostGrace ?? 0
        for warning in warnings {
            if warning.code == "face-lost", since == nil { since = max(0, warning.t - grace) }
            if warning.code == "face-found", let from = since {
                stretches.append((from, warning.t))
                since = nil
            }
        }
        if let from = since { stretches.append((from, duration)) }
        return stretches
    }

    // MARK: The page

    public var html: String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <title>\(escape("Session report: \(title)"))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
            table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #ddd; }
            .note { color: #555; font-size: 0.9em; } .fault { color: #b00020; } .warn { color: #8a5a00; }
            svg text { font-size: 11px; fill: #333; }
            </style>
            </head>
            <body>
            <h1>\(escape("Session report: \(title)"))</h1>

            """
        page += summarySection
        page += "<h2>The child and the music over time</h2>\n"
        page += "<p class=\"note\">Numbered lines mark the moments the strategy changed what it was doing; "
            + "grey bands are times the face was lost. Hover a marker for its reason.</p>\n"
        page += plots
        page += decisionsSection
        page += noticesSection
        page += settingsSection
        page += "<p class=\"note\">EmoMusik makes no clinical claim. The affect shown is what the recognizer "
            + "estimated from facial landmarks, smoothed; it is not a diagnosis.</p>\n</body>\n</html>\n"
        return page
    }

    var summarySection: String {
        var items: [String] = []
        items.append("Length \(clock(duration)); \(decisions.count) decisions by <b>\(escape(start?.strategy ?? "?"))</b>"
            + (start?.presetName.map { " with the preset <b>\(escape($0))</b>" } ?? "") + ".")
        if let first = smoothed.first, let last = smoothed.last {
            let early = mean(smoothed.filter { $0.t <= first.t + 10 }.map(\.affect))
            let late = mean(smoothed.filter { $0.t >= last.t - 10 }.map(\.affect))
            items.append("The child's affect: \(describe(early)) at the start, \(describe(late)) at the end.")
        } else {
            items.append("No face was seen.")
        }
        if let first = bars.first, let last = bars.last {
            items.append("The music: \(format(first.tempo)) BPM in \(escape(first.key)) (\(first.mode)) at the start, "
                + "\(format(last.tempo)) BPM in \(escape(last.key)) (\(last.mode)) at the end; "
                + "loudness \(format(first.velocity)) → \(format(last.velocity)) (MIDI velocity).")
        }
        let lost = lostStretches.reduce(0) { $0 + $1.to - $1.from }
        if lost > 0 { items.append("The face was lost for \(format(lost)) s in \(lostStretches.count) stretch(es); the music went on.") }
        let envelope = warnings.filter { $0.code == "envelope" }.count
        items.append(faults.isEmpty ? "No faults." : "<span class=\"fault\">\(faults.count) fault(s)</span>: see below.")
        if envelope > 0 { items.append("The preset's safety envelope adjusted the music \(envelope) time(s).") }
        if let line = contents.truncatedLine { items.append("<span class=\"warn\">The log's last line (\(line)) was cut short and skipped.</span>") }
        return "<h2>Summary</h2>\n<ul>\n" + items.map { "<li>\($0)</li>\n" }.joined() + "</ul>\n"
    }

    // MARK: Plots

    static let width = 900.0
    static let left = 56.0
    static let right = 16.0

    func x(_ t: Double) -> Double { Self.left + (Self.width - Self.left - Self.right) * t / duration }

    var plots: String {
        var svg = ""
        svg += panel(
            title: "Child's affect (smoothed; dashed: what the music aimed for)", height: 190, range: -1...1,
            ticks: [-1, 0, 1]
        ) { y in
            var body = ""
            let dots = estimates.map { "<circle cx=\"\(f(x($0.t)))\" cy=\"\(f(y($0.affect.arousal)))\" r=\"1.2\" fill=\"#e8a35c\" opacity=\"0.35\"/>" }
            body += dots.joined()
            body += polyline(smoothed.map { (x($0.t), y($0.affect.valence)) }, colour: "#1f77b4", width: 2)
            body += polyline(smoothed.map { (x($0.t), y($0.affect.arousal)) }, colour: "#d9661f", width: 2)
            body += polyline(decisions.map { (x($0.t), y($0.target.valence)) }, colour: "#1f77b4", width: 1, dashed: true)
            body += polyline(decisions.map { (x($0.t), y($0.target.arousal)) }, colour: "#d9661f", width: 1, dashed: true)
            body += legend([("valence (pleasant ↑)", "#1f77b4"), ("arousal (excited ↑)", "#d9661f")])
            return body
        }
        let tempos = bars.map(\.tempo)
        let low = ((tempos.min() ?? 60) - 5).rounded(.down), high = ((tempos.max() ?? 120) + 5).rounded(.up)
        svg += panel(title: "Tempo (BPM)", height: 130, range: low...high, ticks: [low, high]) { y in
            stepLine(bars.map { ($0.t, y($0.tempo)) }, colour: "#2c7a3f")
        }
        svg += panel(title: "Mode (key at each change)", height: 70, range: 0...1, ticks: []) { y in
            var body = ""
            var previousKey: String?
            for (index, bar) in bars.enumerated() {
                let end = index + 1 < bars.count ? bars[index + 1].t : duration
                let colour = bar.mode == "major" ? "#f2c14e" : "#5b6ea8"
                body += "<rect x=\"\(f(x(bar.t)))\" y=\"\(f(y(0.8)))\" width=\"\(f(max(0.5, x(end) - x(bar.t))))\" height=\"\(f(y(0.2) - y(0.8)))\" fill=\"\(colour)\"><title>\(escape("\(clock(bar.t)) \(bar.key) (\(bar.mode))"))</title></rect>"
                if bar.key != previousKey {
                    body += "<text x=\"\(f(x(bar.t) + 2))\" y=\"\(f(y(0.85)))\">\(escape(bar.key))</text>"
                    previousKey = bar.key
                }
            }
            return body + legend([("major", "#f2c14e"), ("minor", "#5b6ea8")])
        }
        svg += panel(title: "Loudness (mean MIDI velocity per bar)", height: 130, range: 0...127, ticks: [0, 64, 127]) { y in
            stepLine(bars.map { ($0.t, y($0.velocity)) }, colour: "#8e3b8e")
        }
        return svg
    }

    /// One plot on the shared time axis: frame, grid, face-lost bands, decision markers, notices.
    func panel(title: String, height: Double, range: ClosedRange<Double>, ticks: [Double], body: (_ y: (Double) -> Double) -> String) -> String {
        let top = 22.0, bottom = height - 22
        let span = range.upperBound - range.lowerBound
        func y(_ v: Double) -> Double { bottom - (bottom - top) * (min(max(v, range.lowerBound), range.upperBound) - range.lowerBound) / span }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(Self.width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(Self.width)) \(f(height))\" role=\"img\">\n"
        svg += "<title>\(escape(title))</title>\n"
        svg += "<text x=\"\(f(Self.left))\" y=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        for stretch in lostStretches {
            svg += "<rect x=\"\(f(x(stretch.from)))\" y=\"\(f(top))\" width=\"\(f(x(stretch.to) - x(stretch.from)))\" height=\"\(f(bottom - top))\" fill=\"#ccc\" opacity=\"0.5\"><title>face lost \(clock(stretch.from))–\(clock(stretch.to))</title></rect>\n"
        }
        svg += "<rect x=\"\(f(Self.left))\" y=\"\(f(top))\" width=\"\(f(Self.width - Self.left - Self.right))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in ticks {
            svg += "<line x1=\"\(f(Self.left))\" x2=\"\(f(Self.width - Self.right))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(format(tick))</text>\n"
        }
        let step = duration > 600 ? 120.0 : duration > 180 ? 60 : duration > 60 ? 15 : 5
        var t = 0.0
        while t <= duration + 1e-9 {
            svg += "<text x=\"\(f(x(t)))\" y=\"\(f(bottom + 14))\" text-anchor=\"middle\">\(clock(t))</text>"
            t += step
        }
        svg += "\n"
        svg += body(y) + "\n"
        for (number, decision) in turningPoints.enumerated() {
            svg += "<line x1=\"\(f(x(decision.t)))\" x2=\"\(f(x(decision.t)))\" y1=\"\(f(top))\" y2=\"\(f(bottom))\" stroke=\"#555\" stroke-dasharray=\"2,3\"><title>\(escape("\(number + 1). \(clock(decision.t)) \(decision.reason)"))</title></line>"
            svg += "<text x=\"\(f(x(decision.t) + 2))\" y=\"\(f(top + 10))\">\(number + 1)</text>\n"
        }
        for notice in faults {
            svg += "<path d=\"M\(f(x(notice.t))) \(f(bottom)) l-5 9 h10 z\" fill=\"#b00020\"><title>\(escape("fault at \(clock(notice.t)): \(notice.message)"))</title></path>\n"
        }
        return svg + "</svg>\n"
    }

    func polyline(_ points: [(Double, Double)], colour: String, width: Double, dashed: Bool = false) -> String {
        guard !points.isEmpty else { return "" }
        let list = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(f(width))\"\(dashed ? " stroke-dasharray=\"5,4\"" : "")/>"
    }

    /// A line that holds each value until the next (bars), to the end of the session.
    func stepLine(_ points: [(t: Double, y: Double)], colour: String) -> String {
        var path: [(Double, Double)] = []
        for (index, point) in points.enumerated() {
            let end = index + 1 < points.count ? points[index + 1].t : duration
            path.append((x(point.t), point.y))
            path.append((x(end), point.y))
        }
        return polyline(path, colour: colour, width: 2)
    }

    func legend(_ items: [(String, String)]) -> String {
        var body = ""
        var position = Self.width - Self.right - 260
        for (label, colour) in items {
            body += "<rect x=\"\(f(position))\" y=\"6\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
            body += "<text x=\"\(f(position + 14))\" y=\"15\">\(escape(label))</text>"
            position += 130
        }
        return body
    }

    // MARK: Tables

    var decisionsSection: String {
        var html = "<h2>The strategy's decisions</h2>\n"
        guard !decisions.isEmpty else { return html + "<p>No decisions were logged.</p>\n" }
        let cadence = start?.decidesAtBeats == true ? "one before every beat" : "every \(format(start?.decisionInterval ?? 2)) s"
        html += "<p class=\"note\">\(decisions.count) decisions, \(cadence); "
            + "listed where the strategy changed what it was doing.</p>\n"
        html += "<table>\n<tr><th>#</th><th>time</th><th>child</th><th>music aims for</th><th>reason</th></tr>\n"
        for (number, decision) in turningPoints.enumerated() {
            html += "<tr><td>\(number + 1)</td><td>\(clock(decision.t))</td><td>\(decision.child.map(describe) ?? "no face yet")</td>"
                + "<td>\(describe(decision.target))</td><td>\(escape(decision.reason))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    var noticesSection: String {
        var html = "<h2>Faults and warnings</h2>\n"
        let notices = (faults.map { ($0, true) } + warnings.map { ($0, false) }).sorted { $0.0.t < $1.0.t }
        guard !notices.isEmpty else { return html + "<p>None.</p>\n" }
        html += "<table>\n<tr><th>time</th><th>kind</th><th>what happened</th></tr>\n"
        for (notice, isFault) in notices {
            html += "<tr class=\"\(isFault ? "fault" : "warn")\"><td>\(clock(notice.t))</td><td>\(isFault ? "fault" : "warning"): \(escape(notice.code))</td>"
                + "<td>\(escape(notice.message))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    var settingsSection: String {
        guard let start else { return "" }
        var rows: [(String, String)] = [
            ("source", start.source), ("clock", start.clock), ("recognizer", start.recognizer),
            ("strategy", start.strategy + options(start.strategyOptions)), ("preset", start.presetName ?? "none"),
            ("preset file", start.presetFile ?? "none"), ("seed", "\(start.seed)"),
            ("goal", describe(start.goal.target) + ", lead rate \(format(start.goal.leadRate)) per minute"),
            ("soundfont", start.soundfont ?? "default"), ("sample rate", "\(start.audio.sampleRate) Hz"),
        ]
        let s = start.smoother
        rows.append(("smoother", "confidence ≥ \(format(s.confidenceThreshold)), time constant \(format(s.timeConstant)) s, "
            + "dead band \(format(s.deadBand)), face lost after \(format(s.lostGrace)) s, drift \(format(s.driftRate))/s"))
        return "<h2>Settings</h2>\n<table>\n" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>\n" }.joined() + "</table>\n"
    }

    // MARK: Words and numbers

    func describe(_ affect: Affect) -> String {
        let mood = affect.valence > 0.2 ? "pleasant" : affect.valence < -0.2 ? "unpleasant" : "neutral"
        let energy = affect.arousal > 0.2 ? "excited" : affect.arousal < -0.2 ? "calm" : "moderate energy"
        return "\(mood), \(energy) (valence \(format(affect.valence)), arousal \(format(affect.arousal)))"
    }

    func mean(_ affects: [Affect]) -> Affect {
        guard !affects.isEmpty else { return .neutral }
        let n = Double(affects.count)
        return Affect(valence: affects.map(\.valence).reduce(0, +) / n, arousal: affects.map(\.arousal).reduce(0, +) / n)
    }

    func options(_ options: [String: LoggedOptionValue]) -> String {
        options.isEmpty ? "" : " (" + options.keys.sorted().map { "\($0)=\(options[$0]!.value)" }.joined(separator: ", ") + ")"
    }
}

/// Text made safe for HTML and XML content and attribute values.
func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for c in text {
        switch c {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        default: result.append(c)
        }
    }
    return result
}

private func f(_ x: Double) -> String { String(format: "%.1f", x) }

private func format(_ x: Double) -> String {
    let rounded = (x * 100).rounded() / 100
    return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
}

private func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d", total / 60, total % 60)
}
