import EmoMusikCore

/// One smoothed affect observation of the child.
public struct AffectSample: Sendable, Equatable, Codable {
    /// Seconds since the start of the session.
    public var time: Double
    public var affect: Affect
    /// How much to trust it, in 0...1.
    public var confidence: Double

    public init(time: Double, affect: Affect, confidence: Double = 1) {
        self.time = time
        self.affect = affect
        self.confidence = confidence
    }
}

/// Where a session should lead the child, from the preset.
public struct SessionGoal: Sendable, Equatable, Codable {
    /// The affect the session aims for.
    public var target: Affect
    /// Where to rest when nothing is known about the child (no face yet).
    public var neutral: Affect
    /// The fastest the music may move toward ``target``, in affect units (Euclidean distance on the
    /// circumplex) per minute.
    public var leadRate: Double

    public init(target: Affect, neutral: Affect = .neutral, leadRate: Double = 0.2) {
        self.target = target
        self.neutral = neutral
        self.leadRate = leadRate
    }
}

/// What a strategy may know about the child across sessions (an adaptive strategy's learnt values).
public struct ChildProfile: Sendable, Equatable, Codable {
    public var id: String
    public var values: [String: Double]

    public init(id: String, values: [String: Double] = [:]) {
        self.id = id
        self.values = values
    }

    /// A profile for a child nothing is known about.
    public static let anonymous = ChildProfile(id: "anonymous")
}

/// Everything a strategy sees when asked for a decision.
public struct StrategyContext: Sendable, Equatable {
    /// Seconds since the start of the session.
    public var now: Double
    /// Recent smoothed affect samples, oldest first (may be empty: no face seen yet).
    public var history: [AffectSample]
    public var goal: SessionGoal
    public var profile: ChildProfile

    public init(now: Double, history: [AffectSample], goal: SessionGoal, profile: ChildProfile = .anonymous) {
        self.now = now
        self.history = history
        self.goal = goal
        self.profile = profile
    }

    /// The child's latest affect, or nil when no face has been seen.
    public var current: Affect? { history.last?.affect }
}

/// The pitch material the composer should draw on.
public enum ScalePalette: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The full seven-note mode chosen from the affect.
    case diatonic
    /// Five notes without semitones: nothing can clash, gentle for sensitive listeners.
    case pentatonic

    public var description: String { rawValue }
}

/// A strategy's decision: the affect the music should express now, and hints for the composer.
public struct MusicalTarget: Sendable, Equatable, Codable {
    public var affect: Affect
    public var palette: ScalePalette
    /// Whether drums should play; nil leaves it to the composer (and the preset's envelope).
    public var percussion: Bool?
    /// Why, in a few words, for the session log (`"leading toward target"`).
    public var reason: String

    public init(affect: Affect, palette: ScalePalette = .diatonic, percussion: Bool? = nil, reason: String) {
        self.affect = affect
        self.palette = palette
        self.percussion = percussion
        self.reason = reason
    }
}

/// The session's recent affect, the goal and the child's profile in, the music's target affect out.
/// One instance serves one session; the host creates it on the control thread, then calls
/// ``recommend(_:)`` and ``reset()`` from the session thread only, at beat or bar boundaries.
///
/// Implement `descriptor`, `init(options:)` and `recommend(_:)`; `reset()` has a default that does nothing.
public protocol RecommenderStrategy: AnyObject {
    /// [any thread] Who the plugin is and which options it takes; read without creating an instance.
    static var descriptor: PluginDescriptor { get }

    /// [control thread] Creates the strategy from options already resolved against ``descriptor``.
    init(options: PluginOptions) throws

    /// [session thread] Decides what the music should express now. Called with `now` never going
    /// backwards; must not block (no I/O, no waiting).
    func recommend(_ context: StrategyContext) -> MusicalTarget

    /// [session thread] Forgets all state (a new session starts).
    func reset()
}

extension RecommenderStrategy {
    public func reset() {}
    public var descriptor: PluginDescriptor { Self.descriptor }
}

/// A strategy that learns about the child across sessions. The host loads the child's profile
/// into ``StrategyContext/profile`` when the session starts and saves ``learnedProfile`` when it
/// ends (atomically, from the control thread), so the next session starts where this one left off.
public protocol LearningStrategy: RecommenderStrategy {
    /// [control thread, after the session] The profile the session started from, with what this
    /// session taught added.
    var learnedProfile: ChildProfile { get }
}
