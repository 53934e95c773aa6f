import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Testing

/// Per-landmark displacement (normalised face units) of the apex frame from the neutral face.
func apexDisplacement(_ sequence: LandmarkSequence) -> [SIMD2<Float>] {
    let (positions, observed) = NodeFeatures.filledPositions(sequence)!
    let neutral = NodeFeatures.neutral(positions: positions, observed: observed)
    let apex = BaselineFeatures.apexIndex(positions: positions, observed: observed)
    return zip(positions[apex], neutral).map { $0 - $1 }
}

/// Mean over landmarks of the displacement's length.
func meanDisplacement(_ d: [SIMD2<Float>]) -> Float {
    d.map { ($0.x * $0.x + $0.y * $0.y).squareRoot() }.reduce(0, +) / Float(d.count)
}

/// The mean apex displacement field of each class.
func classMeanDisplacements(_ dataset: LandmarkDataset) -> [Emotion: [SIMD2<Float>]] {
    var sums: [Emotion: [SIMD2<Float>]] = [:]
    var counts: [Emotion: Float] = [:]
    for sample in dataset.samples {
        let label = sample.sequence.label!
        let d = apexDisplacement(sample.sequence)
        sums[label] = zip(sums[label] ?? [SIMD2<Float>](repeating: .zero, count: 68), d).map { $0 + $1 }
        counts[label, default: 0] += 1
    }
    var means: [Emotion: [SIMD2<Float>]] = [:]
    for (label, sum) in sums { means[label] = sum.map { $0 / counts[label]! } }
    return means
}

