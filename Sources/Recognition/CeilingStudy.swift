import EmoMusikCore
import FaceLandmarks
import Foundation
import Statistics

/// How well could anything classify a synthetic domain? The generator knows every sequence's
/// latent expression (its action units and their intensities, and whether it was drawn at the
/// domain's "ambiguous" intensity), so the study measures:
///
/// 1. the share of sequences drawn ambiguous, and of sequences whose class's key unit is weaker
///    than the strongest distractor a neutral face may show;
/// 2. an oracle: a k-nearest-neighbour classifier on the latent peak AU intensities (no face, no
///    pose, no tracker), fitted on a large sample. What it cannot separate, nothing can;
/// 3. logistic regression on the apex displacement from the neutral face, on rendered landmarks
///    with the domain's nuisances switched on one at a time (tracker jitter, head pose, dropped
///    frames), each fitted on a large labelled sample: which nuisance costs what.
///
/// Every figure is on the generator's synthetic faces.
public struct CeilingStudy: Sendable {
    public var domain: SyntheticDomain
    public var parameters: SyntheticParameters
    public var frames = 48
    public var seed: UInt64 = 2026
    /// Sequences to fit on and to test on (test: another seed, so other subjects).
    public var trainCount = 2800
    public var testCount = 1400
    /// Neighbours of the latent oracle.
    public var neighbours = 15

    public init(domain: SyntheticDomain, parameters: SyntheticParameters? = nil) {
        self.domain = domain
        self.parameters = parameters ?? domain.parameters
    }

    /// One classifier's figures on the test set.
    public struct Row: Sendable, Encodable {
        public var name: String
        public var accuracy: Double
        public var macroF1: Double
        /// Accuracy on the sequences drawn at the ambiguous intensity, and on the others (nil if none).
        public var ambiguousAccuracy: Double?
        public var clearAccuracy: Double
        /// Rows true, columns predicted, ``Emotion/allCases`` order.
        public var confusion: [[Int]]
    }

    public struct Result: Sendable, Encodable {
        public var domain: String
        public var testSequences: Int
        /// Fraction of test sequences drawn at the ambiguous intensity.
        public var ambiguousShare: Double
        /// Fraction of expressive test sequences whose key unit's peak is at most the largest
        /// distractor intensity (a neutral face can show that much of any unit).
        public var keyUnitWithinDistractorShare: Double
        /// Mean peak intensity of the class units of expressive, non-ambiguous test sequences.
        public var meanClassUnitIntensity: Double
        public var rows: [Row]
    }

    /// The parameters with some nuisances switched off.
    public static func parameters(
        _ base: SyntheticParameters, jitter: Bool, pose: Bool, drops: Bool
    ) -> SyntheticParameters {
        var p = base
        if !jitter { p.jitter = 0 }
        if !pose {
            p.yawSD = 0
            p.rollSD = 0
            p.poseDrift = 0
        }
        if !drops {
            p.dropProbability = 0
            p.dropBurstProbability = 0
        }
        return p
    }

