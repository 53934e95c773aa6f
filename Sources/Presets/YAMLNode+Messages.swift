import Yams

/// What every YAML file we read (presets, study files) needs to say about a value in an error.
extension Node {
    /// A YAML null: an empty, `~` or `null` plain scalar.
    public var isYAMLNull: Bool {
        guard let scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A plain (unquoted) scalar that YAML reads as a number.
    public var isPlainNumber: Bool {
        guard let scalar, scalar.style == .plain || scalar.style == .any else { return false }
        return int != nil || float != nil
    }

    /// How the value reads in an error message: `"loud"`, `12`, `true`, `a list`, `a mapping`, `nothing`.
    public var messageDescription: String {
        if isYAMLNull { return "nothing" }
        switch self {
        case .scalar(let scalar): return isPlainNumber || bool != nil && scalar.style == .plain ? scalar.string : "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
