import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Statistics

/// How a recognizer is scored on labelled sequences: accuracy, macro-F1, one-vs-rest macro AUC and
/// stability (agreement of predictions on the sequences and on copies with small tracker-like
/// perturbations), each with a bootstrap 95 % interval resampling subjects.
public struct RecognitionEvaluation: Sendable {
    public var seed: UInt64
    public var resamples: Int
    /// The perturbation behind the stability figure: landmark jitter of 0.3 % of the inter-ocular
    /// distance (about a tracker's own noise), rotation within ±3°, scale within ±3 %, no dropped frames.
    public var perturbation = LandmarkAugmentation(jitter: 0.003, maxRotationDegrees: 3, maxScale: 0.03, dropProbability: 0)

    public init(seed: UInt64 = 1, resamples: Int = 2000) {
        self.seed = seed
        self.resamples = resamples
    }

    /// Seeded perturbed copies of `sequences`, one per sequence.
    public func perturbedCopies(_ sequences: [LandmarkSequence]) -> [LandmarkSequence] {
        sequences.enumerated().map { perturbation.apply(to: $1, seed: seed &+ 100 &+ UInt64($0)) }
    }

    /// The network's class probabilities for each of `sequences`, read through its apex-centred
    /// window: `[sequences][classes]`.
    public static func probabilities(_ model: EmotionNetModel, on sequences: [LandmarkSequence]) -> [[Double]] {
        sequences.map { sequence in
            let window = RecognitionSamples.window(sequence)
            return model.probabilities(sequence: window.values, validFrames: window.mask).map(Double.init)
        }
    }

    /// The network's report on `sequences` (each read through its apex-centred window).
    public func report(_ model: EmotionNetModel, on sequences: [LandmarkSequence]) -> ClassificationReport {
        let probabilities = Self.probabilities(model, on: sequences)
        let perturbed = perturbedCopies(sequences).map { sequence -> Int in
            let window = RecognitionSamples.window(sequence)
            return model.predict(sequence: window.values, validFrames: window.mask)
        }
        return report(sequences, probabilities: probabilities, perturbedPredictions: perturbed)
    }

    /// The report of a prediction ensemble on `sequences`: each sequence's class probabilities are
    /// the mean of the members' (``averageProbabilities(_:)``), read through the apex-centred window
    /// as in ``report(_:on:)``; the stability figure uses the ensemble's predictions too.
    public func report(ensemble models: [EmotionNetModel], on sequences: [LandmarkSequence]) -> ClassificationReport {
        precondition(!models.isEmpty, "an ensemble needs at least one network")
        return report(sequences, ensembleOf: models.map { outputs($0, on: sequences) })
    }

    /// One network's class probabilities on some sequences, each read through its apex-centred
    /// window, and on their perturbed copies (``perturbedCopies(_:)``): `[sequences][classes]` each.
    public struct NetworkOutputs: Sendable, Equatable {
        public var probabilities: [[Double]]
        public var perturbedProbabilities: [[Double]]

        public init(probabilities: [[Double]], perturbedProbabilities: [[Double]]) {
            self.probabilities = probabilities
            self.perturbedProbabilities = perturbedProbabilities
        }

        /// The outputs of the prediction ensemble of `members` (outputs on the same sequences):
        /// the mean of their class probabilities, sequence by sequence, perturbed copies too.
        public static func mean(of members: [NetworkOutputs]) -> NetworkOutputs {
            precondition(!members.isEmpty, "an ensemble needs at least one network")
            return NetworkOutputs(
                probabilities: members[0].probabilities.indices.map { i in averageProbabilities(members.map { $0.probabilities[i] }) },
                perturbedProbabilities: members[0].perturbedProbabilities.indices.map { i in
                    averageProbabilities(members.map { $0.perturbedProbabilities[i] })
                })
        }
    }

    /// The network's outputs on `sequences` and on their perturbed copies.
    public func outputs(_ model: EmotionNetModel, on sequences: [LandmarkSequence]) -> NetworkOutputs {
        NetworkOutputs(
            probabilities: Self.probabilities(model, on: sequences),
            perturbedProbabilities: Self.probabilities(model, on: perturbedCopies(sequences)))
    }

    /// The report of the prediction ensemble of networks whose outputs on `sequences` are given:
    /// the mean of their class probabilities, as ``report(ensemble:on:)``.
    public func report(_ sequences: [LandmarkSequence], ensembleOf members: [NetworkOutputs]) -> ClassificationReport {
        let ensemble = NetworkOutputs.mean(of: members)
        precondition(ensemble.probabilities.count == sequences.count, "outputs for \(ensemble.probabilities.count) sequences, not \(sequences.count)")
        return report(sequences, probabilities: ensemble.probabilities, perturbedPredictions: Self.predictions(ensemble.perturbedProbabilities))
    }

    /// The element-wise mean of the members' class probabilities for one sequence:
    /// `[members][classes] → [classes]`. Every member must give the same number of classes.
    public static func averageProbabilities(_ members: [[Double]]) -> [Double] {
        precondition(!members.isEmpty, "averageProbabilities needs at least one member")
        let classes = members[0].count
        var mean = [Double](repeating: 0, count: classes)
        for member in members {
            precondition(member.count == classes, "ensemble members disagree on the classes: \(member.count) against \(classes)")
            for k in 0..<classes { mean[k] += member[k] }
        }
        return mean.map { $0 / Double(members.count) }
    }

    /// The index of the largest value (the first on ties).
    public static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for k in values.indices where values[k] > values[best] { best = k }
        return best
    }

    /// The predicted class of each row of class probabilities, as the reports take it (the first
    /// of equally likely classes).
    public static func predictions(_ probabilities: [[Double]]) -> [Int] {
        probabilities.map(argmax)
    }

    /// `model` against `reference` on the same labelled `sequences` (apex-centred windows): the
    /// macro-F1 of `model` minus that of `reference`, with a paired bootstrap interval resampling
    /// subjects, and the sequences the two predict differently.
    public func compare(_ model: EmotionNetModel, against reference: EmotionNetModel, on sequences: [LandmarkSequence]) -> PairedComparison {
        PairedComparison(
            classNames: Emotion.allCases.map(\.rawValue), truth: RecognitionSamples.labels(sequences),
            reference: Self.predictions(Self.probabilities(reference, on: sequences)),
            variant: Self.predictions(Self.probabilities(model, on: sequences)),
            clusters: sequences.map { $0.subject ?? "" }, bootstrap: Bootstrap(resamples: resamples, seed: seed))
    }

    /// The report for given class probabilities and predictions on perturbed copies.
    public func report(_ sequences: [LandmarkSequence], probabilities: [[Double]], perturbedPredictions: [Int]) -> ClassificationReport {
        ClassificationReport(
            classNames: Emotion.allCases.map(\.rawValue), truth: RecognitionSamples.labels(sequences),
            predicted: Self.predictions(probabilities), probabilities: probabilities,
            perturbedPredictions: perturbedPredictions, clusters: sequences.map { $0.subject ?? "" },
            bootstrap: Bootstrap(resamples: resamples, seed: seed))
    }
}
