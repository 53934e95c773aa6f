import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation

/// Training a recognizer from landmark datasets with transfer learning: pre-train on a source
/// dataset (e.g. posed adult faces), then fine-tune on the target (e.g. children). Each dataset is
/// split by subject, 90 % to train and 10 % to validate: pre-training keeps its best validation
/// epoch (early stopping on macro-F1); the target stage keeps the weights ``checkpoint`` names, by
/// default the mean of its last 20 epochs', with the validation subjects training too
/// (docs/recognition-ceiling.md section 6.10).
public struct RecognitionTraining: Sendable {
    /// The network: the default architecture reading velocity and displacement only
    /// (``RecognitionTraining/positionFreeChannels``).
    public var network = RecognitionTraining.defaultNetwork
    public var pretrainEpochs = 20
    public var fineTuneEpochs = 60
    /// Learning-rate multiplier of the graph layers while fine-tuning (0 freezes them; the
    /// former default was 0.1).
    public var graphRateWhileFineTuning: Float = 1
    /// Peak learning rate while fine-tuning, the same as training from scratch (``TrainerConfig``'s;
    /// the former default was 5e-4).
    public var fineTuneLearningRate: Float = 1e-3
    /// Which weights the target stage keeps (clamped to the epochs run,
    /// ``CheckpointRule/limited(toEpochs:)``; the former default was `best`).
    public var checkpoint = CheckpointRule.averageOfLastEpochs(20)
    /// Keep the target's validation subjects out of training even when ``checkpoint`` does not
    /// choose by them (``trainsOnValidation``).
    public var holdOutValidation = false
    /// Augmentation of the source while pre-training (see ``ExpressionAugmentation/pretraining``).
    public var pretrainAugmentation = ExpressionAugmentation.pretraining
    public var seed: UInt64 = 1

    /// Input channels without the landmark positions, which carry each face's shape: the network
    /// reads velocity and displacement from the neutral face only. With 10 % of the child labels
    /// this lifted the transfer benchmark's macro-F1 from 0.77 to 0.86 (docs/recognition-ceiling.md).
    public static let positionFreeChannels = [false, false, true, true, true, true]

    /// ``EmotionNetConfig``'s defaults with ``positionFreeChannels``.
    public static var defaultNetwork: EmotionNetConfig {
        var config = EmotionNetConfig()
        config.inputChannels = positionFreeChannels
        return config
    }

    public init() {}

    /// Whether the target's validation subjects train too: unless held out, or the checkpoint is
    /// `best`, which chooses by them. Either way they are scored each epoch.
    public var trainsOnValidation: Bool { !holdOutValidation && checkpoint != .bestValidation }

    /// The rule the target stage applies: ``checkpoint`` limited to the ``fineTuneEpochs`` run.
    public var appliedCheckpoint: CheckpointRule { checkpoint.limited(toEpochs: fineTuneEpochs) }

    /// The trained model, and a fingerprint of the training data for the model file's metadata.
    public func train(
        source: LandmarkDataset?, target: LandmarkDataset, log: @escaping (String) -> Void = { _ in }
    ) -> (model: EmotionNetModel, dataHash: String) {
        let adjacency = FaceGraph.standard.normalisedAdjacency
        var hashes: [String] = []
        var pretrained: EmotionNetModel?
        if let source {
            let (train, validation) = source.split(byFraction: 0.9, seed: seed)
            let samples = train.sequences.map(RecognitionSamples.sample)
            hashes.append(TrainingSample.fingerprint(samples))
            let model = EmotionNetModel(config: network, adjacency: adjacency)
            log("pre-training on \(samples.count) sequences (\(validation.samples.count) to choose the epoch)")
            _ = Trainer(model: model, config: TrainerConfig(epochs: pretrainEpochs, seed: seed &+ 1)).train(
                samples, validation: validation.sequences.map(RecognitionSamples.sample),
                augment: TransferExperiment.hook(pretrainAugmentation),
                progress: { log("pre-training: \(TransferExperiment.describe($0))") })
            pretrained = model
        }
        let (heldOut, validation) = target.split(byFraction: 0.9, seed: seed &+ 2)
        let train = trainsOnValidation ? target : heldOut
        let samples = train.sequences.map(RecognitionSamples.sample)
        hashes.append(TrainingSample.fingerprint(samples))
        let model = EmotionNetModel(config: network, adjacency: adjacency)
        var config = TrainerConfig(epochs: fineTuneEpochs, seed: seed &+ 3, checkpoint: appliedCheckpoint)
        if let pretrained {
            _ = model.copyWeights(from: pretrained)
            config.learningRate = fineTuneLearningRate
            config.graphLearningRateMultiplier = graphRateWhileFineTuning
        }
        let stage = pretrained == nil ? "training" : "fine-tuning"
        let keeps: String
        switch config.checkpoint {
        case .bestValidation: keeps = "\(validation.samples.count) to choose the epoch"
        case .averageOfLastEpochs(let k):
            keeps = (trainsOnValidation ? "including \(validation.samples.count) validation ones, scored each epoch as trained on"
                : "\(validation.samples.count) held out, scored each epoch")
                + "; keeps " + (k == 1 ? "the last epoch's weights" : "the mean of the last \(k) epochs' weights")
        }
        log("\(stage) on \(samples.count) sequences (\(keeps))")
        _ = Trainer(model: model, config: config).train(
            samples, validation: validation.sequences.map(RecognitionSamples.sample),
            progress: { log("\(stage): \(TransferExperiment.describe($0))") })
        return (model, hashes.joined(separator: "+"))
    }
}
