import EmoMusikCore
import Foundation
import Statistics
import Testing

/// Normal deviates from SplitMix64 by Box–Muller, for test data.
func normalSample(count: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let u1 = max(generator.nextUnit(), 1e-300)
        let u2 = generator.nextUnit()
        return mean + sd * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

func mean(_ values: [Double], _ indices: [Int]) -> Double { SampleStatistic.mean(values, indices) }

@Suite struct BootstrapTests {
    @Test func percentileIntervalOfANormalMeanIsMeanPlusMinus196StandardErrors() {
        let x = normalSample(count: 1500, mean: 10, sd: 3, seed: 11)
        let n = Double(x.count)
        let m = x.reduce(0, +) / n
        let s = (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot()
        let halfWidth = 1.959964 * s / n.squareRoot()
        let result = Bootstrap(resamples: 2000, seed: 3).run(count: x.count) { mean(x, $0) }
        let interval = result.percentile
        #expect(interval.value == m)
        // Monte Carlo error of a 2.5 % quantile from 2000 resamples is about 4 % of the half-width.
        expectClose(interval.lower, m - halfWidth, absolute: 0.12 * halfWidth, "lower")
        expectClose(interval.upper, m + halfWidth, absolute: 0.12 * halfWidth, "upper")
        expectClose(result.standardError, s / n.squareRoot(), relative: 0.08, "bootstrap standard error")
        // For a nearly symmetric statistic BCa hardly moves.
        let bca = result.bca!
        expectClose(bca.lower, interval.lower, absolute: 0.1 * halfWidth, "BCa lower ≈ percentile")
    }

    @Test func bcaShiftsRightForARightSkewedMeanAndMatchesScipy() throws {
        let table = try CSVTable.load(path: fixturePath("exponential_40.csv"))
        let x = try table.numbers(column: "value")
        let ref = reference["bootstrapExponential40"] as! [String: Any]
        let result = Bootstrap(resamples: 20_000, seed: 5).run(count: x.count) { mean(x, $0) }
        expectClose(result.estimate, double(ref, "mean"), relative: 1e-12, "mean")
        // The jackknife acceleration is deterministic: exact agreement with numpy.
        expectClose(result.acceleration, double(ref, "acceleration"), relative: 1e-9, "acceleration")
        let percentile = result.percentile
        let bca = try #require(result.bca)
        // Right skew: BCa moves both ends up relative to the percentile interval.
        #expect(bca.lower > percentile.lower)
        #expect(bca.upper > percentile.upper)
        #expect(bca.method == .bca && percentile.method == .percentile)
        // Against scipy.stats.bootstrap with 100 000 resamples: Monte Carlo tolerance 3 % of the width.
        let refPercentile = ref["percentile"] as! [Double]
        let refBCa = ref["bca"] as! [Double]
        let width = refBCa[1] - refBCa[0]
        expectClose(percentile.lower, refPercentile[0], absolute: 0.03 * width, "percentile lower vs scipy")
        expectClose(percentile.upper, refPercentile[1], absolute: 0.03 * width, "percentile upper vs scipy")
        expectClose(bca.lower, refBCa[0], absolute: 0.03 * width, "BCa lower vs scipy")
        expectClose(bca.upper, refBCa[1], absolute: 0.03 * width, "BCa upper vs scipy")
    }

    @Test func sameSeedSameIntervalDifferentSeedDifferentInterval() {
        let x = normalSample(count: 200, mean: 0, sd: 1, seed: 9)
        let a = Bootstrap(resamples: 500, seed: 77).run(count: x.count) { mean(x, $0) }
        let b = Bootstrap(resamples: 500, seed: 77).run(count: x.count) { mean(x, $0) }
        let c = Bootstrap(resamples: 500, seed: 78).run(count: x.count) { mean(x, $0) }
        #expect(a.sortedReplicates == b.sortedReplicates)
        #expect(a.bca == b.bca && a.percentile == b.percentile)
        #expect(a.percentile != c.percentile)
    }

    @Test func clusterResamplingKeepsClustersIntact() {
        let clusters = ["a", "a", "b", "b", "b", "c", "d", "d"]
        let members = Dictionary(grouping: clusters.indices, by: { clusters[$0] })
        let bootstrap = Bootstrap(resamples: 300, seed: 4)
        let resamples = bootstrap.resampleIndices(clusters: clusters)
        var drawn: [[Int]] = []
        let result = bootstrap.run(clusters: clusters) { indices in
            drawn.append(indices)
            return Double(indices.count)
        }
        // The statistic sees the full data, then exactly these draws, then the jackknife.
        #expect(Array(drawn[1...300]) == resamples)
        #expect(result.units == 4 && result.clustered)
        var sawDifferentSizes = false
        for resample in resamples {
            var multiplicity: [Int: Int] = [:]
            for i in resample { multiplicity[i, default: 0] += 1 }
            // Every member of a drawn cluster appears as often as the others of its cluster.
            for (_, indices) in members {
                let counts = Set(indices.map { multiplicity[$0] ?? 0 })
                #expect(counts.count == 1, "a cluster was split: \(resample)")
            }
            // 4 clusters are drawn each time.
            let drawnClusters = members.values.reduce(0) { $0 + (multiplicity[$1[0]] ?? 0) }
            #expect(drawnClusters == 4)
            if resample.count != clusters.count { sawDifferentSizes = true }
        }
        #expect(sawDifferentSizes, "cluster sizes differ, so resample sizes must vary")
        // The jackknife leaves out one whole cluster at a time: 8 − 2, 8 − 3, 8 − 1, 8 − 2.
        #expect(result.jackknife.sorted() == [5, 6, 6, 7])
    }

    @Test func medianWithTiesAndDegenerateBCa() {
        let x: [Double] = [1, 2, 2, 2, 2, 3, 3, 4, 9, 2, 2, 5]
        let result = Bootstrap(resamples: 1000, seed: 1).run(count: x.count) { SampleStatistic.median(x, $0) }
        #expect(result.estimate == 2)
        let bca = result.interval(.bca)
        #expect(bca.method == .bca)
        #expect(bca.lower <= 2 && bca.upper >= 2)
        // A constant statistic: every replicate equals the estimate, z0 = 0, both intervals collapse.
        let constant = Bootstrap(resamples: 100, seed: 1).run(count: 5) { _ in 4 }
        #expect(constant.percentile.lower == 4 && constant.percentile.upper == 4)
        #expect(constant.interval(.bca).lower == 4 && constant.interval(.bca).method == .bca)
        // Only the original order scores 0; every resample scores 1, above the estimate: BCa's bias
        // correction is infinite, so BCa is unavailable and the fallback says so.
        let oneSided = Bootstrap(resamples: 100, seed: 1).run(count: 10) { $0 == Array(0..<10) ? 0 : 1 }
        #expect(oneSided.sortedReplicates.allSatisfy { $0 > oneSided.estimate })
        #expect(oneSided.bca == nil)
        #expect(oneSided.bcaUnavailableReason?.contains("one side") == true)
        #expect(oneSided.interval(.bca).method == .percentile)
    }
}

@Suite struct GroupedJackknifeTests {
    @Test func groupedJackknifeEstimatesTheSameAcceleration() {
        // Exponential(1) by inversion: the acceleration of the mean is about skewness/(6√n) = 2/(6√n).
        var generator = SplitMix64(seed: 21)
        let x = (0..<3000).map { _ in -log(1 - generator.nextUnit()) }
        let full = Bootstrap(resamples: 50, seed: 1, jackknifeLimit: 5000).run(count: x.count) { mean(x, $0) }
        let grouped = Bootstrap(resamples: 50, seed: 1, jackknifeLimit: 500).run(count: x.count) { mean(x, $0) }
        #expect(full.jackknife.count == 3000 && grouped.jackknife.count == 500)
        let expected = 2 / (6 * Double(x.count).squareRoot())
        expectClose(full.acceleration, expected, relative: 0.3, "full jackknife acceleration")
        expectClose(grouped.acceleration, full.acceleration, relative: 0.3, "grouped vs full acceleration")
        #expect(grouped.sortedReplicates == full.sortedReplicates)
    }
}
