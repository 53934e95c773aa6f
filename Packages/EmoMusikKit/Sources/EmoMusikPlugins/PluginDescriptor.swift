import EmoMusikCore

/// What a plugin is for.
public enum PluginKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Landmark frames in, emotion probabilities out (``EmotionRecognizer``).
    case recognizer
    /// Affect history, session goal and child profile in, a musical target out (``RecommenderStrategy``).
    case strategy

    public var description: String { rawValue }
}

/// A value of a plugin option, as written in a preset or on the command line.
public enum PluginOptionValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Double)
    case integer(Int)
    case boolean(Bool)
    case string(String)

    public var description: String {
        switch self {
        case .number(let x): "\(x)"
        case .integer(let n): "\(n)"
        case .boolean(let b): "\(b)"
        case .string(let s): "\"\(s)\""
        }
    }
}

/// An option a plugin accepts, declared as data so hosts can validate presets and print help
/// without instantiating the plugin.
public struct PluginOption: Sendable, Hashable, Codable {
    public enum ValueType: String, Sendable, Hashable, Codable, CustomStringConvertible {
        case number, integer, boolean, string, choice
        public var description: String { rawValue }
    }

    public var name: String
    public var type: ValueType
    public var help: String
    /// Unit for numbers, shown in help (`"BPM"`, `"affect units per minute"`).
    public var unit: String?
    public var defaultValue: PluginOptionValue?
    /// Allowed range for numbers and integers.
    public var range: ClosedRange<Double>?
    /// Allowed values for `.choice`.
    public var choices: [String]

    public init(
        name: String, type: ValueType, help: String, unit: String? = nil, defaultValue: PluginOptionValue? = nil,
        range: ClosedRange<Double>? = nil, choices: [String] = []
    ) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
        self.defaultValue = defaultValue
        self.range = range
        self.choices = choices
    }

    /// Checks `value` against the type, range and choices; the error message names the option
    /// and what would be accepted (callers add the file location).
    public func check(_ value: PluginOptionValue) -> String? {
        switch (type, value) {
        case (.number, .number), (.number, .integer), (.integer, .integer):
            let x = value.numericValue!
            guard x.isFinite else { return "\(name) must be a finite number" }
            if let range, !range.contains(x) {
                return "\(name) \(value) is outside \(format(range.lowerBound))...\(format(range.upperBound))"
            }
            return nil
        case (.boolean, .boolean), (.string, .string):
            return nil
        case (.choice, .string(let s)):
            if choices.contains(s) { return nil }
            let closest = closestMatch(to: s, among: choices)
            return "\(name) \(value) is not one of \(choices.joined(separator: ", "))"
                + (closest.map { "; did you mean \"\($0)\"?" } ?? "")
        default:
            return "\(name) must be \(expected), not \(value)"
        }
    }

    /// What the option takes, in words.
    public var expected: String {
        switch type {
        case .number: "a number"
        case .integer: "an integer"
        case .boolean: "true or false"
        case .string: "text"
        case .choice: "one of \(choices.joined(separator: ", "))"
        }
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? "\(Int(x))" : "\(x)"
    }
}

extension PluginOptionValue {
    /// The value as a number, for `.number` and `.integer`.
    public var numericValue: Double? {
        switch self {
        case .number(let x): x
        case .integer(let n): Double(n)
        default: nil
        }
    }
}

/// Who a plugin is: shown by `emomusik plugins list`, checked by the registry.
public struct PluginDescriptor: Sendable, Hashable, Codable {
    /// Unique, stable, lower-case id used in presets and on the command line (`iso-principle`).
    public var id: String
    public var displayName: String
    /// Semantic version of the plugin itself (`1.2.0`).
    public var version: String
    public var kind: PluginKind
    /// One sentence on what it does.
    public var summary: String
    public var options: [PluginOption]

    public init(id: String, displayName: String, version: String, kind: PluginKind, summary: String, options: [PluginOption] = []) {
        self.id = id
        self.displayName = displayName
        self.version = version
        self.kind = kind
        self.summary = summary
        self.options = options
    }

    public func option(named name: String) -> PluginOption? { options.first { $0.name == name } }
}
