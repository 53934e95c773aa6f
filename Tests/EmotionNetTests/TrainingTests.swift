import EmoMusikCore
import Foundation
import Testing
@testable import EmotionNet

@Suite struct TrainingTests {
    static let adjacency = TestSupport.normalisedAdjacency(nodes: 68)

    static func tinyConfig(seed: UInt64 = 3, dropout: Float = 0, classes: Int = 3) -> EmotionNetConfig {
        EmotionNetConfig(
            nodes: 68, channels: 6, gcnWidths: [8, 8], gcnActivation: .relu, pooling: .meanMax, dModel: 16, heads: 2,
            layers: 1, ffWidth: 32, windowLength: 8, classes: classes, dropout: dropout, seed: seed)
    }

    /// Three classes, each a fixed pattern over nodes and channels, plus Gaussian noise of about the
    /// pattern's size.
    static func syntheticProblem(count: Int, frames: Int, seed: UInt64) -> [TrainingSample] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let label = i % 3
            var features = [Float](repeating: 0, count: frames * 68 * 6)
            for t in 0..<frames {
                for n in 0..<68 {
                    for c in 0..<6 {
                        let pattern = 0.5 * sin(Float(n) * 0.3 * Float(label + 1) + Float(c)) + (c == label ? 0.4 : 0)
                        features[(t * 68 + n) * 6 + c] = pattern + 0.4 * rng.nextGaussian()
                    }
                }
            }
            return TrainingSample(features: features, frames: frames, label: label)
        }
    }

    @Test func learnsATinyProblem() {
        let samples = Self.syntheticProblem(count: 60, frames: 8, seed: 11)
        let model = EmotionNetModel(config: Self.tinyConfig(), adjacency: Self.adjacency)
        let untrained = Trainer.accuracy(of: model, on: samples)
        #expect(untrained < 0.7, "the untrained network already scores \(untrained)")
        let trainer = Trainer(model: model, config: TrainerConfig(epochs: 12, batchSize: 10, learningRate: 5e-3, labelSmoothing: 0, seed: 4))
        let start = ContinuousClock.now
        var epochs: [EpochProgress] = []
        let report = trainer.train(samples, progress: { epochs.append($0) })
        let elapsed = ContinuousClock.now - start
        #expect(epochs.count == 12 && report.history == epochs && report.bestEpoch == 12 && report.bestScore == nil)
        #expect(epochs.last!.trainLoss < 0.25 * epochs.first!.trainLoss, "loss \(epochs.first!.trainLoss) → \(epochs.last!.trainLoss)")
        let accuracy = Trainer.accuracy(of: model, on: samples)
        #expect(accuracy >= 0.95, "training accuracy \(accuracy)")
        #expect(Trainer.macroF1(of: model, on: samples) >= 0.95)
        #expect(report.samplesPerSecond > 0 && elapsed < .seconds(15))
    }

    @Test func freezingKeepsGraphWeightsBitIdenticalAndLowerRateMovesThemLess() {
        let samples = Self.syntheticProblem(count: 12, frames: 4, seed: 12)
        let pretrained = EmotionNetModel(config: Self.tinyConfig(), adjacency: Self.adjacency)
        func fineTune(multiplier: Float) -> (graph: Double, rest: Double) {
            var config = Self.tinyConfig()
            config.seed = 99  // a different initialisation, overwritten by the copy
            let model = EmotionNetModel(config: config, adjacency: Self.adjacency)
            model.copyWeights(from: pretrained)
            let before = model.namedParameters.map(\.parameter.value)
            let trainer = Trainer(model: model, config: TrainerConfig(epochs: 2, batchSize: 4, learningRate: 1e-2, graphLearningRateMultiplier: multiplier))
            _ = trainer.train(samples)
            var graph = 0.0, rest = 0.0
            for ((name, p), old) in zip(model.namedParameters, before) {
                var d = 0.0
                for i in 0..<old.count { d += Double(p.value.storage[i] - old.storage[i]) * Double(p.value.storage[i] - old.storage[i]) }
                if EmotionNetModel.isGraphParameter(name) {
                    graph += d
                    if multiplier == 0 { #expect(p.value == old, "\(name) changed while frozen") }
                } else {
                    rest += d
                }
            }
            return (graph.squareRoot(), rest.squareRoot())
        }
        let frozen = fineTune(multiplier: 0)
        let slow = fineTune(multiplier: 0.1)
        let full = fineTune(multiplier: 1)
        #expect(frozen.graph == 0 && frozen.rest > 0)
        #expect(slow.graph > 0 && slow.graph < 0.3 * full.graph, "graph change at ×0.1: \(slow.graph), at ×1: \(full.graph)")
    }

    @Test func sameSeedGivesIdenticalWeights() {
        let samples = Self.syntheticProblem(count: 9, frames: 4, seed: 13)
        func run(seed: UInt64) -> [Tensor] {
            let model = EmotionNetModel(config: Self.tinyConfig(dropout: 0.1), adjacency: Self.adjacency)
            let trainer = Trainer(model: model, config: TrainerConfig(epochs: 2, batchSize: 3, seed: seed))
            _ = trainer.train(samples, augment: { sample, rng in
                for i in 0..<sample.features.count where i % 97 == 0 { sample.features[i] += 0.01 * rng.nextGaussian() }
            })
            #expect(trainer.step == 6)
            return model.namedParameters.map(\.parameter.value)
        }
        let a = run(seed: 5)
        #expect(a == run(seed: 5))
        #expect(a != run(seed: 6))
    }

    @Test func earlyStoppingRestoresTheBestEpoch() {
        let samples = Self.syntheticProblem(count: 6, frames: 3, seed: 14)
        let model = EmotionNetModel(config: Self.tinyConfig(), adjacency: Self.adjacency)
        let trainer = Trainer(model: model, config: TrainerConfig(epochs: 20, batchSize: 3, patience: 2))
        let scores = [0.5, 0.9, 0.4, 0.3, 0.95]
        var epoch = 0
        var atBest: [Tensor] = []
        let report = trainer.train(samples, validate: { m in
            epoch += 1
            if epoch == 2 { atBest = m.namedParameters.map(\.parameter.value) }
            return scores[epoch - 1]
        })
        #expect(report.stoppedEarly && report.history.count == 4)
        #expect(report.bestEpoch == 2 && report.bestScore == 0.9)
        #expect(report.history.map(\.validationScore) == [0.5, 0.9, 0.4, 0.3])
        #expect(model.namedParameters.map(\.parameter.value) == atBest)
    }

    /// Trains the tiny problem for `epochs` epochs under `checkpoint`, with validation scores
    /// `scores` (one per epoch), and returns the report, the model's final weights and the weights
    /// the model held at the end of every epoch.
    static func trainRecordingEpochs(checkpoint: CheckpointRule, epochs: Int, scores: [Double])
        -> (report: TrainingReport, final: [Tensor], perEpoch: [[Tensor]])
    {
        let samples = syntheticProblem(count: 6, frames: 3, seed: 15)
        let model = EmotionNetModel(config: tinyConfig(), adjacency: adjacency)
        let trainer = Trainer(model: model, config: TrainerConfig(epochs: epochs, batchSize: 3, patience: 2, checkpoint: checkpoint))
        var perEpoch: [[Tensor]] = []
        let report = trainer.train(samples, validate: { m in
            perEpoch.append(m.namedParameters.map(\.parameter.value))
            return scores[perEpoch.count - 1]
        })
        return (report, model.namedParameters.map(\.parameter.value), perEpoch)
    }

    @Test func averageOfTheLastEpochsRunsEveryEpochAndKeepsTheMeanOfTheirWeights() throws {
        // Validation peaks at epoch 2 and falls: the default rule would stop at epoch 4 and keep
        // epoch 2. Averaging runs all six and ignores the scores.
        let scores = [0.5, 0.9, 0.4, 0.3, 0.2, 0.1]
        let (report, final, perEpoch) = Self.trainRecordingEpochs(checkpoint: .averageOfLastEpochs(3), epochs: 6, scores: scores)
        #expect(!report.stoppedEarly && report.history.count == 6 && perEpoch.count == 6)
        #expect(report.bestEpoch == 6 && report.bestScore == 0.9 && report.averagedEpochs == 3)
        #expect(perEpoch[3] != perEpoch[5], "the epochs must differ for the average to mean anything")
        for (index, tensor) in final.enumerated() {
            for j in 0..<tensor.count {
                let mean = (Double(perEpoch[3][index].storage[j]) + Double(perEpoch[4][index].storage[j]) + Double(perEpoch[5][index].storage[j])) / 3
                #expect(abs(Double(tensor.storage[j]) - mean) <= 1e-6 * max(1, abs(mean)), "parameter \(index)[\(j)]")
            }
        }
        // The last epoch's weights, whatever validation said.
        let last = Self.trainRecordingEpochs(checkpoint: .averageOfLastEpochs(1), epochs: 6, scores: scores)
        #expect(last.final == last.perEpoch[5] && last.report.averagedEpochs == 1 && last.report.bestEpoch == 6)
        // The default on the same scores: stops early and keeps epoch 2.
        let best = Self.trainRecordingEpochs(checkpoint: .bestValidation, epochs: 6, scores: scores)
        #expect(best.report.stoppedEarly && best.report.bestEpoch == 2 && best.final == best.perEpoch[1])
    }

    @Test func checkpointRulesReadAndWriteTheirCommandLineSpelling() {
        for rule in [CheckpointRule.bestValidation, .averageOfLastEpochs(1), .averageOfLastEpochs(10)] {
            #expect(CheckpointRule(rule.description) == rule)
        }
        #expect(CheckpointRule.averageOfLastEpochs(1).description == "last")
        #expect(CheckpointRule("average-last-1") == .averageOfLastEpochs(1))
        for bad in ["", "average-last-0", "average-last--2", "average-last-x", "average", "Best"] {
            #expect(CheckpointRule(bad) == nil, "\(bad)")
        }
    }

    @Test func scheduleAndClassWeights() {
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 4, totalSteps: 14, floorFraction: 0.1)
        #expect(abs(schedule.rate(atStep: 0) - 2.5e-4) < 1e-9)
        #expect(abs(schedule.rate(atStep: 3) - 1e-3) < 1e-9)
        #expect(abs(schedule.rate(atStep: 4) - 1e-3) < 1e-9)
        #expect(abs(schedule.rate(atStep: 9) - 5.5e-4) < 1e-8)  // half-way down the cosine: (1 + 0.1)/2 · peak
        #expect(abs(schedule.rate(atStep: 14) - 1e-4) < 1e-9)
        #expect(abs(schedule.rate(atStep: 40) - 1e-4) < 1e-9)
        let weights = Trainer.inverseFrequencyWeights(labels: [0, 0, 0, 1, 2, 2], classes: 4)
        #expect(weights == [6.0 / 9, 2, 1, 1])
        #expect(TrainingSample.fingerprint(Self.syntheticProblem(count: 3, frames: 2, seed: 1))
                == TrainingSample.fingerprint(Self.syntheticProblem(count: 3, frames: 2, seed: 1)))
        #expect(TrainingSample.fingerprint(Self.syntheticProblem(count: 3, frames: 2, seed: 1))
                != TrainingSample.fingerprint(Self.syntheticProblem(count: 3, frames: 2, seed: 2)))
        #expect(TrainingSample.fingerprint([]).count == 16)
    }
}
