import EmoMusikCore
import Foundation

/// One labelled sequence for training or evaluation.
public struct TrainingSample: Sendable, Equatable {
    /// Row-major [frames, nodes, channels] node features.
    public var features: [Float]
    /// T, the number of frames.
    public var frames: Int
    /// Class index (``EmoMusikCore/Emotion`` `allCases` order for the shipped model).
    public var label: Int
    /// Multiplies this sample's loss (1 by default), on top of class weighting.
    public var weight: Float
    /// Optional per-frame mask (true = a face was tracked); masked frames are ignored.
    public var validFrames: [Bool]?

    public init(features: [Float], frames: Int, label: Int, weight: Float = 1, validFrames: [Bool]? = nil) {
        precondition(frames > 0 && features.count % frames == 0, "TrainingSample: \(features.count) values do not split into \(frames) frames")
        if let validFrames { precondition(validFrames.count == frames, "TrainingSample: validFrames has \(validFrames.count) entries for \(frames) frames") }
        self.features = features
        self.frames = frames
        self.label = label
        self.weight = weight
        self.validFrames = validFrames
    }

    /// FNV-1a (64-bit) over every sample's frames, label, weight and feature bits, as 16 hex digits:
    /// the "training-data hash" recorded in model files.
    public static func fingerprint(_ samples: [TrainingSample]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (value >> UInt64(shift)) & 0xFF
                hash &*= 0x0000_0100_0000_01B3
            }
        }
        mix(UInt64(samples.count))
        for sample in samples {
            mix(UInt64(sample.frames))
            mix(UInt64(bitPattern: Int64(sample.label)))
            mix(UInt64(sample.weight.bitPattern))
            for v in sample.features { mix(UInt64(v.bitPattern)) }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Linear warm-up from 0 to `peak` over `warmupSteps`, then a cosine decay to `peak · floorFraction`
/// at `totalSteps` (Loshchilov and Hutter 2017, without restarts).
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var floorFraction: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floorFraction: Float = 0.05) {
        precondition(peak > 0 && warmupSteps >= 0 && totalSteps >= 1, "LearningRateSchedule needs peak > 0, warmupSteps ≥ 0 and totalSteps ≥ 1")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.floorFraction = floorFraction
    }

    /// The rate for 0-based optimiser step `step`.
    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Float(step - warmupSteps) / Float(span), 1)
        let floor = peak * floorFraction
        return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * progress))
    }
}

/// Which weights the model holds when training ends.
public enum CheckpointRule: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The epoch with the best validation score (the first of equal ones), with early stopping
    /// after `patience` epochs without a better one; the last epoch without validation.
    case bestValidation
    /// The mean of the weights at the end of each of the last `k` epochs (k = 1: the last epoch's),
    /// all epochs run. Over the cosine schedule's tail this is stochastic weight averaging
    /// (Izmailov et al. 2018); with layer norm and no batch statistics the average needs no
    /// recomputed statistics. Validation is still scored and reported, but neither chooses nor stops.
    /// Meant for when the validation score saturates: the first epoch to reach 1.000 is then an
    /// arbitrary point of the run, at a high learning rate.
    case averageOfLastEpochs(Int)

    /// `best`, `last` or `average-last-K` (the command-line spelling).
    public var description: String {
        switch self {
        case .bestValidation: "best"
        case .averageOfLastEpochs(1): "last"
        case .averageOfLastEpochs(let k): "average-last-\(k)"
        }
    }

    /// The same rule for a run of `epochs` epochs: a mean over more epochs than run becomes the
    /// mean over all of them; anything else is unchanged.
    public func limited(toEpochs epochs: Int) -> CheckpointRule {
        if case .averageOfLastEpochs(let k) = self, k > epochs { return .averageOfLastEpochs(max(1, epochs)) }
        return self
    }

    /// Parses ``description``'s spelling; nil for anything else (or a count below 1).
    public init?(_ text: String) {
        switch text {
        case "best": self = .bestValidation
        case "last": self = .averageOfLastEpochs(1)
        default:
            guard text.hasPrefix("average-last-"), let k = Int(text.dropFirst("average-last-".count)), k >= 1 else { return nil }
            self = .averageOfLastEpochs(k)
        }
    }
}

