import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Statistics

/// The synthetic transfer-learning benchmark of issue 4, with every seed and size written down:
/// (a) the network trained on the target domain alone with a small fraction of its labels,
/// (b) pre-trained on the source domain then fine-tuned on the same labels, (c) logistic regression
/// on normalised apex-frame landmarks of the same labels. All three are tested on held-out target
/// subjects. Figures from it are figures on synthetic faces, not on real children.
public struct TransferExperiment: Sendable {
    public struct Configuration: Sendable, Codable, Equatable {
        /// Posed-adult (source) sequences. 5600 rather than 1400 lifted (b) by 1.8–4.8 points over
        /// seeds 2026–2028 (docs/recognition-ceiling.md, section 5).
        public var sourceCount = 5600
        /// Child (target) sequences, before the subject split.
        public var targetCount = 1400
        /// Fraction of target subjects held out for the test.
        public var testFraction = 0.3
        /// Fraction of the remaining target sequences whose labels the models may use.
        public var labelFraction = 0.1
        /// Of those labelled sequences, the fraction scored after every epoch: they choose the epoch
        /// (early stopping) and are held out from training only with the best-validation rule or
        /// an ensemble selection (``trainsOnValidationLabels``).
        public var validationFraction = 0.25
        public var frames = 48
        public var seed: UInt64 = 2026
        public var pretrainEpochs = 20
        /// Which pre-training weights arm (b) starts from. The posed adults' validation macro-F1
        /// reaches 1.000 well before the last of the 20 epochs and mostly stays there, so the
        /// default (the best epoch, the first of equal ones) keeps whichever epoch got there first
        /// (epochs 10–17 on the benchmark seeds; docs/recognition-ceiling.md, section 6.8).
        public var pretrainCheckpoint = CheckpointRule.bestValidation
        public var fineTuneEpochs = 60
        /// Learning-rate multiplier of the graph layers while fine-tuning (0 freezes them). 1, with
        /// `fineTuneLearningRate` 1e-3, fine-tunes at arm (a)'s rates, so that (a) and (b) differ by
        /// their start only (0.1 before 2026-12-04; docs/recognition-ceiling.md, section 6.8).
        public var graphRateWhileFineTuning: Float = 1
        /// Frames between the training windows taken from each labelled target sequence (every
        /// window that contains the apex); 0 takes only the apex-centred window.
        public var fineTuneWindowStride = 4
        public var network = RecognitionTraining.defaultNetwork
        /// Augmentation of the source sequences while pre-training (identity: none).
        public var pretrainAugmentation = ExpressionAugmentation.pretraining
        /// Highest speed-up of the source sequences for pre-training (1: none): each is played
        /// faster by a factor drawn once, uniformly from 1 to this (``LandmarkSequence/spedUp(by:)``),
        /// so the posed adults' slow dynamics also appear at a child's pace.
        public var pretrainSpeedUp: Double = 1
        /// Augmentation of the labelled target windows while fine-tuning and in the target-only arm.
        public var fineTuneAugmentation = ExpressionAugmentation()
        /// Source sequences mixed into every fine-tuning epoch (0: the target labels only), each
        /// with loss weight `sourceMixWeight`, so the network keeps what it learnt on the source.
        public var sourceMixCount = 0
        public var sourceMixWeight: Float = 0.5
        /// Peak learning rate while fine-tuning (arm (a)'s; 5e-4 before 2026-12-04).
        public var fineTuneLearningRate: Float = 1e-3
        /// Epochs without a better validation score before fine-tuning (and the target-only arm)
        /// stop; the validation set is small, so its score is noisy.
        public var fineTunePatience = 60
        /// Which weights fine-tuning (arm (b), its rounds of self-training) and arm (a) keep: by
        /// default the mean of the last 20 epochs' (all of them when fewer run), which needs no
        /// choice on the few labelled validation sequences. Against the best validation epoch with
        /// those sequences held out (the rule before 2026-12-04), (b) rose on all five benchmark
        /// seeds, by 1.9–6.7 points paired (docs/recognition-ceiling.md, section 6.8).
        public var fineTuneCheckpoint = CheckpointRule.averageOfLastEpochs(20)
        /// Train on the labelled validation sequences as well (every label trains; their score is
        /// still logged each epoch, on sequences now trained on). Ignored — they are held out —
        /// when something chooses by them: `fineTuneCheckpoint` ``CheckpointRule/bestValidation``
        /// or `ensembleSelect` (``trainsOnValidationLabels``).
        public var trainOnValidationLabels = true
        /// A control for the fine-tuning rule: adds a row with the same networks fine-tuned to the
        /// best validation epoch with the validation labels held out (the rule before 2026-12-04;
        /// every other fine-tuning setting as configured) and its paired difference to this run's (b).
        public var compareWithDefaultFineTuning = false
        /// For each fraction α here, a variant of (b) whose weights lie α of the way from the
        /// pre-trained network's to the fine-tuned one's, tensor by tensor: (1 − α)·θ_pre-trained
        /// + α·θ_fine-tuned (weight-space ensembling of the network before and after fine-tuning,
        /// "WiSE-FT", Wortsman et al. 2022; for an ensemble, member by member). 1 is (b) itself, 0
        /// the pre-trained network alone. Nothing is chosen on labels: every α given is reported.
        /// When arm (a) runs, each α also adds a control: (a)'s weights α of the way from its
        /// random initialisation to the trained ones, which is what the interpolation does without
        /// anything pre-trained to return to (a shrinkage of the training's step).
        public var interpolationFractions: [Double] = []
        /// Networks arm (a) trains on the target alone, each from its own initialisation and data
        /// order; with more than one, (a) is their prediction ensemble (the mean of their class
        /// probabilities), the like-for-like comparison for an ensemble (b), and has no
        /// interpolation control. 1: one network.
        public var targetOnlyRuns = 1
        /// Start the fine-tuned classifier from fresh weights instead of the source's.
        public var reinitialiseClassifier = false
        /// Fine-tunings from the pre-trained network, each with its own data order and
        /// augmentation; arm (b) is their weight average (a uniform model soup). 1: one fine-tuning.
        public var fineTuneRuns = 1
        /// Bootstrap resamples for the confidence intervals (by subject).
        public var resamples = 1000
        /// Run arm (a); off for experiments that change only fine-tuning.
        public var runTargetOnly = true
        /// A model file for the pre-trained network: loaded instead of pre-training when it was
        /// written for the same ``pretrainingKey`` (source data, seed, epochs, network,
        /// augmentation), else written after pre-training. Nil: always pre-train.
        public var pretrainedCache: String?
        /// More pre-trained networks, each a file written by `pretrainedCache` for the same
        /// pre-training except, possibly, the seed of its source data (``ensembleMember(_:for:)``).
        /// Each is fine-tuned on the same labels as the network of `seed`, and arm (b) becomes the
        /// prediction ensemble of all of them: the mean of their class probabilities. Posed-adult
        /// data of another seed is still source data only; it holds no target sequence.
        public var ensembleCaches: [String] = []
        /// Keep only this many networks of the ensemble (the run's own and `ensembleCaches`): those
        /// best on the labelled validation split by the rule of ``EnsembleSelection``, averaged
        /// with equal weights. Nil: keep them all.
        public var ensembleSelect: Int?
        /// Rounds of self-training after arm (b) (0: none). Each round pseudo-labels the training
        /// pool's unlabelled child sequences with the latest fine-tuned network (or ensemble) by
        /// `pseudoLabelRule`, then fine-tunes every network again from its pre-trained weights on
        /// the labelled training sequences and the pseudo-labelled ones, keeping the weights
        /// `fineTuneCheckpoint` asks for; each round is reported as a variant of (b).
        public var selfTrainRounds = 0
        /// Which unlabelled sequences self-training keeps, and with which class.
        public var pseudoLabelRule = PseudoLabelRule()
        /// Each pseudo-labelled sequence gives every window that holds its apex,
        /// `fineTuneWindowStride` frames apart, as a labelled training sequence does (false: its
        /// apex-centred window only, one sample per sequence).
        public var pseudoLabelAllWindows = false
        /// A control for experiments, never for real data: self-training keeps the sequences
        /// `pseudoLabelRule` chooses but trains on their generator labels instead of the
        /// network's. The difference to the same run without it is what the wrong pseudo-labels
        /// cost; the rounds are reported as controls, not as a variant of (b).
        public var pseudoLabelsFromGenerator = false
        /// Adds, after (b) and after each round of self-training, the same networks with their
        /// class priors aligned on the unlabelled pool (``ClassPriorAlignment``) to the class shares
        /// of the labelled sequences (drawn class by class, so the pool's shares too: only with
        /// ``LabelSelection/stratifiedRandom``).
        public var alignClassPriors = false
        /// Which of the training pool's sequences get the labels (the same number either way).
        public var labelSelection = LabelSelection.stratifiedRandom

