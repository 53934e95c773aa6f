import EmoMusikCore
import Foundation

/// How a confidence interval was made.
public enum IntervalMethod: String, Sendable, Codable, CaseIterable {
    /// The α/2 and 1−α/2 quantiles of the bootstrap replicates.
    case percentile
    /// Bias-corrected and accelerated percentiles (Efron 1987).
    case bca
}

/// A point estimate with a confidence interval.
public struct Estimate: Sendable, Equatable, Codable {
    public var value: Double
    public var lower: Double
    public var upper: Double
    public var method: IntervalMethod
    /// The coverage the interval aims at, e.g. 0.95.
    public var level: Double

    public init(value: Double, lower: Double, upper: Double, method: IntervalMethod, level: Double = 0.95) {
        self.value = value
        self.lower = lower
        self.upper = upper
        self.method = method
        self.level = level
    }
}

/// A seeded nonparametric bootstrap over a statistic of resampled indices.
///
/// The statistic receives the indices of one resample (with repeats) into the caller's data and
/// returns one number: `{ idx in idx.map { x[$0] }.reduce(0, +) / Double(idx.count) }` is the mean.
/// Called on the caller's thread, sequentially: B times for the replicates, then once per
/// observation (or cluster) for the jackknife that BCa needs.
///
/// With clusters (e.g. a subject or rater per observation) whole clusters are drawn with
/// replacement and all their observations go into the resample together; the jackknife then leaves
/// out one cluster at a time.
public struct Bootstrap: Sendable {
    /// B, the number of resamples.
    public var resamples: Int
    /// The SplitMix64 seed; the same seed and data give the same replicates.
    public var seed: UInt64
    /// The interval's coverage, 0 < level < 1.
    public var level: Double
    /// The most jackknife evaluations of the statistic. With more units than this, unit u goes to
    /// group u mod `jackknifeLimit` and the jackknife leaves out one group at a time: the
    /// acceleration formula estimates the same quantity (the third cumulant of the influence
    /// values scales the same way), at a cost of `jackknifeLimit` evaluations instead of n.
    public var jackknifeLimit: Int

    public init(resamples: Int = 2000, seed: UInt64 = 1, level: Double = 0.95, jackknifeLimit: Int = 1000) {
        precondition(resamples >= 2, "a bootstrap needs at least 2 resamples, got \(resamples)")
        precondition(level > 0 && level < 1, "the confidence level must lie strictly between 0 and 1, got \(level)")
        precondition(jackknifeLimit >= 3, "the jackknife needs at least 3 groups, got \(jackknifeLimit)")
        self.resamples = resamples
        self.seed = seed
        self.level = level
        self.jackknifeLimit = jackknifeLimit
    }

    /// Resamples `count` independent observations.
    public func run(count: Int, statistic: ([Int]) -> Double) -> BootstrapResult {
        precondition(count >= 1, "a bootstrap needs at least one observation")
        return run(units: (0..<count).map { [$0] }, clustered: false, statistic: statistic)
    }

    /// Resamples whole clusters: `clusters[i]` names the cluster of observation i.
    public func run<Cluster: Hashable>(clusters: [Cluster], statistic: ([Int]) -> Double) -> BootstrapResult {
        precondition(!clusters.isEmpty, "a bootstrap needs at least one observation")
        var order: [Cluster: Int] = [:]
        var units: [[Int]] = []
        for (i, cluster) in clusters.enumerated() {
            if let u = order[cluster] {
                units[u].append(i)
            } else {
                order[cluster] = units.count
                units.append([i])
            }
        }
        return run(units: units, clustered: true, statistic: statistic)
    }

    /// The indices of each resample, exactly as `run` draws them (for inspection and tests).
    public func resampleIndices<Cluster: Hashable>(clusters: [Cluster]) -> [[Int]] {
        var order: [Cluster: Int] = [:]
        var units: [[Int]] = []
        for (i, cluster) in clusters.enumerated() {
            if let u = order[cluster] { units[u].append(i) } else { order[cluster] = units.count; units.append([i]) }
        }
        var generator = SplitMix64(seed: seed)
        return (0..<resamples).map { _ in draw(units: units, using: &generator) }
    }

    private func draw(units: [[Int]], using generator: inout SplitMix64) -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(units.count == 0 ? 0 : units.count * units[0].count)
        for _ in 0..<units.count {
            indices.append(contentsOf: units[generator.nextIndex(below: units.count)])
        }
        return indices
    }

    private func run(units: [[Int]], clustered: Bool, statistic: ([Int]) -> Double) -> BootstrapResult {
        let all = units.flatMap { $0 }
        let estimate = statistic(all)
        var generator = SplitMix64(seed: seed)
        var replicates: [Double] = []
        replicates.reserveCapacity(resamples)
        var nonFinite = 0
        for _ in 0..<resamples {
            let value = statistic(draw(units: units, using: &generator))
            if value.isFinite { replicates.append(value) } else { nonFinite += 1 }
        }
        replicates.sort()

        // Jackknife over units (or groups of units, beyond jackknifeLimit), for the acceleration.
        var jackknife: [Double] = []
        if units.count >= 3 {
            let groups = min(units.count, jackknifeLimit)
            jackknife.reserveCapacity(groups)
            for leftOut in 0..<groups {
                var indices: [Int] = []
                indices.reserveCapacity(all.count)
                for (u, unit) in units.enumerated() where u % groups != leftOut { indices.append(contentsOf: unit) }
                jackknife.append(statistic(indices))
            }
        }
        return BootstrapResult(
            estimate: estimate, sortedReplicates: replicates, nonFiniteReplicates: nonFinite,
            jackknife: jackknife, level: level, resamples: resamples, seed: seed,
            units: units.count, clustered: clustered)
    }
}

