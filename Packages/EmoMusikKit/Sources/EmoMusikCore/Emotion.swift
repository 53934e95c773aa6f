import Foundation

/// The seven basic emotion classes of the standard posed facial-expression datasets.
/// The order is the order of probability vectors everywhere in EmoMusik.
public enum Emotion: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case neutral, happiness, sadness, anger, fear, surprise, disgust

    /// The class's point on Russell's circumplex (after Russell 1980 and the placements used in
    /// music-emotion work: happy high valence and moderately high arousal, sad low both, anger and
    /// fear unpleasant and aroused, surprise aroused and near-neutral valence, disgust unpleasant
    /// and mildly aroused).
    public var affect: Affect {
        switch self {
        case .neutral: Affect(valence: 0.0, arousal: 0.0)
        case .happiness: Affect(valence: 0.8, arousal: 0.5)
        case .sadness: Affect(valence: -0.7, arousal: -0.6)
        case .anger: Affect(valence: -0.6, arousal: 0.8)
        case .fear: Affect(valence: -0.8, arousal: 0.6)
        case .surprise: Affect(valence: 0.3, arousal: 0.85)
        case .disgust: Affect(valence: -0.65, arousal: 0.25)
        }
    }

    public var description: String { rawValue }

    /// Parses a class name, case-insensitively, also accepting the common adjective forms
    /// (`happy`, `sad`, `angry`, `afraid`, `surprised`, `disgusted`).
    public init?(name: String) {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        let aliases: [String: Emotion] = [
            "happy": .happiness, "joy": .happiness, "sad": .sadness, "angry": .anger,
            "afraid": .fear, "scared": .fear, "fearful": .fear, "surprised": .surprise,
            "disgusted": .disgust, "calm": .neutral,
        ]
        if let emotion = Emotion(rawValue: key) ?? aliases[key] {
            self = emotion
        } else {
            return nil
        }
    }

    /// The emotion a misspelt name most plausibly meant, for "did you mean" hints.
    public static func closest(to name: String) -> Emotion? {
        closestMatch(to: name, among: allCases.map(\.rawValue)).flatMap(Emotion.init(rawValue:))
    }

    /// The expected affect of a probability vector over ``allCases`` (normalised if it does not sum to 1).
    public static func expectedAffect(probabilities: [Double]) -> Affect {
        precondition(probabilities.count == allCases.count, "expected \(allCases.count) probabilities")
        let total = probabilities.reduce(0, +)
        guard total > 0 else { return .neutral }
        var valence = 0.0
        var arousal = 0.0
        for (emotion, p) in zip(allCases, probabilities) {
            valence += p / total * emotion.affect.valence
            arousal += p / total * emotion.affect.arousal
        }
        return Affect(valence: valence, arousal: arousal)
    }
}

/// The candidate `value` most plausibly meant, for "did you mean" hints: the nearest by edit
/// distance, case-insensitively, where a candidate that starts the value or that the value starts
/// (both at least three letters) counts as one edit; nil when even the nearest is more than
/// `max(2, value.count / 3)` edits away.
public func closestMatch(to value: String, among candidates: [String]) -> String? {
    let value = value.lowercased()
    let scored = candidates.map { candidate -> (candidate: String, distance: Int) in
        let c = candidate.lowercased()
        let prefix = c.count >= 3 && value.count >= 3 && (value.hasPrefix(c) || c.hasPrefix(value))
        return (candidate, prefix ? 1 : editDistance(c, value))
    }
    guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= max(2, value.count / 3) else {
        return nil
    }
    return best.candidate
}

/// Levenshtein distance, for suggestions in error messages.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