        public init() {}

        /// Whether the labelled validation sequences train: `trainOnValidationLabels`, unless the
        /// fine-tuning checkpoint or the ensemble selection chooses by them.
        public var trainsOnValidationLabels: Bool {
            trainOnValidationLabels && fineTuneCheckpoint != .bestValidation && ensembleSelect == nil
        }

        /// `fineTuneCheckpoint` for a fine-tuning of `fineTuneEpochs` epochs.
        public var fineTuneRule: CheckpointRule { fineTuneCheckpoint.limited(toEpochs: fineTuneEpochs) }
    }

    /// Which training-pool sequences are labelled: the budget is the same, the choice differs.
    public enum LabelSelection: String, Sendable, Codable, CaseIterable {
        /// A seeded random sample of each class (the benchmark's protocol).
        case stratifiedRandom = "random"
        /// The sequences the pre-trained network is least sure about: the smallest margin between
        /// its two most likely classes (uncertainty sampling, as a therapist would be asked to
        /// label the clips the system cannot read). Needs no label to choose; arms (a), (b) and
        /// (c) all get the same labels.
        case smallestMargin = "margin"
        /// The same, taken in turn from each class the pre-trained network predicts (the least sure
        /// of each first), so every predicted class gives about as many labels.
        case smallestMarginPerClass = "margin-per-class"
    }

    /// The target (child) data of a run: the training pool, which of its sequences are labelled,
    /// and the test set of held-out subjects.
    public struct TargetSplit: Sendable {
        /// The training pool, labels included (the generator's truth).
        public var pool: [LandmarkSequence]
        /// Indices into `pool` of the labelled sequences: the first `validationCount` are the
        /// validation ones (trained on too unless something chooses by them), the rest train.
        public var labelledIndices: [Int]
        public var validationCount: Int
        /// Sequences of subjects absent from the pool.
        public var test: [LandmarkSequence]

        public var labelled: [LandmarkSequence] { labelledIndices.map { pool[$0] } }
        public var validation: [LandmarkSequence] { Array(labelled.prefix(validationCount)) }
        public var training: [LandmarkSequence] { Array(labelled.dropFirst(validationCount)) }
        /// Indices into `pool` of the sequences whose labels no arm may use, in pool order: the
        /// candidates of self-training.
        public var unlabelledIndices: [Int] {
            let labelled = Set(labelledIndices)
            return pool.indices.filter { !labelled.contains($0) }
        }

        /// The same split with as many labelled sequences, chosen by
        /// ``TransferExperiment/labelledBySmallestMargin(_:count:perPredictedClass:seed:)`` from
        /// `poolProbabilities` (a network's class probabilities for each pool sequence, in pool
        /// order); the validation count stays.
        public func labellingLeastCertain(poolProbabilities: [[Double]], perPredictedClass: Bool, seed: UInt64) -> TargetSplit {
            precondition(poolProbabilities.count == pool.count, "one probability row per pool sequence is needed")
            var split = self
            split.labelledIndices = TransferExperiment.labelledBySmallestMargin(
                poolProbabilities, count: labelledIndices.count, perPredictedClass: perPredictedClass, seed: seed)
            return split
        }
    }

    /// The target split of `c`: the same sequences for every arm and every option; the labelled
    /// ones a stratified random sample of the pool.
    public static func targetSplit(_ c: Configuration) -> TargetSplit {
        let target = SyntheticExpressions(domain: .child, frames: c.frames).generate(count: c.targetCount, seed: c.seed &+ 1)
        let (pool, test) = target.split(byFraction: 1 - c.testFraction, seed: c.seed &+ 2)
        let sequences = pool.sequences
        let labelled = subsetIndices(sequences, fraction: c.labelFraction, seed: c.seed &+ 3)
        let cut = max(1, Int((Double(labelled.count) * c.validationFraction).rounded()))
        return TargetSplit(pool: sequences, labelledIndices: labelled, validationCount: cut, test: test.sequences)
    }

    /// The `count` rows of `probabilities` with the smallest margin between the two most likely
    /// classes (ties: the earlier row), in a seeded random order (its first ones choose the epoch).
    /// `perPredictedClass`: taken in turn from each predicted class (most likely class, in class
    /// order), the smallest margin of each first, until `count` are chosen.
    public static func labelledBySmallestMargin(
        _ probabilities: [[Double]], count: Int, perPredictedClass: Bool = false, seed: UInt64
    ) -> [Int] {
        let margins = probabilities.map { row -> Double in
            let sorted = row.sorted(by: >)
            return sorted.count > 1 ? sorted[0] - sorted[1] : 1
        }
        let byMargin = margins.indices.sorted { margins[$0] != margins[$1] ? margins[$0] < margins[$1] : $0 < $1 }
        var chosen: [Int]
        if perPredictedClass {
            var queues = Dictionary(grouping: byMargin) { RecognitionEvaluation.argmax(probabilities[$0]) }
                .sorted { $0.key < $1.key }.map { ArraySlice($0.value) }
            chosen = []
            while chosen.count < min(count, byMargin.count) {
                for k in queues.indices where chosen.count < count {
                    if let next = queues[k].popFirst() { chosen.append(next) }
                }
            }
        } else {
            chosen = Array(byMargin.prefix(count))
        }
        var rng = Xoshiro256(seed: seed, stream: 4, index: 0)
        rng.shuffle(&chosen)
        return chosen
    }

