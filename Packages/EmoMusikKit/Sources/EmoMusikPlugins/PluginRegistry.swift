import EmoMusikCore
import Foundation

/// Where a plugin came from.
public enum PluginSource: Sendable, Hashable, CustomStringConvertible {
    /// Compiled into emomusik.
    case builtIn
    /// Loaded from a dynamic library at this path.
    case library(String)

    /// `built-in` or the library's path.
    public var description: String {
        switch self {
        case .builtIn: "built-in"
        case .library(let path): path
        }
    }
}

/// A registered plugin, as `emomusik plugins list` shows it.
public struct PluginEntry: Sendable, Equatable {
    public var descriptor: PluginDescriptor
    public var source: PluginSource

    public var id: String { descriptor.id }
    public var kind: PluginKind { descriptor.kind }
    public var version: String { descriptor.version }
    /// `ready` for every registered plugin: anything that could not be used was refused at
    /// registration and appears in ``PluginRegistry/failures`` instead.
    public var status: String { "ready" }
}

/// A library that was found but skipped, and why.
public struct PluginLoadFailure: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// One plugin type on its way into the registry.
public enum PluginType {
    case strategy(any RecommenderStrategy.Type)
    case recognizer(any EmotionRecognizer.Type)

    public var descriptor: PluginDescriptor {
        switch self {
        case .strategy(let type): type.descriptor
        case .recognizer(let type): type.descriptor
        }
    }

    var kind: PluginKind {
        switch self {
        case .strategy: .strategy
        case .recognizer: .recognizer
        }
    }
}

/// Every recognizer and strategy the host can use, by id, with where each came from and which
/// libraries were skipped. Filled on the control thread at start-up (built-ins, then external
/// libraries through ``PluginLoader``); afterwards any thread may look plugins up and create
/// instances. A lock guards the tables, so the registry is safe to share.
public final class PluginRegistry: @unchecked Sendable {
    private struct Registered {
        var type: PluginType
        var entry: PluginEntry
    }

    private let lock = NSLock()
    private var registered: [Registered] = []
    private var failureList: [PluginLoadFailure] = []
    private var loadedPaths: Set<String> = []

    public init() {}

    // MARK: Registering

    /// Registers a strategy. Refuses an id that is already taken (naming both sources) and a
    /// descriptor that contradicts itself (wrong kind, malformed id, a default its own check refuses).
    public func register(strategy type: any RecommenderStrategy.Type, source: PluginSource = .builtIn) throws {
        try register([.strategy(type)], source: source)
    }

    /// Registers a recognizer; see ``register(strategy:source:)``.
    public func register(recognizer type: any EmotionRecognizer.Type, source: PluginSource = .builtIn) throws {
        try register([.recognizer(type)], source: source)
    }

    /// Registers several plugins from one source, all or none.
    public func register(_ types: [PluginType], source: PluginSource) throws {
        lock.lock()
        defer { lock.unlock() }
        var batch: [Registered] = []
        for type in types {
            let descriptor = type.descriptor
            try Self.validate(descriptor, as: type.kind, from: source)
            if let existing = (registered + batch).first(where: { $0.entry.id == descriptor.id }) {
                let sameSource = existing.entry.source == source
                throw EmoMusikError(
                    .plugin,
                    "plugin id '\(descriptor.id)' from \(source) is already registered by \(existing.entry.source)"
                        + (sameSource ? " (it registers the id twice)" : ""),
                    hint: "plugin ids must be unique; remove one of the two, or give one a different id")
            }
            batch.append(Registered(type: type, entry: PluginEntry(descriptor: descriptor, source: source)))
        }
        registered += batch
    }