/// Accuracy of nearest-centroid classification of apex displacements (fit on seed 1, test on seed 2).
func nearestCentroidAccuracy(_ domain: SyntheticDomain) -> Float {
    let generator = SyntheticExpressions(domain: domain, frames: 32)
    let feature = { (s: LandmarkSequence) in apexDisplacement(s).flatMap { [$0.x, $0.y] } }
    var centroids: [Emotion: [Float]] = [:]
    var counts: [Emotion: Float] = [:]
    for sample in generator.generate(count: 140, seed: 1).samples {
        let label = sample.sequence.label!
        centroids[label] = zip(centroids[label] ?? [Float](repeating: 0, count: 136), feature(sample.sequence)).map { $0 + $1 }
        counts[label, default: 0] += 1
    }
    for (label, sum) in centroids { centroids[label] = sum.map { $0 / counts[label]! } }
    let test = generator.generate(count: 140, seed: 2).samples
    let correct = test.filter { sample in
        let f = feature(sample.sequence)
        let distance = { (c: [Float]) in zip(c, f).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        return centroids.min { distance($0.value) < distance($1.value) }!.key == sample.sequence.label
    }.count
    return Float(correct) / Float(test.count)
}

/// FNV-1a, to pin the generator's output across machines.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}

@Suite("Synthetic expressions")
struct GeneratorTests {
    @Test func deterministicMathMatchesTheLibrary() {
        for k in -400...400 {
            let x = Double(k) * 0.0173
            #expect(abs(DeterministicMath.sin(x) - sin(x)) < 1e-14)
            #expect(abs(DeterministicMath.cos(x) - cos(x)) < 1e-14)
        }
        for x in [1e-300, 1e-9, 0.01, 0.3, 0.7071, 1, 1.5, 2, 10, 1e9, 1e300] {
            #expect(abs(DeterministicMath.log(x) - log(x)) <= 1e-14 * max(1, abs(log(x))))
        }
    }

    @Test func randomNumbersArePinned() {
        var rng = Xoshiro256(seed: 42)
        let first = (0..<3).map { _ in rng.next() }
        var again = Xoshiro256(seed: 42)
        #expect(first == (0..<3).map { _ in again.next() })
        var splitMix = SplitMix64(seed: 0)
        #expect(splitMix.next() == 0xE220_A839_7B1D_CDAF)  // the reference implementation's first output for seed 0
        var gaussian = Xoshiro256(seed: 7)
        let samples = (0..<20000).map { _ in gaussian.gaussian() }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.04)
    }

    @Test func deterministicForASeedAndDifferentAcrossSeeds() {
        for domain in SyntheticDomain.allCases {
            let generator = SyntheticExpressions(domain: domain, frames: 24)
            let a = generator.generate(count: 9, seed: 5)
            #expect(a == generator.generate(count: 9, seed: 5))
            let b = generator.generate(count: 9, seed: 6)
            #expect(a.samples.map(\.sequence.frames) != b.samples.map(\.sequence.frames))
            #expect(a.samples.allSatisfy { $0.sequence.frames.count == 24 && $0.sequence.domain == domain.rawValue })
        }
        // Pinned output: the same bytes on every machine (IEEE arithmetic and our own sin, cos and log only).
        let first = SyntheticExpressions(domain: .child, frames: 16).generate(count: 2, seed: 2024).samples[0]
        #expect(fnv1a(OpenFaceCSV.write(first.sequence)) == pinnedHash)
    }

    /// The hash of the first child sequence for seed 2024 (update only when the generator changes on purpose).
    let pinnedHash: UInt64 = 7_934_487_646_917_998_258

    @Test func classBalanceAsAsked() {
        #expect(SyntheticExpressions.classCounts(count: 70) == [10, 10, 10, 10, 10, 10, 10])
        #expect(SyntheticExpressions.classCounts(count: 9) == [2, 2, 1, 1, 1, 1, 1])
        #expect(SyntheticExpressions.classCounts(count: 80, proportions: [2, 1, 1, 1, 1, 1, 1]) == [20, 10, 10, 10, 10, 10, 10])
        #expect(SyntheticExpressions.classCounts(count: 10, proportions: [0, 1, 0, 0, 0, 0, 1]) == [0, 5, 0, 0, 0, 0, 5])
        let dataset = SyntheticExpressions(domain: .posedAdult, frames: 12).generate(
            count: 35, seed: 3, classProportions: [3, 1, 1, 1, 1, 0, 0])
        #expect(dataset.classCounts == [15, 5, 5, 5, 5, 0, 0])
        // Labels are shuffled, not in blocks.
        #expect(dataset.samples.prefix(15).contains { $0.sequence.label != .neutral })
    }

    @Test func subjectsRecurAndKeepTheirFace() {
        let dataset = SyntheticExpressions(domain: .posedAdult, frames: 12).generate(count: 28, seed: 11)
        #expect(dataset.subjects.count == 4)
        #expect(dataset.subjects.first == "adult-s001")
        #expect(dataset.samples.first?.id == "posed-adult-00001")
    }

    @Test func eachClassMovesItsActionUnits() {
        let dataset = SyntheticExpressions(domain: .posedAdult, frames: 40).generate(count: 42, seed: 17)
        let d = classMeanDisplacements(dataset)
        let mouthWidth = { (e: Emotion) in d[e]![54].x - d[e]![48].x }
        let cornersDown = { (e: Emotion) in (d[e]![48].y + d[e]![54].y) / 2 }
        let innerBrowsIn = { (e: Emotion) in (d[e]![21].x - d[e]![22].x) / 2 }  // > 0: inner brows move toward the midline
        let browsUp = { (e: Emotion, points: [Int]) in -points.map { d[e]![$0].y }.reduce(0, +) / Float(points.count) }
        let upperLidsUp = { (e: Emotion) in -(d[e]![37].y + d[e]![38].y + d[e]![43].y + d[e]![44].y) / 4 }
        let lowerLidsUp = { (e: Emotion) in -(d[e]![40].y + d[e]![41].y + d[e]![46].y + d[e]![47].y) / 4 }

        // Neutral: nothing moves much.
        #expect(meanDisplacement(d[.neutral]!) < 0.01)
        // Happiness (AU6 + AU12): lip corners up and out, lower lids up.
        #expect(cornersDown(.happiness) < -0.05)
        #expect(mouthWidth(.happiness) > 0.1)
        #expect(lowerLidsUp(.happiness) > 0.015)
        // Sadness (AU1 + AU4 + AU15): lip corners down, inner brows raised against the outer ones and drawn together.
        #expect(cornersDown(.sadness) > 0.04)
        #expect(-d[.sadness]![21].y - -d[.sadness]![17].y > 0.04)
        #expect(innerBrowsIn(.sadness) > 0.03)
        // Surprise (AU1 + AU2 + AU5 + AU26): brows up, upper lids up, jaw dropped.
        #expect(browsUp(.surprise, Array(17...26)) > 0.06)
        #expect(upperLidsUp(.surprise) > 0.03)
        #expect(d[.surprise]![8].y > 0.15 && d[.surprise]![57].y > 0.15)
        // Fear (AU1 + AU2 + AU4 + AU5 + AU20 + AU26): brows up and together, lips stretched, jaw dropped.
        #expect(browsUp(.fear, [18, 19, 24, 25]) > 0.03)
        #expect(innerBrowsIn(.fear) > 0.03)
        #expect(mouthWidth(.fear) > 0.12)
        #expect(d[.fear]![8].y > 0.15)
        #expect(upperLidsUp(.fear) > 0.015)
        // Anger (AU4 + AU5 + AU7 + AU23): brows down and together, lower lids up, lips narrowed.
        #expect(browsUp(.anger, Array(17...26)) < -0.04)
        #expect(innerBrowsIn(.anger) > 0.04)
        #expect(lowerLidsUp(.anger) > 0.02)
        #expect(mouthWidth(.anger) < -0.05)
        // Disgust (AU9 + AU15 + AU16): nose base and upper lip up, lip corners and lower lip down.
        #expect(d[.disgust]![33].y < -0.03)
        #expect(d[.disgust]![51].y < -0.02)
        #expect(cornersDown(.disgust) > 0.04)
        #expect(d[.disgust]![57].y > 0.05)
        // Jaw drop belongs to surprise and fear only.
        for e in [Emotion.happiness, .sadness, .anger, .disgust] { #expect(d[e]![8].y < 0.05) }
    }

    @Test func childExpressionsAreSubtlerAndSomeAreAmbiguous() {
        let adult = SyntheticExpressions(domain: .posedAdult, frames: 32).generate(count: 70, seed: 23)
        let child = SyntheticExpressions(domain: .child, frames: 32).generate(count: 140, seed: 23)
        func mean(_ dataset: LandmarkDataset) -> Float {
            let expressive = dataset.samples.filter { $0.sequence.label != .neutral }
            return expressive.map { meanDisplacement(apexDisplacement($0.sequence)) }.reduce(0, +) / Float(expressive.count)
        }
        let adultMean = mean(adult)
        let childMean = mean(child)
        #expect(childMean < 0.75 * adultMean, "child \(childMean), adult \(adultMean)")
        // Learnable but not trivial: a nearest-centroid classifier on apex displacements, fitted on
        // one seed and tested on another, is near perfect on posed adults and far from it on children.
        #expect(nearestCentroidAccuracy(.posedAdult) >= 0.95)
        let childAccuracy = nearestCentroidAccuracy(.child)
        #expect(childAccuracy > 0.4 && childAccuracy < 0.85, "child accuracy \(childAccuracy)")
        // Child faces are drawn with other proportions: larger eyes relative to the eye distance.
        let eyeHeight = { (dataset: LandmarkDataset) -> Float in
            let heights = dataset.samples.map { s -> Float in
                let p = LandmarkNormalisation.normalise(s.sequence.frames.first { !$0.isMissing }!.points)
                return (p[41].y - p[37].y + p[40].y - p[38].y) / 2
            }
            return heights.reduce(0, +) / Float(heights.count)
        }
        #expect(eyeHeight(child) > 1.08 * eyeHeight(adult))
        // More dropped frames in the child domain.
        let dropped = { (dataset: LandmarkDataset) in dataset.samples.map { $0.sequence.frames.filter(\.isMissing).count }.reduce(0, +) }
        #expect(dropped(child) * 70 > 3 * dropped(adult) * 140)
    }

    @Test func profileRisesHoldsAndFalls() {
        let p = { (t: Double) in SyntheticExpressions.profile(frame: t, start: 4, onset: 10, apex: 6, offset: 8, level: 0.4) }
        #expect(p(0) == 0 && p(4) == 0)
        #expect(abs(p(9) - 0.5) < 1e-12)
        #expect(p(14) == 1 && p(20) == 1)
        #expect(abs(p(24) - 0.7) < 1e-12)
        #expect(p(40) == 0.4)
        for t in stride(from: 4.0, to: 14, by: 0.5) { #expect(p(t + 0.5) >= p(t)) }
    }
}