    /// One round of self-training: its rule and what it kept.
    public struct SelfTrainingSummary: Sendable, Codable, Equatable {
        /// The round, from 1, of `rounds`.
        public var round: Int
        public var rounds: Int
        /// The rule that chose the pseudo-labels, in words, and its parameters.
        public var rule: String
        public var confidence: Double
        public var perClass: Int
        /// Which networks predicted the pseudo-labels: "arm (b)" or the previous round.
        public var predictedBy: String
        /// Unlabelled training-pool sequences the rule chose from.
        public var candidates: Int
        /// Class names, in the order of the per-class counts.
        public var classes: [String]
        /// Pseudo-labels kept, per predicted class.
        public var pseudoLabels: [Int]
        /// For the record only, after the fact: how many of them match the generator's label, per
        /// predicted class, and their share. Nothing in the run reads these.
        public var correctForTheRecord: [Int]
        public var accuracyForTheRecord: Double?
        /// Windows per pseudo-labelled sequence: "apex-centred" or "every window holding the apex".
        /// Absent in results written before the choice existed (the apex-centred window).
        public var windows: String?
        /// "generator labels (control)" when the round trained on the generator's labels of the
        /// chosen sequences (``Configuration/pseudoLabelsFromGenerator``); absent otherwise.
        public var trainedOn: String?
    }

    /// Arm (b)'s ensemble: every network of the pool, its figures on the labelled validation split
    /// and whether the rule kept it.
    public struct EnsembleSummary: Sendable, Codable, Equatable {
        /// The rule that chose the members and their weights, in words.
        public var rule: String
        public var members: [Member]

        public struct Member: Sendable, Codable, Equatable {
            /// The cache file the pre-trained network came from, or "this run's pre-training".
            public var source: String
            /// The seed of the posed-adult data it was pre-trained on.
            public var sourceSeed: UInt64
            /// Its figures on the labelled validation split, after fine-tuning.
            public var validation: EnsembleSelection.Score
            /// Its weight in the ensemble (0: left out); the weights sum to 1.
            public var weight: Double
            /// Its macro-F1 alone on the test set: reported, never used to choose.
            public var testMacroF1: Double
        }
    }