    private static func validate(_ descriptor: PluginDescriptor, as kind: PluginKind, from source: PluginSource) throws {
        let id = descriptor.id
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-._")
        guard !id.isEmpty, id.allSatisfy({ allowed.contains($0) }), id.first!.isLetter else {
            throw EmoMusikError(
                .plugin, "plugin id '\(id)' from \(source) is not a valid id",
                hint: "ids start with a letter and use lower-case letters, digits, '-', '.' and '_' (iso-principle, org.example.calm)")
        }
        guard descriptor.kind == kind else {
            throw EmoMusikError(
                .plugin, "plugin '\(id)' from \(source) is a \(kind) type but its descriptor says \(descriptor.kind)")
        }
        var seen: Set<String> = []
        for option in descriptor.options {
            guard seen.insert(option.name).inserted else {
                throw EmoMusikError(.plugin, "plugin '\(id)' from \(source) declares option '\(option.name)' twice")
            }
            if let value = option.defaultValue, let problem = option.check(value) {
                throw EmoMusikError(.plugin, "plugin '\(id)' from \(source) has an invalid default: \(problem)")
            }
        }
    }

    /// Notes a library that was skipped (shown by `emomusik plugins list`).
    public func recordFailure(path: String, reason: String) {
        lock.lock()
        defer { lock.unlock() }
        failureList.append(PluginLoadFailure(path: path, reason: reason))
    }

    /// Marks a library path as handled; false if it was handled before (the loader skips it).
    func claimLibrary(_ path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return loadedPaths.insert(path).inserted
    }

    // MARK: Looking up

    /// Registered plugins, recognizers first, then strategies, each sorted by id.
    public var entries: [PluginEntry] {
        lock.lock()
        defer { lock.unlock() }
        return registered.map(\.entry).sorted {
            ($0.kind == .recognizer ? 0 : 1, $0.id) < ($1.kind == .recognizer ? 0 : 1, $1.id)
        }
    }

    /// Libraries that were found but skipped, in the order they were tried.
    public var failures: [PluginLoadFailure] {
        lock.lock()
        defer { lock.unlock() }
        return failureList
    }

    /// The entry with this id, of any kind.
    public func entry(id: String) -> PluginEntry? {
        lock.lock()
        defer { lock.unlock() }
        return registered.first { $0.entry.id == id }?.entry
    }

    /// The descriptor of the plugin of `kind` with this id; an unknown id gets the closest known
    /// one of that kind, and an id of the other kind says so.
    public func descriptor(id: String, kind: PluginKind) throws -> PluginDescriptor {
        try find(id: id, kind: kind).entry.descriptor
    }

    private func find(id: String, kind: PluginKind) throws -> Registered {
        lock.lock()
        defer { lock.unlock() }
        if let found = registered.first(where: { $0.entry.id == id }) {
            guard found.entry.kind == kind else {
                throw EmoMusikError(
                    .plugin, "'\(id)' is a \(found.entry.kind) plugin, not a \(kind)",
                    hint: "run 'emomusik plugins list' to see the \(kind) plugins")
            }
            return found
        }
        let ids = registered.filter { $0.entry.kind == kind }.map(\.entry.id)
        let closest = closestMatch(to: id, among: ids)
        throw EmoMusikError(
            .plugin,
            "no \(kind) plugin '\(id)'" + (closest.map { "; did you mean '\($0)'?" } ?? ""),
            hint: "installed \(kind) plugins: \(ids.isEmpty ? "none" : ids.joined(separator: ", "))."
                + " Run 'emomusik plugins list' to see what was found and what was skipped")
    }

    /// Creates the strategy `id` with `options` checked against its descriptor.
    public func makeStrategy(id: String, options: [String: PluginOptionValue] = [:]) throws -> any RecommenderStrategy {
        let found = try find(id: id, kind: .strategy)
        guard case .strategy(let type) = found.type else { preconditionFailure("strategy entry '\(id)' holds another kind") }
        return try type.init(options: PluginOptions.resolve(options, for: found.entry.descriptor))
    }

    /// Creates the recognizer `id` with `options` checked against its descriptor.
    public func makeRecognizer(id: String, options: [String: PluginOptionValue] = [:]) throws -> any EmotionRecognizer {
        let found = try find(id: id, kind: .recognizer)
        guard case .recognizer(let type) = found.type else { preconditionFailure("recognizer entry '\(id)' holds another kind") }
        return try type.init(options: PluginOptions.resolve(options, for: found.entry.descriptor))
    }
}
