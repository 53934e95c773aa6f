import Foundation

/// One forced-choice answer in a rating study: which emotion the rater heard in a clip made for
/// an intended emotion.
public struct MatchingRating: Sendable, Equatable {
    public var rater: String
    public var clip: String
    public var intended: String
    public var chosen: String
    /// The subgroup (e.g. intended emotion, strategy or preset), or nil.
    public var group: String?

    public init(rater: String, clip: String, intended: String, chosen: String, group: String? = nil) {
        self.rater = rater
        self.clip = clip
        self.intended = intended
        self.chosen = chosen
        self.group = group
    }

    /// Whether the choice names the intended emotion (case and surrounding spaces ignored).
    public var isMatch: Bool {
        intended.trimmingCharacters(in: .whitespaces).lowercased()
            == chosen.trimmingCharacters(in: .whitespaces).lowercased()
    }
}

/// What a matching-accuracy bootstrap resamples.
public enum ResamplingUnit: String, Sendable, CaseIterable, Codable {
    /// Whole raters with all their answers (generalises to other raters).
    case raters
    /// Whole clips with all their answers (generalises to other clips).
    case clips
    /// Single answers, as if independent.
    case ratings
}

/// Matching accuracy of one group of answers.
public struct GroupMatchingAccuracy: Sendable, Codable {
    /// The group's name, or "all" for the overall figure.
    public let group: String
    public let ratings: Int
    public let matches: Int
    /// Distinct units (raters, clips or ratings) that were resampled.
    public let units: Int
    public let accuracy: Estimate
}

/// Matching accuracy overall and per subgroup.
public struct MatchingAccuracyReport: Sendable, Codable {
    public let resampling: ResamplingUnit
    public let overall: GroupMatchingAccuracy
    /// One entry per subgroup, in the order the groups first appear; empty when no answer has a group.
    public let groups: [GroupMatchingAccuracy]
}

public enum MatchingAccuracy {
    /// The share of answers whose chosen emotion is the intended one, overall and for each
    /// subgroup, each with a bootstrap interval that resamples `resampling` units within the
    /// group (clusters kept intact) with the given seed.
    public static func analyze(
        _ ratings: [MatchingRating], resampling: ResamplingUnit = .raters,
        bootstrap: Bootstrap = Bootstrap(), method: IntervalMethod = .bca
    ) -> MatchingAccuracyReport {
        precondition(!ratings.isEmpty, "matching accuracy needs at least one rating")
        func measure(_ name: String, _ subset: [MatchingRating]) -> GroupMatchingAccuracy {
            let hits = subset.map { $0.isMatch ? 1.0 : 0.0 }
            let statistic: ([Int]) -> Double = { idx in
                var sum = 0.0
                for i in idx { sum += hits[i] }
                return sum / Double(idx.count)
            }
            let result: BootstrapResult
            switch resampling {
            case .raters: result = bootstrap.run(clusters: subset.map(\.rater), statistic: statistic)
            case .clips: result = bootstrap.run(clusters: subset.map(\.clip), statistic: statistic)
            case .ratings: result = bootstrap.run(count: subset.count, statistic: statistic)
            }
            return GroupMatchingAccuracy(
                group: name, ratings: subset.count, matches: Int(hits.reduce(0, +)),
                units: result.units, accuracy: result.interval(method))
        }
        var order: [String] = []
        var members: [String: [MatchingRating]] = [:]
        for rating in ratings {
            guard let group = rating.group else { continue }
            if members[group] == nil { order.append(group) }
            members[group, default: []].append(rating)
        }
        return MatchingAccuracyReport(
            resampling: resampling, overall: measure("all", ratings),
            groups: order.map { measure($0, members[$0]!) })
    }
}