    /// One arm's result on the target test set.
    public struct Arm: Sendable {
        public var name: String
        public var report: ClassificationReport
        public var trainingSeconds: Double
        /// Arm (b)'s members when it is an ensemble; nil for one network and the other arms.
        public var ensemble: EnsembleSummary?
        /// The round of self-training this variant of (b) is; nil for the other arms.
        public var selfTraining: SelfTrainingSummary?
        /// A variant of (b) against (b) itself on the same test sequences: the difference of
        /// macro-F1 with a paired bootstrap interval by subject. Nil for (b) and the other arms.
        public var versusPlainB: PairedComparison?
        /// Arm (b) against arm (a) on the same test sequences (the issue's comparison), with a
        /// paired bootstrap interval by subject; on (b)'s own row and its interpolated variants
        /// (``Configuration/interpolationFractions``), when (a) ran. On the interpolation's
        /// controls, (a) interpolated against (a) itself.
        public var versusTargetOnly: PairedComparison?
        /// The class-prior alignment of a row with aligned priors; nil for the others.
        public var alignment: ClassPriorAlignment?
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Runs the three arms. `log` receives one line per stage and per epoch.
    public func run(log: @escaping (String) -> Void = { _ in }) -> [Arm] {
        let c = configuration
        log("generating \(c.sourceCount) posed-adult and \(c.targetCount) child sequences (seed \(c.seed))")
        let source = SyntheticExpressions(domain: .posedAdult, frames: c.frames).generate(count: c.sourceCount, seed: c.seed)
        let adjacency = FaceGraph.standard.normalisedAdjacency
        let clock = ContinuousClock()

        /// Arm (b)'s pre-trained network: loaded from the cache when it was written for the same
        /// pre-training, else trained on the posed adults (and cached). Its seconds are returned.
        let (sourceTrain, sourceValidation) = LandmarkDataset(samples: source.samples).split(byFraction: 0.9, seed: c.seed &+ 5)
        let sourceSamples = Self.spedUp(sourceTrain.sequences, upTo: c.pretrainSpeedUp, seed: c.seed &+ 9)
            .map(RecognitionSamples.sample)
        func pretrain() -> (model: EmotionNetModel, seconds: Double) {
            let started = clock.now
            let pretrained = EmotionNetModel(config: c.network, adjacency: adjacency)
            let key = Self.pretrainingKey(c)
            if let path = c.pretrainedCache, let cached = Self.cachedPretraining(path, key: key) {
                _ = pretrained.copyWeights(from: cached)
                log("(b) pre-trained network loaded from \(path) (written for the same pre-training)")
                return (pretrained, seconds(since: started, clock))
            }
            let report = Trainer(model: pretrained, config: TrainerConfig(epochs: c.pretrainEpochs, seed: c.seed &+ 6, checkpoint: c.pretrainCheckpoint))
                .train(
                    sourceSamples, validation: sourceValidation.sequences.map(RecognitionSamples.sample),
                    augment: Self.hook(c.pretrainAugmentation),
                    progress: { log("(b) pre-training on posed adults: \(Self.describe($0))") })
            log(report.averagedEpochs > 1
                ? "(b) pre-trained network: the mean of the weights of epochs \(report.bestEpoch - report.averagedEpochs + 1)–\(report.bestEpoch)"
                : "(b) pre-trained network: the weights of epoch \(report.bestEpoch) (\(c.pretrainCheckpoint == .bestValidation ? "best on validation" : "the last"))")
            if let path = c.pretrainedCache {
                do {
                    try pretrained.save(to: URL(fileURLWithPath: path), extraMetadata: ["pretraining_key": key])
                    log("(b) pre-trained network written to \(path)")
                } catch {
                    log("(b) cannot write the pre-trained network to \(path): \(error)")
                }
            }
            return (pretrained, seconds(since: started, clock))
        }

        // With uncertainty sampling the pre-trained network chooses which children are labelled,
        // so it comes first; otherwise after arm (a), as it always did.
        var pretrainedFirst: (model: EmotionNetModel, seconds: Double)?
        var split = Self.targetSplit(c)
        switch c.labelSelection {
        case .stratifiedRandom:
            break
        case .smallestMargin, .smallestMarginPerClass:
            let pretrained = pretrain()
            pretrainedFirst = pretrained
            let perPredictedClass = c.labelSelection == .smallestMarginPerClass
            split = split.labellingLeastCertain(
                poolProbabilities: RecognitionEvaluation.probabilities(pretrained.model, on: split.pool),
                perPredictedClass: perPredictedClass, seed: c.seed &+ 3)
            let counts = RecognitionSamples.labels(split.labelled).reduce(into: [Int](repeating: 0, count: Emotion.allCases.count)) { $0[$1] += 1 }
            log("labels chosen by the pre-trained network's smallest margins between its two most likely classes"
                + (perPredictedClass ? ", in turn from each class it predicts" : "") + "; per class (the generator's labels) "
                + zip(Emotion.allCases, counts).map { "\($0.rawValue) \($1)" }.joined(separator: ", "))
        }
        let labelled = split.labelled, validation = split.validation
        let training = c.trainsOnValidationLabels ? labelled : split.training
        log("target: \(split.pool.count) training-pool sequences, \(labelled.count) labelled "
            + (c.trainsOnValidationLabels
                ? "(all \(training.count) to train; the \(validation.count) validation ones also scored each epoch, choosing nothing)"
                : "(\(training.count) to train, \(validation.count) held out " + Self.heldOutValidationUse(c) + ")")
            + ", \(split.test.count) test sequences from held-out subjects")
        if case .averageOfLastEpochs(let k) = c.fineTuneRule {
            log((k == 1 ? "fine-tuning keeps its last epoch's weights" : "fine-tuning keeps the mean of its last \(k) epochs' weights")
                + ", whatever the validation score")
        }

        /// The training samples of labelled sequences: every window holding the apex,
        /// `fineTuneWindowStride` frames apart, or the apex-centred one.
        func windows(_ sequences: [LandmarkSequence]) -> [TrainingSample] {
            c.fineTuneWindowStride > 0
                ? sequences.flatMap { RecognitionSamples.samples($0, stride: c.fineTuneWindowStride) }
                : sequences.map(RecognitionSamples.sample)
        }
        let trainSamples = windows(training)
        let validationSamples = validation.map(RecognitionSamples.sample)
        let testSequences = split.test
        var arms: [Arm] = []
        /// Arm (a)'s test predictions, for the paired comparison with (b), and its network.
        var targetOnlyPredictions: [Int]?
        var targetOnlyModel: EmotionNetModel?

        let evaluation = RecognitionEvaluation(seed: c.seed, resamples: c.resamples)

        // (a) Target only: one network, or the prediction ensemble of several, each from its own
        // initialisation and data order (the first exactly as the single network).
        var started = clock.now
        let fineTuneAugment = Self.hook(c.fineTuneAugmentation)
        if c.runTargetOnly {
            let runs = max(1, c.targetOnlyRuns)
            var networks: [EmotionNetModel] = []
            for run in 0..<runs {
                var network = c.network
                network.seed = c.network.seed &+ UInt64(run)
                let model = EmotionNetModel(config: network, adjacency: adjacency)
                let label = runs > 1 ? "(a) target only \(run + 1) of \(runs)" : "(a) target only"
                _ = Trainer(
                    model: model,
                    config: TrainerConfig(
                        epochs: c.fineTuneEpochs, patience: c.fineTunePatience, seed: c.seed &+ 4 &+ 1000 &* UInt64(run), checkpoint: c.fineTuneRule))
                    .train(
                        trainSamples, validation: validationSamples, augment: fineTuneAugment,
                        progress: { log("\(label): \(Self.describe($0))") })
                networks.append(model)
            }
            if runs == 1 {
                arms.append(Arm(name: "(a) target only", report: evaluate(networks[0], on: testSequences), trainingSeconds: seconds(since: started, clock)))
                targetOnlyPredictions = RecognitionEvaluation.predictions(RecognitionEvaluation.probabilities(networks[0], on: testSequences))
                targetOnlyModel = networks[0]
            } else {
                let outputs = networks.map { evaluation.outputs($0, on: testSequences) }
                for (run, output) in outputs.enumerated() {
                    let single = RecognitionEvaluation(seed: c.seed, resamples: 2).report(testSequences, ensembleOf: [output])
                    log(String(format: "(a) target only %d of %d alone on the target test set: macro-F1 %.3f", run + 1, runs, single.macroF1.value))
                }
                arms.append(Arm(
                    name: "(a) target only, ensemble of \(runs)", report: evaluation.report(testSequences, ensembleOf: outputs),
                    trainingSeconds: seconds(since: started, clock)))
                targetOnlyPredictions = RecognitionEvaluation.predictions(RecognitionEvaluation.NetworkOutputs.mean(of: outputs).probabilities)
            }
        }

        // (b) Pre-train on the source, fine-tune on the same target labels. Its time counts the
        // pre-training, also when that came first.
        let (pretrained, pretrainingSeconds) = pretrainedFirst ?? pretrain()
        started = clock.now - .seconds(pretrainingSeconds)
        var members: [(model: EmotionNetModel, seed: UInt64)] = [(pretrained, c.seed)]
        var sources = ["this run's pre-training"]
        for path in c.ensembleCaches {
            do {
                let member = try Self.ensembleMember(path, for: c)
                members.append(member)
                sources.append(path)
                log("(b) ensemble member \(members.count): pre-trained network loaded from \(path) (source data of seed \(member.seed))")
            } catch {
                preconditionFailure("\(error)")  // the command checks every member before it starts
            }
        }
        for (index, member) in members.enumerated() {
            let zeroShot = evaluate(member.model, on: testSequences, resamples: 2)
            let which = members.count > 1 ? " \(index + 1) (source seed \(member.seed))" : ""
            log(String(format: "(b) the pre-trained network%@ on the target test set before fine-tuning: macro-F1 %.3f; confusion (rows true) %@",
                       which, zeroShot.macroF1.value, zeroShot.confusion.counts.map { $0.map(String.init).joined(separator: " ") }.joined(separator: " | ")))
        }
        var sourceMix: [TrainingSample] = []
        if c.sourceMixCount > 0 {
            var rng = Xoshiro256(seed: c.seed &+ 8, stream: 0, index: 0)
            var pick = Array(sourceSamples.indices)
            rng.shuffle(&pick)
            for i in pick.prefix(c.sourceMixCount) {
                var sample = sourceSamples[i]
                sample.weight = c.sourceMixWeight
                sourceMix.append(sample)
            }
        }
        let mixed = trainSamples + sourceMix

        /// Every network fine-tuned from its pre-trained weights on `samples` (with several
        /// fine-tunings, their weight average) and, for an ensemble, each one's test outputs and
        /// validation score. `stage` opens every log line.
        func fineTuneMembers(on samples: [TrainingSample], checkpoint: CheckpointRule, stage: String, what: String)
            -> (models: [EmotionNetModel], outputs: [RecognitionEvaluation.NetworkOutputs], scores: [EnsembleSelection.Score])
        {
            var fineTunedMembers: [EmotionNetModel] = []
            var testOutputs: [RecognitionEvaluation.NetworkOutputs] = []
            var validationScores: [EnsembleSelection.Score] = []
            for (index, member) in members.enumerated() {
                let memberLabel = members.count > 1 ? " (ensemble member \(index + 1) of \(members.count))" : ""
                var runs: [EmotionNetModel] = []
                for run in 0..<max(1, c.fineTuneRuns) {
                    let model = EmotionNetModel(config: c.network, adjacency: adjacency)
                    _ = model.copyWeights(from: member.model, where: { !c.reinitialiseClassifier || !$0.hasPrefix("classifier.") })
                    let label = (c.fineTuneRuns > 1 ? "\(stage) fine-tuning \(run + 1) of \(c.fineTuneRuns) \(what)" : "\(stage) fine-tuning \(what)")
                        + memberLabel
                    // The first member fine-tunes exactly as a single network would; the others get
                    // their own data order and augmentation draws. A round of self-training keeps
                    // the seeds: only its training data differ.
                    let seed = c.seed &+ 7 &+ 1000 &* UInt64(run) &+ 100_000 &* UInt64(index)
                    _ = Trainer(
                        model: model,
                        config: TrainerConfig(
                            epochs: c.fineTuneEpochs, learningRate: c.fineTuneLearningRate, patience: c.fineTunePatience,
                            graphLearningRateMultiplier: c.graphRateWhileFineTuning, seed: seed, checkpoint: checkpoint)
                    ).train(
                        samples, validation: validationSamples, augment: fineTuneAugment,
                        progress: { log("\(label): \(Self.describe($0))") })
                    if c.fineTuneRuns > 1 {
                        let single = evaluate(model, on: testSequences, resamples: 2)
                        log(String(format: "%@ fine-tuning %d%@ alone on the target test set: macro-F1 %.3f", stage, run + 1, memberLabel, single.macroF1.value))
                    }
                    runs.append(model)
                }
                let fineTuned: EmotionNetModel
                if runs.count == 1 {
                    fineTuned = runs[0]
                } else {
                    fineTuned = EmotionNetModel(config: c.network, adjacency: adjacency)
                    fineTuned.averageWeights(of: runs)
                }
                if members.count > 1 {
                    let figures = memberFigures(fineTuned, index: index, stage: stage, what: "fine-tuned")
                    testOutputs.append(figures.outputs)
                    validationScores.append(figures.score)
                }
                fineTunedMembers.append(fineTuned)
            }
            return (fineTunedMembers, testOutputs, validationScores)
        }

        /// Ensemble member `index`'s test outputs and its score on the labelled validation
        /// sequences (what ``EnsembleSelection`` ranks), logged with its test macro-F1 alone.
        func memberFigures(_ model: EmotionNetModel, index: Int, stage: String, what: String)
            -> (outputs: RecognitionEvaluation.NetworkOutputs, score: EnsembleSelection.Score)
        {
            let outputs = evaluation.outputs(model, on: testSequences)
            let single = RecognitionEvaluation(seed: c.seed, resamples: 2).report(testSequences, ensembleOf: [outputs])
            let score = EnsembleSelection.Score(
                probabilities: evaluation.outputs(model, on: validation).probabilities,
                truth: RecognitionSamples.labels(validation), classNames: Emotion.allCases.map(\.rawValue))
            log(String(format: "%@ ensemble member %d (source seed %llu) %@, alone on the target test set: macro-F1 %.3f; on the %d labelled validation sequences%@: macro-F1 %.3f, mean log-likelihood %.3f",
                       stage, index + 1, members[index].seed, what, single.macroF1.value, validation.count,
                       c.trainsOnValidationLabels ? " (trained on)" : "", score.macroF1, score.logLikelihood))
            return (outputs, score)
        }

        /// Arm (b)'s report from the fine-tuned networks: one network's, or the ensemble of those
        /// the selection rule keeps (their indices are returned too). `variant` follows the name.
        func combine(
            _ fineTunedMembers: [EmotionNetModel], outputs testOutputs: [RecognitionEvaluation.NetworkOutputs],
            scores validationScores: [EnsembleSelection.Score], stage: String, variant: String
        ) -> (report: ClassificationReport, name: String, summary: EnsembleSummary?, kept: [Int]) {
            if fineTunedMembers.count == 1 {
                return (evaluate(fineTunedMembers[0], on: testSequences), variant.isEmpty ? "(b) pre-trained + fine-tuned" : "(b)\(variant)", nil, [0])
            }
            let pool = fineTunedMembers.count
            let selection = EnsembleSelection(keep: min(c.ensembleSelect ?? pool, pool))
            let weights = selection.weights(validationScores)
            let kept = selection.kept(validationScores)
            let report = evaluation.report(testSequences, ensembleOf: kept.map { testOutputs[$0] })
            let ensembleName = selection.keep == pool ? "(b) ensemble of \(pool)" : "(b) ensemble of \(selection.keep) of \(pool)"
            let name = variant.isEmpty ? ensembleName + " pre-trained + fine-tuned" : ensembleName + "," + variant
            let rule = selection.keep == pool
                ? "all \(pool) networks, equal weights"
                : "the \(selection.keep) of \(pool) networks best on the \(validation.count) labelled validation sequences (macro-F1, then mean log-likelihood, then pool order), equal weights"
            let summary = EnsembleSummary(
                rule: rule,
                members: members.indices.map { i in
                    EnsembleSummary.Member(
                        source: sources[i], sourceSeed: members[i].seed, validation: validationScores[i], weight: weights[i],
                        testMacroF1: RecognitionEvaluation(seed: c.seed, resamples: 2)
                            .report(testSequences, ensembleOf: [testOutputs[i]]).macroF1.value)
                })
            log("\(stage) ensemble: \(rule); kept members \(kept.map { String($0 + 1) }.joined(separator: ", "))")
            // For the record only: what keeping the best k would have given on the test set, for
            // every k, with the members ranked by the rule and by validation log-likelihood alone
            // (its tie-break). The run's ensemble is chosen above, without these.
            let byLogLikelihood = EnsembleSelection.ranking(validationScores.map { EnsembleSelection.Score(macroF1: 0, logLikelihood: $0.logLikelihood) })
            for (what, ranking) in [("validation rank", EnsembleSelection.ranking(validationScores)), ("validation log-likelihood", byLogLikelihood)] {
                let curve = (1...pool).map { k in
                    RecognitionEvaluation(seed: c.seed, resamples: 2)
                        .report(testSequences, ensembleOf: ranking.prefix(k).map { testOutputs[$0] }).macroF1.value
                }
                log("\(stage) for the record (test labels, not used to choose): members by \(what) \(ranking.map { String($0 + 1) }.joined(separator: ", ")); the best k ensembled, k = 1…\(pool): macro-F1 "
                    + curve.map { String(format: "%.3f", $0) }.joined(separator: " "))
            }
            return (report, name, summary, kept)
        }

        /// The test outputs of the networks `kept` of `models`: one network's, or the mean of the
        /// kept ones' probabilities in `outputs` (an ensemble's), as their report takes them.
        func testOutputs(_ models: [EmotionNetModel], outputs: [RecognitionEvaluation.NetworkOutputs], kept: [Int])
            -> RecognitionEvaluation.NetworkOutputs
        {
            models.count == 1 ? evaluation.outputs(models[0], on: testSequences) : .mean(of: kept.map { outputs[$0] })
        }
        /// The test predictions of the same networks, for a paired comparison: without the
        /// perturbed copies a single network's outputs would also compute.
        func testPredictions(_ models: [EmotionNetModel], outputs: [RecognitionEvaluation.NetworkOutputs], kept: [Int]) -> [Int] {
            RecognitionEvaluation.predictions(
                models.count == 1
                    ? RecognitionEvaluation.probabilities(models[0], on: testSequences) : RecognitionEvaluation.NetworkOutputs.mean(of: kept.map { outputs[$0] }).probabilities)
        }

        let classes = Emotion.allCases.map(\.rawValue)
        let testTruth = RecognitionSamples.labels(testSequences)
        let testSubjects = testSequences.map { $0.subject ?? "" }
        // The unlabelled part of the training pool, each read through its apex-centred window as
        // the test reads a sequence (landmarks only, no label): self-training's candidates and
        // what class-prior alignment fits to.
        let candidates = split.unlabelledIndices.map { split.pool[$0] }
        let candidateWindows = candidates.map(RecognitionSamples.window)
        func poolProbabilities(_ predictors: [EmotionNetModel]) -> [[Double]] {
            candidateWindows.map { window in
                RecognitionEvaluation.averageProbabilities(
                    predictors.map { $0.probabilities(sequence: window.values, validFrames: window.mask).map(Double.init) })
            }
        }
        /// A variant of (b) against (b) itself on the same test sequences, logged.
        func compared(_ predictions: [Int], with plain: [Int], stage: String, reference: String = "(b)") -> PairedComparison {
            let versus = PairedComparison(
                classNames: classes, truth: testTruth, reference: plain, variant: predictions, clusters: testSubjects,
                bootstrap: Bootstrap(resamples: c.resamples, seed: c.seed))
            log(String(format: "%@ against %@ on the same %d test sequences: macro-F1 %+.3f [%+.3f, %+.3f] (paired bootstrap by subject), above in %.1f %% of resamples; %d predicted differently, %d right only now, %d right only in %@",
                       stage, reference, testSequences.count, versus.difference.value, versus.difference.lower, versus.difference.upper,
                       100 * versus.shareOfResamplesAbove, versus.disagreements, versus.onlyVariantRight, versus.onlyReferenceRight, reference))
            return versus
        }
        /// With ``Configuration/alignClassPriors``: the row of `name` with its class priors aligned
        /// on the unlabelled pool to the labelled sequences' class shares.
        func alignedArm(_ name: String, predictors: [EmotionNetModel], test: RecognitionEvaluation.NetworkOutputs,
                        plain: [Int], stage: String) -> Arm {
            let alignment = ClassPriorAlignment(
                probabilities: poolProbabilities(predictors),
                shares: ClassPriorAlignment.shares(ofLabels: RecognitionSamples.labels(labelled), classes: classes.count))
            let format = { (values: [Double]) in values.map { String(format: "%.3f", $0) }.joined(separator: " ") }
            log("\(stage) class priors aligned on \(candidates.count) unlabelled pool sequences in \(alignment.iterations) iterations: mean probability per class "
                + "\(format(alignment.meanBefore)) → \(format(alignment.meanAfter)); multipliers \(format(alignment.logMultipliers.map(exp)))")
            let probabilities = test.probabilities.map(alignment.apply)
            let report = evaluation.report(
                testSequences, probabilities: probabilities,
                perturbedPredictions: test.perturbedProbabilities.map { RecognitionEvaluation.argmax(alignment.apply($0)) })
            return Arm(
                name: name + ", class priors aligned on the unlabelled pool", report: report, trainingSeconds: seconds(since: started, clock),
                versusPlainB: compared(RecognitionEvaluation.predictions(probabilities), with: plain, stage: stage + " aligned:"),
                alignment: alignment)
        }

        let fineTuned = fineTuneMembers(on: mixed, checkpoint: c.fineTuneRule, stage: "(b)", what: "on children")
        let armB = combine(fineTuned.models, outputs: fineTuned.outputs, scores: fineTuned.scores, stage: "(b)", variant: "")
        arms.append(Arm(name: armB.name, report: armB.report, trainingSeconds: seconds(since: started, clock), ensemble: armB.summary))
        let plainOutputs = c.selfTrainRounds > 0 || c.alignClassPriors || c.compareWithDefaultFineTuning || targetOnlyPredictions != nil
            || !c.interpolationFractions.isEmpty
            ? testOutputs(fineTuned.models, outputs: fineTuned.outputs, kept: armB.kept) : nil
        let plainPredictions = plainOutputs.map { RecognitionEvaluation.predictions($0.probabilities) } ?? []
        if let targetOnlyPredictions {
            arms[arms.count - 1].versusTargetOnly = compared(plainPredictions, with: targetOnlyPredictions, stage: "(b)", reference: "(a)")
        }
        if c.alignClassPriors, let plainOutputs {
            arms.append(alignedArm(
                armB.name, predictors: armB.kept.map { fineTuned.models[$0] }, test: plainOutputs, plain: plainPredictions, stage: "(b)"))
        }
        if c.compareWithDefaultFineTuning {
            // The same networks, seeds and data orders, fine-tuned with the default rule: on the
            // labelled training sequences only, keeping the best validation epoch.
            let stage = "(b) best-epoch control:"
            let reference = fineTuneMembers(
                on: windows(split.training) + sourceMix, checkpoint: .bestValidation, stage: stage,
                what: "on children (\(split.training.count) labelled, the best validation epoch)")
            let arm = combine(
                reference.models, outputs: reference.outputs, scores: reference.scores, stage: stage,
                variant: " control: best validation epoch, validation labels held out")
            let predictions = testPredictions(reference.models, outputs: reference.outputs, kept: arm.kept)
            arms.append(Arm(
                name: arm.name, report: arm.report, trainingSeconds: seconds(since: started, clock), ensemble: arm.summary,
                versusPlainB: compared(predictions, with: plainPredictions, stage: stage)))
        }

        // (b) with its weights part of the way back to the pre-trained network's (WiSE-FT).
        for fraction in c.interpolationFractions {
            let stage = String(format: "(b) interpolated %.2f:", fraction)
            let models = zip(members, fineTuned.models).map { member, tuned in
                let model = EmotionNetModel(config: c.network, adjacency: adjacency)
                model.averageWeights(of: [member.model, tuned], weights: [Float(1 - fraction), Float(fraction)])
                return model
            }
            var outputs: [RecognitionEvaluation.NetworkOutputs] = [], scores: [EnsembleSelection.Score] = []
            if models.count > 1 {
                for (index, model) in models.enumerated() {
                    let figures = memberFigures(model, index: index, stage: stage, what: String(format: "interpolated %.2f", fraction))
                    outputs.append(figures.outputs)
                    scores.append(figures.score)
                }
            }
            let arm = combine(
                models, outputs: outputs, scores: scores, stage: stage,
                variant: String(format: " weights %.2f of the way from pre-trained to fine-tuned", fraction))
            let predictions = testPredictions(models, outputs: outputs, kept: arm.kept)
            arms.append(Arm(
                name: arm.name, report: arm.report, trainingSeconds: seconds(since: started, clock), ensemble: arm.summary,
                versusPlainB: compared(predictions, with: plainPredictions, stage: stage),
                versusTargetOnly: targetOnlyPredictions.map { compared(predictions, with: $0, stage: stage, reference: "(a)") }))
        }

        // The control of the interpolation: arm (a) part of the way back to its initialisation
        // (a network of the same configuration, before any training).
        if let targetOnlyModel, let targetOnlyPredictions, let targetOnlySeconds = arms.first?.trainingSeconds {
            let initial = EmotionNetModel(config: c.network, adjacency: adjacency)
            for fraction in c.interpolationFractions {
                let model = EmotionNetModel(config: c.network, adjacency: adjacency)
                model.averageWeights(of: [initial, targetOnlyModel], weights: [Float(1 - fraction), Float(fraction)])
                let stage = String(format: "(a) interpolated %.2f (control):", fraction)
                let predictions = RecognitionEvaluation.predictions(RecognitionEvaluation.probabilities(model, on: testSequences))
                arms.append(Arm(
                    name: String(format: "(a) control: weights %.2f of the way from initialisation to trained", fraction),
                    report: evaluate(model, on: testSequences), trainingSeconds: targetOnlySeconds,
                    versusTargetOnly: compared(predictions, with: targetOnlyPredictions, stage: stage, reference: "(a)")))
            }
        }

        // (b) with self-training: pseudo-labels for the unlabelled part of the training pool.
        if c.selfTrainRounds > 0 {
            let rounds = c.selfTrainRounds
            // The generator's labels of the candidates: for the record lines only.
            let truthForTheRecord = RecognitionSamples.labels(candidates)
            var predictors = armB.kept.map { fineTuned.models[$0] }
            var predictedBy = "arm (b)"
            for round in 1...rounds {
                let chosen = c.pseudoLabelRule.select(poolProbabilities(predictors))
                let pseudoLabelled = Self.pseudoLabelledSamples(chosen, of: candidates, c)
                var perClass = [Int](repeating: 0, count: classes.count), correct = perClass
                for choice in chosen {
                    perClass[choice.label] += 1
                    if truthForTheRecord[choice.index] == choice.label { correct[choice.label] += 1 }
                }
                let stage = "(b) self-training \(round)/\(rounds):"
                let accuracy = chosen.isEmpty ? nil : Double(correct.reduce(0, +)) / Double(chosen.count)
                let control = c.pseudoLabelsFromGenerator ? "generator labels (control)" : nil
                let windowChoice = c.pseudoLabelAllWindows && c.fineTuneWindowStride > 0 ? "every window holding the apex" : "apex-centred"
                log("\(stage) \(chosen.count) of \(candidates.count) unlabelled pool sequences pseudo-labelled by \(predictedBy) (\(c.pseudoLabelRule)); per class "
                    + zip(classes, perClass).map { "\($0) \($1)" }.joined(separator: ", ")
                    + (accuracy.map { String(format: "; for the record (generator labels, not used): %.3f correct", $0) } ?? "")
                    + "; \(pseudoLabelled.count) windows (\(windowChoice))"
                    + (control.map { "; CONTROL: trained on their \($0)" } ?? ""))
                let summary = SelfTrainingSummary(
                    round: round, rounds: rounds, rule: c.pseudoLabelRule.description, confidence: c.pseudoLabelRule.confidence,
                    perClass: c.pseudoLabelRule.perClass, predictedBy: predictedBy, candidates: candidates.count, classes: classes,
                    pseudoLabels: perClass, correctForTheRecord: correct, accuracyForTheRecord: accuracy,
                    windows: windowChoice, trainedOn: control)
                let what = c.pseudoLabelsFromGenerator ? "with their generator labels" : "pseudo-labelled"
                let retrained = fineTuneMembers(on: mixed + pseudoLabelled, checkpoint: c.fineTuneRule, stage: stage, what: "on children + \(chosen.count) \(what)")
                let arm = combine(
                    retrained.models, outputs: retrained.outputs, scores: retrained.scores, stage: stage,
                    variant: c.pseudoLabelsFromGenerator
                        ? " control: the same sequences with generator labels, round \(round) of \(rounds)"
                        : " self-trained, round \(round) of \(rounds)")
                let outputs = testOutputs(retrained.models, outputs: retrained.outputs, kept: arm.kept)
                arms.append(Arm(
                    name: arm.name, report: arm.report, trainingSeconds: seconds(since: started, clock), ensemble: arm.summary,
                    selfTraining: summary,
                    versusPlainB: compared(RecognitionEvaluation.predictions(outputs.probabilities), with: plainPredictions, stage: stage)))
                predictors = arm.kept.map { retrained.models[$0] }
                if c.alignClassPriors {
                    arms.append(alignedArm(arm.name, predictors: predictors, test: outputs, plain: plainPredictions, stage: stage))
                }
                predictedBy = "round \(round)"
            }
        }

        // (c) Logistic regression on apex frames of all labelled sequences.
        started = clock.now
        let baseline = LogisticRegression(
            inputs: labelled.map { BaselineFeatures.apexVector($0) }, labels: RecognitionSamples.labels(labelled),
            classes: Emotion.allCases.count)
        let probabilities = testSequences.map { baseline.probabilities(BaselineFeatures.apexVector($0)) }
        let perturbed = perturbedCopies(testSequences).map { baseline.predict(BaselineFeatures.apexVector($0)) }
        arms.append(Arm(
            name: "(c) logistic regression, apex landmarks",
            report: report(testSequences, probabilities: probabilities, perturbedPredictions: perturbed),
            trainingSeconds: seconds(since: started, clock)))
        return arms
    }

