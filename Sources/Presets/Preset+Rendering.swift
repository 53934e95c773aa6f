import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// A resolved preset as a tree, printed as YAML (which reads back to the same preset) or JSON.
public indirect enum PresetValue: Sendable, Equatable {
    case text(String)
    case number(Double)
    /// A number always written with a decimal point (`2.0`), so it reads back as a number, not an integer.
    case real(Double)
    case boolean(Bool)
    case list([PresetValue])
    case map([(key: String, value: PresetValue, comment: String?)])

    public static func == (a: PresetValue, b: PresetValue) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)): x == y
        case (.number(let x), .number(let y)), (.real(let x), .real(let y)): x == y
        case (.boolean(let x), .boolean(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: false
        }
    }
}

extension Preset {
    /// Every field with defaults filled in. `forJSON` adds the 1-based program number beside each
    /// instrument name (YAML shows it as a comment).
    public func resolved(forJSON: Bool = false) -> PresetValue {
        func voice(_ v: Voice) -> PresetValue {
            var entries: [(key: String, value: PresetValue, comment: String?)] = [
                ("instrument", .text(v.instrumentName), "GM program \(Int(v.program) + 1)")
            ]
            if forJSON { entries.append(("program", .number(Double(Int(v.program) + 1)), nil)) }
            let words = [-1: "low", 0: "middle", 1: "high"]
            entries.append(("register", words[v.registerOctaves].map(PresetValue.text) ?? .number(Double(v.registerOctaves)), nil))
            return .map(entries)
        }
        let target: PresetValue
        switch self.target {
        case .emotion(let emotion):
            target = .map([("emotion", .text(emotion.rawValue), "valence \(format(emotion.affect.valence)), arousal \(format(emotion.affect.arousal))")])
        case .affect(let affect):
            target = .map([("valence", .number(affect.valence), nil), ("arousal", .number(affect.arousal), nil)])
        }
        var strategyEntries: [(key: String, value: PresetValue, comment: String?)] = [("id", .text(strategy.id), nil)]
        if !strategy.options.isEmpty {
            strategyEntries.append(("options", .map(strategy.options.keys.sorted().map { name in
                let value: PresetValue = switch strategy.options[name]! {
                case .number(let x): .real(x)
                case .integer(let n): .number(Double(n))
                case .boolean(let b): .boolean(b)
                case .string(let s): .text(s)
                }
                return (name, value, nil)
            }), nil))
        }
        var top: [(key: String, value: PresetValue, comment: String?)] = [
            ("name", .text(name), nil),
            ("description", .text(description), nil),
        ]
        if let soundfont { top.append(("soundfont", .text(soundfont), nil)) }
        top += [
            ("ensemble", .map([
                ("melody", voice(ensemble.melody), nil),
                ("pad", voice(ensemble.pad), nil),
                ("bass", voice(ensemble.bass), nil),
                ("percussion", .boolean(ensemble.percussion), nil),
            ]), nil),
            ("key", .text(tonic.description), nil),
            ("modes", .list(modes.map { .text($0.rawValue) }), nil),
            ("tempo", .map([("min", .number(tempo.lowerBound), nil), ("max", .number(tempo.upperBound), nil)]), "BPM"),
            ("target", target, nil),
            ("strategy", .map(strategyEntries), nil),
            ("lead", .map([("rate", .number(leadRate), "affect units per minute")]), nil),
            ("session", .map([
                ("length", .text(formatDuration(sessionLength)), nil), ("fade", .text(formatDuration(fade)), nil),
            ]), nil),
            ("safety", .map([
                ("max-velocity", .number(Double(safety.maxVelocity)), nil),
                ("max-level-dbfs", .number(safety.maxLevelDBFS), nil),
                ("max-tempo-change-per-bar", .number(safety.maxTempoChangePerBar), "BPM"),
                ("max-loudness-step", .number(safety.maxLoudnessStep), "velocity units between bars"),
                ("sudden-dynamics", .boolean(safety.suddenDynamics), nil),
                ("percussion", .boolean(safety.percussion), nil),
                ("dissonance", .boolean(safety.dissonance), nil),
            ]), nil),
        ]
        return .map(top)
    }

    /// The resolved preset as YAML; it parses back to an equal preset.
    public var resolvedYAML: String {
        var lines: [String] = []
        guard case .map(let entries) = resolved() else { return "" }
        PresetValue.appendYAML(entries, indent: 0, to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The resolved preset as pretty-printed JSON with keys in document order.
    public var resolvedJSON: String { resolved(forJSON: true).json(indent: 0) + "\n" }
}

extension PresetValue {
    static func appendYAML(_ entries: [(key: String, value: PresetValue, comment: String?)], indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for (key, value, comment) in entries {
            let note = comment.map { "  # \($0)" } ?? ""
            if case .map(let children) = value, !children.isEmpty {
                lines.append("\(pad)\(key):\(note)")
                appendYAML(children, indent: indent + 2, to: &lines)
            } else {
                lines.append("\(pad)\(key): \(value.inlineYAML)\(note)")
            }
        }
    }

    var inlineYAML: String {
        switch self {
        case .text(let s): Self.quoted(s)
        case .number(let x): format(x, exact: true)
        case .real(let x): "\(x)"
        case .boolean(let b): "\(b)"
        case .list(let items): "[" + items.map(\.inlineYAML).joined(separator: ", ") + "]"
        case .map(let entries): "{" + entries.map { "\($0.key): \($0.value.inlineYAML)" }.joined(separator: ", ") + "}"
        }
    }

    func json(indent: Int) -> String {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case .text(let s): return Self.quoted(s)
        case .number(let x): return format(x, exact: true)
        case .real(let x): return "\(x)"
        case .boolean(let b): return "\(b)"
        case .list(let items):
            return "[" + items.map { $0.json(indent: indent + 1) }.joined(separator: ", ") + "]"
        case .map(let entries):
            if entries.isEmpty { return "{}" }
            return "{\n" + entries.map { "\(pad)\(Self.quoted($0.key)): \($0.value.json(indent: indent + 1))" }
                .joined(separator: ",\n") + "\n\(close)}"
        }
    }

    /// A double-quoted string, escaped the way both JSON and YAML read it.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Whole numbers without a decimal point; others exactly (`exact`) or to two decimals.
func format(_ x: Double, exact: Bool) -> String {
    if x == x.rounded() && abs(x) < 1e15 { return "\(Int(x))" }
    return exact ? "\(x)" : format(x)
}