/// Optimisation settings.
public struct TrainerConfig: Sendable, Codable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    /// Peak learning rate of the schedule.
    public var learningRate: Float
    /// Decoupled weight decay (AdamW), applied to weight matrices only (not biases, not LayerNorm).
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    public var adamEpsilon: Float
    /// Fraction of all steps spent warming up linearly.
    public var warmupFraction: Float
    /// The cosine ends at `learningRate · minLearningRateFraction`.
    public var minLearningRateFraction: Float
    public var labelSmoothing: Float
    /// Weight each class by the inverse of its frequency in the training set.
    public var classWeighting: Bool
    /// Rescale gradients whose global norm exceeds this (nil: never).
    public var gradientClipNorm: Float?
    /// Stop after this many epochs without a better validation score.
    public var patience: Int
    /// Learning-rate multiplier of the graph layers (`gcn.*`): 1 trains them normally, 0 freezes them
    /// (bit-identical, and their backward pass is skipped), in between fine-tunes them slowly.
    public var graphLearningRateMultiplier: Float
    /// Seed of shuffling and of the augmentation hook's generator.
    public var seed: UInt64
    /// Which weights the model keeps at the end.
    public var checkpoint: CheckpointRule

    public init(
        epochs: Int = 60, batchSize: Int = 16, learningRate: Float = 1e-3, weightDecay: Float = 1e-2, beta1: Float = 0.9,
        beta2: Float = 0.999, adamEpsilon: Float = 1e-8, warmupFraction: Float = 0.05, minLearningRateFraction: Float = 0.05,
        labelSmoothing: Float = 0.05, classWeighting: Bool = true, gradientClipNorm: Float? = 5, patience: Int = 12,
        graphLearningRateMultiplier: Float = 1, seed: UInt64 = 1, checkpoint: CheckpointRule = .bestValidation
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.adamEpsilon = adamEpsilon
        self.warmupFraction = warmupFraction
        self.minLearningRateFraction = minLearningRateFraction
        self.labelSmoothing = labelSmoothing
        self.classWeighting = classWeighting
        self.gradientClipNorm = gradientClipNorm
        self.patience = patience
        self.graphLearningRateMultiplier = graphLearningRateMultiplier
        self.seed = seed
        self.checkpoint = checkpoint
        if case .averageOfLastEpochs(let k) = checkpoint {
            precondition(k >= 1 && k <= epochs, "CheckpointRule.averageOfLastEpochs needs 1 ≤ k ≤ epochs (\(epochs)), not \(k)")
        }
    }
}

/// What happened in one epoch (passed to the progress callback).
public struct EpochProgress: Sendable, Equatable {
    /// 1-based.
    public var epoch: Int
    /// Mean weighted training loss over the epoch's mini-batches.
    public var trainLoss: Double
    /// Fraction of training samples whose (dropout-on) prediction was right.
    public var trainAccuracy: Double
    /// The validation score (higher is better), nil without validation.
    public var validationScore: Double?
    /// The learning rate at the epoch's last step.
    public var learningRate: Float
    /// Wall-clock seconds of the epoch including validation.
    public var seconds: Double
}

/// The outcome of ``Trainer/train(_:validation:validate:augment:progress:)``.
public struct TrainingReport: Sendable, Equatable {
    public var history: [EpochProgress]
    /// 1-based epoch whose weights the model holds at the end (the best validation score; the last
    /// epoch without validation, or the last of an average).
    public var bestEpoch: Int
    /// The best validation score (of any epoch, also when the rule keeps an average).
    public var bestScore: Double?
    /// Epochs whose weights were averaged into the model's (1: one epoch's weights).
    public var averagedEpochs: Int
    public var stoppedEarly: Bool
    /// Training samples processed per second (forward + backward + update), over the whole run.
    public var samplesPerSecond: Double
}