    /// What the held-out labelled validation sequences are for, in words (the log's).
    public static func heldOutValidationUse(_ c: Configuration) -> String {
        switch (c.fineTuneRule == .bestValidation, c.ensembleSelect != nil) {
        case (true, true): "to choose the epoch and the networks"
        case (true, false): "to choose the epoch"
        case (false, true): "to choose the networks"
        case (false, false): "and only scored each epoch"
        }
    }

    /// The training samples of self-training's chosen candidates (`chosen` indexes
    /// `candidates`): each sequence with its pseudo-label, or with its generator label under
    /// ``Configuration/pseudoLabelsFromGenerator``; its apex-centred window, or every window
    /// holding its apex under ``Configuration/pseudoLabelAllWindows``.
    public static func pseudoLabelledSamples(
        _ chosen: [PseudoLabelRule.Choice], of candidates: [LandmarkSequence], _ c: Configuration
    ) -> [TrainingSample] {
        chosen.flatMap { choice in
            var sequence = candidates[choice.index]
            if !c.pseudoLabelsFromGenerator { sequence.label = Emotion.allCases[choice.label] }
            return c.pseudoLabelAllWindows && c.fineTuneWindowStride > 0
                ? RecognitionSamples.samples(sequence, stride: c.fineTuneWindowStride)
                : [RecognitionSamples.sample(sequence)]
        }
    }