/// The outcome of a bootstrap: the estimate on the full data, the replicates, and both intervals.
public struct BootstrapResult: Sendable {
    /// The statistic on the original data.
    public let estimate: Double
    /// The finite replicates, sorted ascending.
    public let sortedReplicates: [Double]
    /// Replicates that came out NaN or infinite (e.g. a resample without both classes); they are
    /// left out of the intervals.
    public let nonFiniteReplicates: Int
    /// Leave-one-unit-out values of the statistic (leave-one-group-out beyond the bootstrap's
    /// `jackknifeLimit`; empty with fewer than 3 units).
    public let jackknife: [Double]
    public let level: Double
    public let resamples: Int
    public let seed: UInt64
    /// Observations or clusters resampled.
    public let units: Int
    public let clustered: Bool

    /// The standard deviation of the replicates (the bootstrap standard error).
    public var standardError: Double {
        let n = Double(sortedReplicates.count)
        guard n > 1 else { return .nan }
        let mean = sortedReplicates.reduce(0, +) / n
        return (sortedReplicates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
    }

    /// The percentile interval: the (1−level)/2 and (1+level)/2 quantiles of the replicates,
    /// linearly interpolated between order statistics (numpy's default, Hyndman & Fan type 7).
    public var percentile: Estimate {
        let alpha = 1 - level
        return Estimate(
            value: estimate,
            lower: Self.quantile(sortedReplicates, alpha / 2),
            upper: Self.quantile(sortedReplicates, 1 - alpha / 2),
            method: .percentile, level: level)
    }

    /// The bias correction z0 = Φ⁻¹(proportion of replicates below the estimate), where a
    /// replicate equal to the estimate counts one half (for continuous statistics this is the
    /// plain proportion below; for discrete ones such as a median or an accuracy it removes the
    /// bias that counting ties as "not below" would add).
    public var biasCorrection: Double {
        guard !sortedReplicates.isEmpty else { return .nan }
        var below = 0.0
        for value in sortedReplicates {
            if value < estimate { below += 1 } else if value == estimate { below += 0.5 } else { break }
        }
        return Normal.quantile(below / Double(sortedReplicates.count))
    }

    /// The acceleration a = Σ d³ / (6 (Σ d²)^{3/2}), d = mean(jackknife) − jackknife value
    /// (Efron 1987, eq. 6.6); 0 when the jackknife values do not vary or there are fewer than 3 units.
    public var acceleration: Double {
        guard jackknife.count >= 3 else { return 0 }
        let mean = jackknife.reduce(0, +) / Double(jackknife.count)
        var s2 = 0.0
        var s3 = 0.0
        for value in jackknife {
            let d = mean - value
            s2 += d * d
            s3 += d * d * d
        }
        guard s2 > 0 else { return 0 }
        return s3 / (6 * pow(s2, 1.5))
    }

    /// Why the BCa interval cannot be formed, or nil when it can.
    public var bcaUnavailableReason: String? {
        if sortedReplicates.isEmpty { return "no finite bootstrap replicates" }
        if !biasCorrection.isFinite {
            return "every bootstrap replicate lies on one side of the estimate, so the bias correction is infinite"
        }
        if !acceleration.isFinite { return "the jackknife acceleration is not finite" }
        return nil
    }

    /// The BCa interval: the replicates' quantiles at
    /// α_j = Φ(z0 + (z0 + z_j) / (1 − a (z0 + z_j))) for z_j = Φ⁻¹((1∓level)/2);
    /// nil when ``bcaUnavailableReason`` is set.
    public var bca: Estimate? {
        guard bcaUnavailableReason == nil else { return nil }
        let z0 = biasCorrection
        let a = acceleration
        let alpha = 1 - level
        func adjusted(_ p: Double) -> Double {
            let z = Normal.quantile(p)
            let denominator = 1 - a * (z0 + z)
            guard denominator > 0 else { return p < 0.5 ? 0 : 1 }
            return Normal.cdf(z0 + (z0 + z) / denominator)
        }
        return Estimate(
            value: estimate,
            lower: Self.quantile(sortedReplicates, adjusted(alpha / 2)),
            upper: Self.quantile(sortedReplicates, adjusted(1 - alpha / 2)),
            method: .bca, level: level)
    }

    /// The interval by `method`; BCa falls back to percentile when it cannot be formed (the
    /// returned estimate's `method` says which was used).
    public func interval(_ method: IntervalMethod) -> Estimate {
        switch method {
        case .percentile: return percentile
        case .bca: return bca ?? percentile
        }
    }

    /// The p-quantile of sorted values with linear interpolation (type 7).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = min(max(p, 0), 1) * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}

/// Statistics of a sample given as resampled indices, for use with ``Bootstrap``.
public enum SampleStatistic: String, Sendable, CaseIterable, Codable {
    case mean
    case median

    /// The statistic of `values[indices]`.
    public func callAsFunction(_ values: [Double], _ indices: [Int]) -> Double {
        guard !indices.isEmpty else { return .nan }
        switch self {
        case .mean:
            var sum = 0.0
            for i in indices { sum += values[i] }
            return sum / Double(indices.count)
        case .median:
            let sorted = indices.map { values[$0] }.sorted()
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
        }
    }
}