    public func run(log: (String) -> Void = { _ in }) -> Result {
        let trainSeed = seed, testSeed = seed &+ 1
        let generator = SyntheticExpressions(domain: domain, parameters: parameters, frames: frames)
        let trainLatents = generator.latents(count: trainCount, seed: trainSeed)
        let testLatents = generator.latents(count: testCount, seed: testSeed)
        let truth = testLatents.map { Self.index($0.label) }
        let ambiguous = testLatents.map(\.ambiguous)

        let expressive = testLatents.filter { $0.label != .neutral }
        let largestDistractor = parameters.distractorIntensity.upperBound
        let weakKey = expressive.filter { latent in
            let key = latent.units.first { $0.unit == latent.label.keyActionUnit }?.intensity ?? 0
            return key <= largestDistractor
        }.count
        let classIntensities = expressive.filter { !$0.ambiguous }.flatMap { latent in
            latent.units.filter { latent.label.actionUnits.contains($0.unit) }.map(\.intensity)
        }

        var rows: [Row] = []
        func row(_ name: String, _ predicted: [Int]) {
            let confusion = ConfusionMatrix(classNames: Emotion.allCases.map(\.rawValue), truth: truth, predicted: predicted)
            let amb = truth.indices.filter { ambiguous[$0] }, clear = truth.indices.filter { !ambiguous[$0] }
            func accuracy(_ indices: [Int]) -> Double {
                Double(indices.filter { truth[$0] == predicted[$0] }.count) / Double(max(1, indices.count))
            }
            rows.append(Row(
                name: name, accuracy: confusion.accuracy, macroF1: confusion.macroF1,
                ambiguousAccuracy: amb.isEmpty ? nil : accuracy(amb), clearAccuracy: accuracy(clear), confusion: confusion.counts))
            log(String(format: "%@: accuracy %.3f, macro-F1 %.3f", name, confusion.accuracy, confusion.macroF1))
        }

        // The oracle: k nearest neighbours on the latent peak intensities.
        let trainPoints = trainLatents.map(\.peakIntensities), trainLabels = trainLatents.map { Self.index($0.label) }
        row("oracle: \(neighbours)-NN on latent AU intensities",
            testLatents.map { Self.nearestNeighbours($0.peakIntensities, trainPoints, trainLabels, k: neighbours) })
        row("oracle: logistic regression on latent AU intensities", {
            let model = LogisticRegression(
                inputs: trainPoints.map { $0.map(Float.init) }, labels: trainLabels, classes: Emotion.allCases.count)
            return testLatents.map { model.predict($0.peakIntensities.map(Float.init)) }
        }())

        // Rendered landmarks, nuisances on one at a time.
        let variants: [(String, Bool, Bool, Bool)] = [
            ("no jitter, no pose, no drops", false, false, false),
            ("tracker jitter only", true, false, false),
            ("head pose only", false, true, false),
            ("dropped frames only", false, false, true),
            ("the full domain", true, true, true),
        ]
        for (name, jitter, pose, drops) in variants {
            let p = Self.parameters(parameters, jitter: jitter, pose: pose, drops: drops)
            let g = SyntheticExpressions(domain: domain, parameters: p, frames: frames)
            let train = g.generate(count: trainCount, seed: trainSeed).sequences
            let test = g.generate(count: testCount, seed: testSeed).sequences
            let model = LogisticRegression(
                inputs: train.map { Self.apexDisplacement($0) }, labels: RecognitionSamples.labels(train),
                classes: Emotion.allCases.count)
            row("logistic regression, apex displacement, \(name)", test.map { model.predict(Self.apexDisplacement($0)) })
        }
        return Result(
            domain: domain.rawValue, testSequences: testCount,
            ambiguousShare: Double(ambiguous.filter { $0 }.count) / Double(max(1, testCount)),
            keyUnitWithinDistractorShare: Double(weakKey) / Double(max(1, expressive.count)),
            meanClassUnitIntensity: classIntensities.reduce(0, +) / Double(max(1, classIntensities.count)), rows: rows)
    }

    static func index(_ emotion: Emotion) -> Int { Emotion.allCases.firstIndex(of: emotion)! }

    /// The normalised displacement of the apex frame from the neutral face (136 values), averaged
    /// with the observed frames next to the apex (two on each side) to quiet the tracker's jitter.
    public static func apexDisplacement(_ sequence: LandmarkSequence) -> [Float] {
        guard let (positions, observed) = NodeFeatures.filledPositions(sequence) else {
            return [Float](repeating: 0, count: 2 * FaceLayout.count)
        }
        let neutral = NodeFeatures.neutral(positions: positions, observed: observed)
        let apex = BaselineFeatures.apexIndex(positions: positions, observed: observed)
        let near = (max(0, apex - 2)...min(positions.count - 1, apex + 2)).filter { observed[$0] }
        var sum = [SIMD2<Float>](repeating: .zero, count: FaceLayout.count)
        for t in near { for i in sum.indices { sum[i] += positions[t][i] - neutral[i] } }
        return sum.flatMap { [$0.x / Float(near.count), $0.y / Float(near.count)] }
    }

    /// The majority class of the `k` nearest training points (Euclidean; ties to the nearer neighbour's class).
    static func nearestNeighbours(_ x: [Double], _ points: [[Double]], _ labels: [Int], k: Int) -> Int {
        var best: [(Double, Int)] = []
        for (p, label) in zip(points, labels) {
            var d = 0.0
            for j in x.indices { d += (x[j] - p[j]) * (x[j] - p[j]) }
            if best.count < k {
                best.append((d, label))
                best.sort { $0.0 < $1.0 }
            } else if d < best[k - 1].0 {
                best[k - 1] = (d, label)
                best.sort { $0.0 < $1.0 }
            }
        }
        var votes = [Int: Int]()
        for (_, label) in best { votes[label, default: 0] += 1 }
        let top = votes.values.max() ?? 0
        return best.first { votes[$0.1] == top }?.1 ?? 0
    }
}
