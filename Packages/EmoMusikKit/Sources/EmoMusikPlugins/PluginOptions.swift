import EmoMusikCore

extension EmoMusikError.Code {
    /// A plugin is unknown, refused, or could not be loaded or configured.
    public static let plugin = EmoMusikError.Code(rawValue: "plugin")
}

/// A plugin's options after checking against its descriptor: every declared option has a value
/// (given or default), and every value passed ``PluginOption/check(_:)``.
public struct PluginOptions: Sendable, Equatable {
    /// Every declared option's value, by name.
    public private(set) var values: [String: PluginOptionValue]
    /// The id of the plugin these options were resolved for (used in messages).
    public let pluginID: String

    /// Checks `given` against `descriptor`: refuses unknown names (with a did-you-mean), values of
    /// the wrong type or out of range (with the option's range), and missing options that have no
    /// default; fills in the defaults of the others.
    public static func resolve(_ given: [String: PluginOptionValue], for descriptor: PluginDescriptor) throws -> PluginOptions {
        let what = "\(descriptor.kind) '\(descriptor.id)'"
        for name in given.keys.sorted() where descriptor.option(named: name) == nil {
            let names = descriptor.options.map(\.name)
            if names.isEmpty {
                throw EmoMusikError(.plugin, "\(what) takes no options, but '\(name)' was given")
            }
            let suggestion = closestMatch(to: name, among: names).map { "; did you mean '\($0)'?" } ?? ""
            throw EmoMusikError(
                .plugin, "unknown option '\(name)' for \(what)\(suggestion)",
                hint: "\(descriptor.id) takes: \(names.joined(separator: ", "))")
        }
        var values: [String: PluginOptionValue] = [:]
        for option in descriptor.options {
            guard let value = given[option.name] ?? option.defaultValue else {
                throw EmoMusikError(
                    .plugin, "\(what) needs option '\(option.name)' (\(option.expected)): \(option.help)")
            }
            if let problem = option.check(value) {
                throw EmoMusikError(.plugin, "\(what): \(problem)", hint: option.help)
            }
            // An integer given for a number option is stored as a number, so accessors need not care.
            if option.type == .number, case .integer(let n) = value {
                values[option.name] = .number(Double(n))
            } else {
                values[option.name] = value
            }
        }
        return PluginOptions(values: values, pluginID: descriptor.id)
    }

    /// The descriptor's defaults (fails only if the descriptor lacks a default for some option).
    public static func defaults(for descriptor: PluginDescriptor) throws -> PluginOptions {
        try resolve([:], for: descriptor)
    }

    private func value(_ name: String) -> PluginOptionValue {
        guard let value = values[name] else {
            preconditionFailure(
                "plugin '\(pluginID)' read option '\(name)', which its descriptor does not declare"
                    + " (declared: \(values.keys.sorted().joined(separator: ", ")))")
        }
        return value
    }

    /// A `.number` or `.integer` option's value.
    public func number(_ name: String) -> Double {
        guard let x = value(name).numericValue else {
            preconditionFailure("plugin '\(pluginID)' read option '\(name)' as a number, but it is \(value(name))")
        }
        return x
    }

    /// An `.integer` option's value.
    public func integer(_ name: String) -> Int {
        guard case .integer(let n) = value(name) else {
            preconditionFailure("plugin '\(pluginID)' read option '\(name)' as an integer, but it is \(value(name))")
        }
        return n
    }

    /// A `.boolean` option's value.
    public func bool(_ name: String) -> Bool {
        guard case .boolean(let b) = value(name) else {
            preconditionFailure("plugin '\(pluginID)' read option '\(name)' as a boolean, but it is \(value(name))")
        }
        return b
    }

    /// A `.string` or `.choice` option's value.
    public func string(_ name: String) -> String {
        guard case .string(let s) = value(name) else {
            preconditionFailure("plugin '\(pluginID)' read option '\(name)' as text, but it is \(value(name))")
        }
        return s
    }
}
