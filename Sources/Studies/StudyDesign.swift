import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets

/// What leads the music in one arm of a study: a strategy plugin with its defaults, or a
/// therapist preset (which names its own strategy, target, lead rate and safety envelope).
public enum StudyArm: Sendable, Hashable, CustomStringConvertible {
    case strategy(id: String)
    /// `name` as written in the study file, `path` the preset file it resolved to.
    case preset(name: String, path: String, preset: Preset)

    /// The strategy that decides what the music expresses (a preset's own strategy for a preset).
    public var strategyID: String {
        switch self {
        case .strategy(let id): id
        case .preset(_, _, let preset): preset.strategy.id
        }
    }

    /// The preset's name as written in the study file, or "" for a bare strategy.
    public var presetName: String {
        switch self {
        case .strategy: ""
        case .preset(let name, _, _): name
        }
    }

    public var description: String {
        switch self {
        case .strategy(let id): "strategy \(id)"
        case .preset(let name, _, _): "preset \(name)"
        }
    }
}

/// One condition of a study: the intended emotion (played as the child's affect), what leads
/// the music, and the composer's seed.
public struct StudyCondition: Sendable, Hashable, CustomStringConvertible {
    public var emotion: Emotion
    public var arm: StudyArm
    public var seed: UInt64

    public init(emotion: Emotion, arm: StudyArm, seed: UInt64) {
        self.emotion = emotion
        self.arm = arm
        self.seed = seed
    }

    public var description: String { "\(emotion) × \(arm) × seed \(seed)" }
}

/// A blind rating study as designed in a YAML file (see `examples/study.yaml`).
public struct StudyDesign: Sendable {
    /// The file it was read from (relative paths in it start at its folder).
    public var file: String
    public var name: String
    public var description: String
    /// Every clip is exactly this long.
    public var clipSeconds: Double
    public var emotions: [Emotion]
    public var arms: [StudyArm]
    public var seeds: [UInt64]
    public var raters: Int
    /// The Likert scale of rhythm match and emotion match.
    public var scale: ClosedRange<Int>
    /// Resolved against the study file's folder; nil to use each preset's soundfont or the default.
    public var soundfont: String?
    public var sampleRate: Int
    /// The integrated loudness every clip is normalised to (lowered if a clip would otherwise peak
    /// above ``peakCeilingDBFS``).
    public var loudnessTarget: Double

    /// The highest sample peak any clip may have after loudness normalisation.
    public static let peakCeilingDBFS = -1.0

    public init(
        file: String, name: String, description: String = "", clipSeconds: Double, emotions: [Emotion], arms: [StudyArm],
        seeds: [UInt64], raters: Int, scale: ClosedRange<Int> = 1...7, soundfont: String? = nil, sampleRate: Int = 44100,
        loudnessTarget: Double = -23
    ) {
        self.file = file
        self.name = name
        self.description = description
        self.clipSeconds = clipSeconds
        self.emotions = emotions
        self.arms = arms
        self.seeds = seeds
        self.raters = raters
        self.scale = scale
        self.soundfont = soundfont
        self.sampleRate = sampleRate
        self.loudnessTarget = loudnessTarget
    }

    /// Every condition: intended emotions × arms × seeds, in that nesting order.
    public var conditions: [StudyCondition] {
        emotions.flatMap { emotion in
            arms.flatMap { arm in seeds.map { StudyCondition(emotion: emotion, arm: arm, seed: $0) } }
        }
    }

    /// The YAML keys of each mapping.
    public enum Keys {
        public static let top = [
            "name", "description", "clip-length", "conditions", "raters", "scale", "soundfont", "sample-rate",
            "loudness-target",
        ]
        public static let conditions = ["emotions", "strategies", "presets", "seeds"]
        public static let scale = ["min", "max"]
    }

    /// Allowed ranges.
    public enum Limits {
        public static let clipSeconds: ClosedRange<Double> = 1...600
        public static let raters: ClosedRange<Int> = 1...999
        public static let scaleBounds: ClosedRange<Int> = 0...100
        public static let loudnessTarget: ClosedRange<Double> = -60...(-6)
        public static let clips: ClosedRange<Int> = 1...10_000
    }
}

/// Every problem found in a study file or in a study's data files, thrown together: validation
/// never stops at the first. Each issue names file, line, column and field.
public struct StudyValidationError: Error, Sendable, CustomStringConvertible {
    public var issues: [PresetIssue]

    public init(issues: [PresetIssue]) {
        precondition(!issues.isEmpty, "a validation error has at least one issue")
        self.issues = issues
    }

    /// One issue per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