    /// Everything the pre-trained network depends on, as sorted-key JSON: a cached network is
    /// reused only under the same key (and the same code).
    public static func pretrainingKey(_ c: Configuration) -> String {
        struct Key: Encodable {
            var sourceCount: Int, frames: Int, seed: UInt64, pretrainEpochs: Int
            var network: EmotionNetConfig, augmentation: ExpressionAugmentation
            /// Absent (nil) without a speed-up, so caches written before it existed stay valid.
            var speedUp: Double?
            /// Absent (nil) for the best validation epoch, for the same reason.
            var checkpoint: String?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let key = Key(sourceCount: c.sourceCount, frames: c.frames, seed: c.seed, pretrainEpochs: c.pretrainEpochs,
                      network: c.network, augmentation: c.pretrainAugmentation,
                      speedUp: c.pretrainSpeedUp == 1 ? nil : c.pretrainSpeedUp,
                      checkpoint: c.pretrainCheckpoint == .bestValidation ? nil : c.pretrainCheckpoint.description)
        return (try? String(decoding: encoder.encode(key), as: UTF8.self)) ?? ""
    }

    /// A member of arm (b)'s ensemble: the pre-trained network in `path`, written by
    /// `pretrainedCache` for the pre-training of `c` with the seed of the source data as the only
    /// possible difference, and that seed. Throws when the file is missing or unreadable, or was
    /// written for another pre-training (source count, frames, epochs, network or augmentation).
    public static func ensembleMember(_ path: String, for c: Configuration) throws -> (model: EmotionNetModel, seed: UInt64) {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw EnsembleMemberError("Ensemble member '\(path)' does not exist. Write it first with --pretrained-cache and --seed.")
        }
        let metadata: ModelFileMetadata
        do {
            metadata = try EmotionNetModel.readMetadata(contentsOf: url)
        } catch {
            throw EnsembleMemberError("Ensemble member '\(path)' is not a readable model file: \(error)")
        }
        struct SeedOnly: Decodable { var seed: UInt64 }
        guard let key = metadata.raw["pretraining_key"],
              let seed = try? JSONDecoder().decode(SeedOnly.self, from: Data(key.utf8)).seed
        else {
            throw EnsembleMemberError("Ensemble member '\(path)' was not written by --pretrained-cache (it has no pre-training key).")
        }
        var same = c
        same.seed = seed
        guard key == pretrainingKey(same) else {
            throw EnsembleMemberError(
                "Ensemble member '\(path)' was pre-trained differently (source count, frames, epochs, checkpoint, network or augmentation): its key is \(key), this run's would be \(pretrainingKey(same)).")
        }
        do {
            return (try EmotionNetModel.load(contentsOf: url), seed)
        } catch {
            throw EnsembleMemberError("Ensemble member '\(path)' cannot be loaded: \(error)")
        }
    }