/// AdamW (Loshchilov and Hutter 2019) with a warm-up + cosine schedule, mini-batches, class weights,
/// gradient clipping, early stopping and per-group learning-rate multipliers for transfer learning.
public final class Trainer {
    public let model: EmotionNetModel
    public let config: TrainerConfig
    /// Optimiser steps taken so far.
    public private(set) var step = 0
    private let parameters: [(name: String, parameter: Parameter)]
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]
    private var rng: SplitMix64

    public init(model: EmotionNetModel, config: TrainerConfig = TrainerConfig()) {
        precondition(config.epochs >= 1 && config.batchSize >= 1, "TrainerConfig needs epochs ≥ 1 and batchSize ≥ 1")
        precondition(config.graphLearningRateMultiplier >= 0, "graphLearningRateMultiplier must not be negative")
        self.model = model
        self.config = config
        parameters = model.namedParameters
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.parameter.value.count) }
        secondMoments = firstMoments
        rng = SplitMix64(seed: config.seed)
    }

    /// Inverse-frequency class weights, w_c = n / (K·n_c) over the K classes present; absent classes get 1.
    public static func inverseFrequencyWeights(labels: [Int], classes: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels {
            precondition(label >= 0 && label < classes, "label \(label) is outside 0..<\(classes)")
            counts[label] += 1
        }
        let present = counts.filter { $0 > 0 }.count
        return counts.map { $0 == 0 ? 1 : Float(labels.count) / Float(present * $0) }
    }

    private func multiplier(_ name: String) -> Float {
        EmotionNetModel.isGraphParameter(name) ? config.graphLearningRateMultiplier : 1
    }

    /// One optimiser step on `batch`: forward + backward per sample (gradients accumulate), the loss
    /// normalised by the batch's total weight, clipping, then AdamW at `learningRate`.
    /// Returns the batch's weighted mean loss and how many samples were predicted right.
    @discardableResult
    public func trainStep(batch: [TrainingSample], classWeights: [Float]?, learningRate: Float) -> (loss: Double, correct: Int) {
        precondition(!batch.isEmpty, "trainStep needs at least one sample")
        model.zeroGradients()
        let totalWeight = batch.reduce(Float(0)) { $0 + (classWeights?[$1.label] ?? 1) * $1.weight }
        guard totalWeight > 0 else { return (0, 0) }
        let throughGraph = config.graphLearningRateMultiplier > 0
        var loss = 0.0
        var correct = 0
        let frameSize = model.config.nodes * model.config.channels
        for sample in batch {
            precondition(sample.features.count == sample.frames * frameSize,
                         "TrainingSample has \(sample.features.count) features for \(sample.frames) frames; the network needs \(frameSize) per frame")
            let logits = model.forward(sequence: sample.features, validFrames: sample.validFrames, training: true)
            if logits.indices.max(by: { logits[$0] < logits[$1] }) == sample.label { correct += 1 }
            let (l, gradient) = SoftmaxCrossEntropy.lossAndGradient(
                logits: logits, label: sample.label, classWeights: classWeights, labelSmoothing: config.labelSmoothing)
            let scale = sample.weight / totalWeight
            loss += l * Double(scale)
            model.backward(gradLogits: gradient.map { $0 * scale }, throughGraphLayers: throughGraph)
        }
        applyUpdate(learningRate: learningRate)
        return (loss, correct)
    }

    private func applyUpdate(learningRate: Float) {
        step += 1
        var clip: Float = 1
        if let limit = config.gradientClipNorm {
            var sum = 0.0
            for (name, p) in parameters where multiplier(name) > 0 {
                for g in p.grad.storage { sum += Double(g) * Double(g) }
            }
            let norm = Float(sum.squareRoot())
            if norm > limit { clip = limit / norm }
        }
        let (b1, b2) = (config.beta1, config.beta2)
        let correction1 = 1 - pow(b1, Float(step))
        let correction2 = 1 - pow(b2, Float(step))
        for (index, (name, p)) in parameters.enumerated() {
            let rate = learningRate * multiplier(name)
            if rate == 0 { continue }  // frozen: untouched, bit for bit
            let decay = p.value.rank >= 2 ? config.weightDecay : 0
            let eps = config.adamEpsilon
            p.value.storage.withUnsafeMutableBufferPointer { w in
                p.grad.storage.withUnsafeBufferPointer { g in
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                let gi = g[i] * clip
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                let update = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                                w[i] -= rate * (update + decay * w[i])
                            }
                        }
                    }
                }
            }
        }
    }

    /// Trains for up to `config.epochs` epochs and leaves the model holding the weights
    /// `config.checkpoint` asks for: by default those of the best epoch.
    ///
    /// - Parameters:
    ///   - validation: held-out samples; scored with `validate` if given, else with ``macroF1(of:on:)``.
    ///   - validate: scores the model (higher is better), e.g. the metrics module's macro-F1; with
    ///     neither `validate` nor `validation`, no early stopping and the last epoch is kept.
    ///   - augment: applied to a copy of each training sample every epoch, with the trainer's seeded
    ///     generator (feature-level; landmark-level augmentation belongs before feature extraction).
    ///   - progress: called after every epoch.
    public func train(
        _ samples: [TrainingSample], validation: [TrainingSample] = [], validate: ((EmotionNetModel) -> Double)? = nil,
        augment: ((inout TrainingSample, inout SplitMix64) -> Void)? = nil, progress: ((EpochProgress) -> Void)? = nil
    ) -> TrainingReport {
        precondition(!samples.isEmpty, "Trainer.train needs at least one training sample")
        let classWeights = config.classWeighting
            ? Self.inverseFrequencyWeights(labels: samples.map(\.label), classes: model.config.classes) : nil
        let stepsPerEpoch = (samples.count + config.batchSize - 1) / config.batchSize
        let totalSteps = stepsPerEpoch * config.epochs
        let schedule = LearningRateSchedule(
            peak: config.learningRate, warmupSteps: Int((config.warmupFraction * Float(totalSteps)).rounded()),
            totalSteps: totalSteps, floorFraction: config.minLearningRateFraction)
        let scorer: ((EmotionNetModel) -> Double)? = validate ?? (validation.isEmpty ? nil : { Self.macroF1(of: $0, on: validation) })

        var history: [EpochProgress] = []
        var bestScore: Double?
        var bestEpoch = 0
        var bestWeights: [Tensor] = []
        var stoppedEarly = false
        let clock = ContinuousClock()
        var trainingTime = Duration.zero
        var processed = 0
        var order = Array(samples.indices)
        // With an average of the last epochs: the sums of their weights, in Double so that K
        // float32 snapshots add up without rounding.
        var averagedCount: Int?
        if case .averageOfLastEpochs(let k) = config.checkpoint { averagedCount = k }
        var sums: [[Double]] = []
        var averaged = 0
        func accumulate() {
            if sums.isEmpty { sums = parameters.map { [Double](repeating: 0, count: $0.parameter.value.count) } }
            for (i, (_, p)) in parameters.enumerated() {
                p.value.storage.withUnsafeBufferPointer { w in
                    for j in 0..<w.count { sums[i][j] += Double(w[j]) }
                }
            }
            averaged += 1
        }
        for epoch in 1...config.epochs {
            let start = clock.now
            order.shuffle(using: &rng)
            var lossSum = 0.0
            var correct = 0
            var rate = schedule.rate(atStep: step)
            for first in stride(from: 0, to: order.count, by: config.batchSize) {
                var batch = order[first..<min(first + config.batchSize, order.count)].map { samples[$0] }
                if let augment { for i in batch.indices { augment(&batch[i], &rng) } }
                rate = schedule.rate(atStep: step)
                let result = trainStep(batch: batch, classWeights: classWeights, learningRate: rate)
                lossSum += result.loss * Double(batch.count)
                correct += result.correct
            }
            processed += samples.count
            trainingTime += clock.now - start
            let score = scorer?(model)
            let seconds = (clock.now - start).seconds
            let report = EpochProgress(
                epoch: epoch, trainLoss: lossSum / Double(samples.count), trainAccuracy: Double(correct) / Double(samples.count),
                validationScore: score, learningRate: rate, seconds: seconds)
            history.append(report)
            progress?(report)
            if let keep = averagedCount {
                if let score, bestScore.map({ score > $0 }) ?? true { bestScore = score }
                bestEpoch = epoch
                if epoch > config.epochs - keep { accumulate() }
                continue
            }
            if let score {
                if bestScore == nil || score > bestScore! {
                    bestScore = score
                    bestEpoch = epoch
                    bestWeights = parameters.map(\.parameter.value)
                } else if epoch - bestEpoch >= config.patience {
                    stoppedEarly = true
                    break
                }
            } else {
                bestEpoch = epoch
            }
        }
        if averaged > 1 {
            for (i, (_, p)) in parameters.enumerated() {
                p.value.storage.withUnsafeMutableBufferPointer { w in
                    for j in 0..<w.count { w[j] = Float(sums[i][j] / Double(averaged)) }
                }
            }
        } else if averagedCount == nil && scorer != nil && !bestWeights.isEmpty {
            for (p, w) in zip(parameters, bestWeights) { p.parameter.value = w }
        }
        return TrainingReport(
            history: history, bestEpoch: bestEpoch, bestScore: bestScore, averagedEpochs: max(averaged, 1), stoppedEarly: stoppedEarly,
            samplesPerSecond: Double(processed) / max(trainingTime.seconds, 1e-9))
    }

    /// Unweighted mean over classes of F1 = 2·TP/(2·TP + FP + FN), over the classes that occur in
    /// `samples` or in the predictions.
    public static func macroF1(of model: EmotionNetModel, on samples: [TrainingSample]) -> Double {
        let classes = model.config.classes
        var tp = [Int](repeating: 0, count: classes), fp = tp, fn = tp
        for sample in samples {
            let predicted = model.predict(sequence: sample.features, validFrames: sample.validFrames)
            if predicted == sample.label {
                tp[predicted] += 1
            } else {
                fp[predicted] += 1
                fn[sample.label] += 1
            }
        }
        var total = 0.0
        var counted = 0
        for k in 0..<classes where tp[k] + fp[k] + fn[k] > 0 {
            total += 2 * Double(tp[k]) / Double(2 * tp[k] + fp[k] + fn[k])
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }

    /// Fraction of samples predicted right.
    public static func accuracy(of model: EmotionNetModel, on samples: [TrainingSample]) -> Double {
        guard !samples.isEmpty else { return 0 }
        let right = samples.filter { model.predict(sequence: $0.features, validFrames: $0.validFrames) == $0.label }.count
        return Double(right) / Double(samples.count)
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