    /// Why an ensemble member cannot be used; the message names the file and the way out.
    public struct EnsembleMemberError: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The network in `path` if it was written for `key`.
    static func cachedPretraining(_ path: String, key: String) -> EmotionNetModel? {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path),
              let metadata = try? EmotionNetModel.readMetadata(contentsOf: url), metadata.raw["pretraining_key"] == key
        else { return nil }
        return try? EmotionNetModel.load(contentsOf: url)
    }

    /// The trainer's augmentation hook for `augmentation` (nil when it changes nothing).
    static func hook(_ augmentation: ExpressionAugmentation) -> ((inout TrainingSample, inout SplitMix64) -> Void)? {
        augmentation.isIdentity ? nil : { augmentation.apply(&$0, rng: &$1) }
    }

    /// Each sequence sped up by its own seeded factor, uniform in 1...`maximum` (unchanged when
    /// `maximum` is 1).
    static func spedUp(_ sequences: [LandmarkSequence], upTo maximum: Double, seed: UInt64) -> [LandmarkSequence] {
        guard maximum > 1 else { return sequences }
        var rng = Xoshiro256(seed: seed, stream: 9, index: 0)
        return sequences.map { $0.spedUp(by: rng.uniform(1...maximum)) }
    }

    /// The indices of a seeded subset of `fraction` of the sequences, at least one per class present.
    static func subsetIndices(_ sequences: [LandmarkSequence], fraction: Double, seed: UInt64) -> [Int] {
        var rng = Xoshiro256(seed: seed, stream: 3, index: 0)
        var byClass: [[Int]] = Emotion.allCases.map { emotion in sequences.indices.filter { sequences[$0].label == emotion } }
        var chosen: [Int] = []
        for i in byClass.indices where !byClass[i].isEmpty {
            rng.shuffle(&byClass[i])
            chosen += byClass[i].prefix(max(1, Int((Double(byClass[i].count) * fraction).rounded())))
        }
        rng.shuffle(&chosen)
        return chosen
    }

    /// The network's report on `sequences`; see ``RecognitionEvaluation``.
    public func evaluate(_ model: EmotionNetModel, on sequences: [LandmarkSequence], resamples: Int? = nil) -> ClassificationReport {
        RecognitionEvaluation(seed: configuration.seed, resamples: resamples ?? configuration.resamples).report(model, on: sequences)
    }

    func perturbedCopies(_ sequences: [LandmarkSequence]) -> [LandmarkSequence] {
        RecognitionEvaluation(seed: configuration.seed, resamples: configuration.resamples).perturbedCopies(sequences)
    }

    func report(_ sequences: [LandmarkSequence], probabilities: [[Double]], perturbedPredictions: [Int]) -> ClassificationReport {
        RecognitionEvaluation(seed: configuration.seed, resamples: configuration.resamples)
            .report(sequences, probabilities: probabilities, perturbedPredictions: perturbedPredictions)
    }

    public static func describe(_ p: EpochProgress) -> String {
        String(
            format: "epoch %d loss %.4f train acc %.3f val F1 %@ (%.1f s)", p.epoch, p.trainLoss, p.trainAccuracy,
            p.validationScore.map { String(format: "%.3f", $0) } ?? "–", p.seconds)
    }

    private func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
