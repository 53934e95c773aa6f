import ArgumentParser
import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Recognition
import Statistics

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run the documented benchmarks of the recognizer.",
        subcommands: [TransferExperimentCommand.self, CeilingCommand.self]
    )
}

extension TransferExperiment.LabelSelection: ExpressibleByArgument {}

extension CheckpointRule: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

struct TransferExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Does pre-training on posed adults help with few labelled child faces? (synthetic data)",
        discussion: """
            Generates seeded synthetic landmark sequences — posed adult faces (source) and
            subtler, more varied child faces (target) — and compares on held-out child
            subjects:
              (a) the network trained on the children alone, with 10 % of their labels;
              (b) the network pre-trained on the adults, fine-tuned on the same labels;
              (c) logistic regression on normalised apex-frame landmarks, same labels.
            (a) and (b) train alike and differ by their start only: the same rates,
            every label trains, and each keeps the mean of its last 20 epochs'
            weights (--fine-tune-checkpoint best keeps a quarter of the labels aside
            to choose the epoch instead, the rule before 2026-12-04).
            Each metric has a bootstrap 95 % interval (BCa, resampling subjects). These
            are figures on synthetic faces: they say whether the method works, not how it
            does on real children. Use a release build: the full run trains three
            networks (about 15 minutes on two cores, 10 of them pre-training on 5600
            posed-adult sequences; --pretrained-cache reuses a pre-trained network).
            --ensemble-cache adds networks pre-trained on other seeds' posed adults
            (source data only) and makes (b) the ensemble of them all.
            --ensemble-select K keeps only the K networks with the best macro-F1
            on the labelled validation children, then held out from training (ties:
            mean log-likelihood there, then the order given); the test set plays no
            part in the choice.
            --self-train N adds N rounds of self-training: the latest (b) labels the
            training pool's unlabelled children it is confident about (probability at
            least --pseudo-confidence, at most --pseudo-per-class per class), and every
            network is fine-tuned again from its pre-trained weights on the labelled
            and pseudo-labelled children; each round is a row of its own, with its
            difference to (b) on the same test sequences (a paired bootstrap by
            subject: narrower than the two rows' intervals). The test set is never
            pseudo-labelled. --pseudo-true-labels is a control: the same sequences
            with the generator's labels, to measure what wrong ones cost.
            --align-class-priors adds rows whose class probabilities are re-weighted
            so that their mean over the unlabelled children matches the class shares
            of the labelled ones (no label of the unlabelled children is used).
            --interpolate-pretrained A adds (b) with its weights A of the way from
            the pre-trained network's to the fine-tuned one's (WiSE-FT; 1 is (b), 0
            the pre-trained network) and, as a control, (a) the same way back to its
            random initialisation; every A given is a row, none is chosen.
            --label-selection margin labels, instead of a random sample of each class,
            the children the pre-trained network is least sure of (the smallest gap
            between its two most likely classes): the same number, for every arm;
            margin-per-class takes them in turn from each class the network predicts.

            Examples:
              .build/release/emomusik experiment transfer
              emomusik experiment transfer --source-count 300 --target-count 300
              emomusik experiment transfer --pretrained-cache pre-2026.safetensors \\
                --ensemble-cache pre-2027.safetensors --skip-target-only
              emomusik experiment transfer --pretrained-cache pre-2026.safetensors \\
                --ensemble-cache pre-2027.safetensors \\
                --ensemble-cache pre-2028.safetensors --ensemble-select 2
              emomusik experiment transfer --pretrained-cache pre-2026.safetensors \\
                --skip-target-only --self-train 1 --pseudo-confidence 0.95
              emomusik experiment transfer --pretrained-cache pre-2026.safetensors \\
                --skip-target-only --align-class-priors
            """
    )

    @Option(help: "Posed-adult (source) sequences.") var sourceCount = TransferExperiment.Configuration().sourceCount
    @Option(help: "Child (target) sequences.") var targetCount = TransferExperiment.Configuration().targetCount
    @Option(help: "Fraction of the target training pool whose labels are used.") var labelFraction = TransferExperiment.Configuration().labelFraction
    @Option(help: "Seed of everything: data, splits, initialisation, shuffling, bootstrap.") var seed = TransferExperiment.Configuration().seed
    @Option(help: "Pre-training epochs (early stopping may end sooner).") var pretrainEpochs = TransferExperiment.Configuration().pretrainEpochs
    @Option(help: "Fine-tuning and target-only epochs.") var fineTuneEpochs = TransferExperiment.Configuration().fineTuneEpochs
    @Option(help: "Frames between training windows per labelled target sequence (0: the apex-centred window only).")
    var windowStride = TransferExperiment.Configuration().fineTuneWindowStride
    @Option(help: "Node pooling of the network: mean, meanMax or flatten.") var pooling = TransferExperiment.Configuration().network.pooling.rawValue
    @Option(help: "Pre-training augmentation: lowest expression intensity (1: none).") var pretrainIntensity: Float = TransferExperiment.Configuration().pretrainAugmentation.intensity.lowerBound
    @Option(help: "Pre-training augmentation: SD of the aspect-ratio drift (out-of-plane head turns).") var pretrainAspect: Float = TransferExperiment.Configuration().pretrainAugmentation.aspectDrift
    @Option(help: "Pre-training augmentation: highest speed-up of a posed-adult sequence (1: none).")
    var pretrainSpeed = TransferExperiment.Configuration().pretrainSpeedUp
    @Option(
        help: ArgumentHelp(
            "Pre-trained weights (b) starts from: best (the first epoch with the best posed-adult validation score), last (the last epoch's) or average-last-K (the mean of the last K epochs' weights; 1 ≤ K ≤ --pretrain-epochs).",
            valueName: "best|last|average-last-K"))
    var pretrainCheckpoint = TransferExperiment.Configuration().pretrainCheckpoint
    @Option(help: "Fine-tuning augmentation: SD of the aspect-ratio drift.") var fineTuneAspect: Float = TransferExperiment.Configuration().fineTuneAugmentation.aspectDrift
    @Option(help: "Pre-training augmentation: lowest per-region intensity factor (1: none).") var pretrainRegion: Float = TransferExperiment.Configuration().pretrainAugmentation.regionIntensity.lowerBound
    @Option(help: "Fine-tuning augmentation: lowest per-region intensity factor (1: none).") var fineTuneRegion: Float = TransferExperiment.Configuration().fineTuneAugmentation.regionIntensity.lowerBound
    @Option(help: "Pre-training augmentation: per-landmark face-shape offset SD (face units).") var pretrainShape: Float = TransferExperiment.Configuration().pretrainAugmentation.shapeSD
    @Option(help: "Pre-training augmentation: tracker jitter SD (face units).") var pretrainJitter: Float = TransferExperiment.Configuration().pretrainAugmentation.jitter
    @Option(help: "Fine-tuning augmentation: lowest and highest intensity factor (1: none).") var fineTuneIntensity: Float = TransferExperiment.Configuration().fineTuneAugmentation.intensity.lowerBound
    @Option(help: "Fine-tuning augmentation: per-landmark face-shape offset SD (face units).") var fineTuneShape: Float = TransferExperiment.Configuration().fineTuneAugmentation.shapeSD
    @Option(help: "Fine-tuning augmentation: tracker jitter SD (face units).") var fineTuneJitter: Float = TransferExperiment.Configuration().fineTuneAugmentation.jitter
    @Option(help: "Source sequences mixed into fine-tuning.") var sourceMix = TransferExperiment.Configuration().sourceMixCount
    @Option(help: "Learning-rate multiplier of the graph layers while fine-tuning (0 freezes them).") var graphRate = TransferExperiment.Configuration().graphRateWhileFineTuning
    @Option(help: "Peak fine-tuning learning rate.") var fineTuneRate = TransferExperiment.Configuration().fineTuneLearningRate
    @Option(help: "With --fine-tune-checkpoint best: epochs without a better validation score before stopping.") var fineTunePatience = TransferExperiment.Configuration().fineTunePatience
    @Option(
        help: ArgumentHelp(
            "Weights fine-tuning and arm (a) keep: average-last-K (the mean of the last K epochs' weights; 1 ≤ K ≤ --fine-tune-epochs), last, or best (the first epoch with the best score on the labelled validation children, who are then held out from training). Default: \(TransferExperiment.Configuration().fineTuneCheckpoint), all epochs when fewer run.",
            valueName: "best|last|average-last-K"))
    var fineTuneCheckpoint: CheckpointRule?
    @Flag(
        help: "Train on the labelled validation children too: the default, unless --fine-tune-checkpoint best or --ensemble-select chooses by them. Given, it refuses those two.")
    var trainOnValidationLabels = false
    @Flag(help: "Keep the labelled validation children out of training (they are then only scored).")
    var holdOutValidationLabels = false
    @Flag(
        name: [.customLong("compare-best-epoch"), .customLong("compare-default-fine-tuning")],
        help: "Add a row: the same networks fine-tuned to the best validation epoch with the validation children held out (the rule before 2026-12-04; every other fine-tuning option as given), with its paired difference to (b).")
    var compareDefaultFineTuning = false
    @Flag(help: "Start the fine-tuned classifier from fresh weights.") var reinitialiseClassifier = false
    @Option(
        name: .customLong("interpolate-pretrained"),
        help: ArgumentHelp(
            "Add a row of (b) with its weights a of the way from the pre-trained network's to the fine-tuned one's ((1 − a)·pre-trained + a·fine-tuned, tensor by tensor; 0 ≤ a ≤ 1), with its paired differences to (b) and (a). Repeatable.",
            valueName: "a"))
    var interpolationFractions: [Double] = []
    @Option(help: "Fine-tunings averaged into arm (b) (a uniform model soup; 1: one fine-tuning).")
    var fineTuneRuns = TransferExperiment.Configuration().fineTuneRuns
    @Option(help: "Input channels the network reads: a comma list of position, velocity, displacement, or all.")
    var inputChannels = "velocity,displacement"
    @Option(help: ArgumentHelp("Reuse the pre-trained network from this file when it was written for the same pre-training; else write it there.", valueName: "file.safetensors"))
    var pretrainedCache: String?
    @Option(
        name: .customLong("ensemble-cache"),
        help: ArgumentHelp(
            "Another pre-trained network (written by --pretrained-cache, any seed); (b) becomes the mean of the class probabilities of all networks, each fine-tuned. Repeatable.",
            valueName: "file.safetensors"))
    var ensembleCaches: [String] = []
    @Option(
        help: ArgumentHelp(
            "Keep only the k networks of the ensemble best on the labelled validation children (macro-F1, then mean log-likelihood), equal weights. Default: all.",
            valueName: "k"))
    var ensembleSelect: Int?
    @Option(
        help: ArgumentHelp(
            "Rounds of self-training on the training pool's unlabelled children, each a variant of (b); 0: none.",
            valueName: "rounds"))
    var selfTrain = 0
    @Option(
        help: ArgumentHelp(
            "Self-training: the lowest probability of the predicted class a pseudo-label needs. Default: \(PseudoLabelRule().confidence).",
            valueName: "p"))
    var pseudoConfidence: Double?
    @Option(
        help: ArgumentHelp(
            "Self-training: the most pseudo-labels a class keeps, the most confident first. Default: \(PseudoLabelRule().perClass).",
            valueName: "n"))
    var pseudoPerClass: Int?
    @Option(
        help: ArgumentHelp(
            "Self-training: windows per pseudo-labelled sequence: apex (the apex-centred one) or all (every window holding the apex, --window-stride apart, as for a labelled one). Default: apex.",
            valueName: "apex|all"))
    var pseudoWindows: PseudoWindowChoice?
    /// Windows per pseudo-labelled sequence.
    enum PseudoWindowChoice: String, ExpressibleByArgument, CaseIterable { case apex, all }
    @Flag(
        help: "Self-training control for experiments: train on the chosen sequences' generator labels instead of their pseudo-labels (what wrong pseudo-labels cost).")
    var pseudoTrueLabels = false
    @Flag(
        help: "Add (b), and each self-training round, with class priors aligned on the unlabelled children to the labelled children's class shares.")
    var alignClassPriors = false
    @Option(
        help: ArgumentHelp(
            "Which training-pool children are labelled: random (a random sample of each class, the benchmark), margin (those the pre-trained network is least sure of; same number) or margin-per-class (the same, in turn from each class it predicts).",
            valueName: "random|margin|margin-per-class"))
    var labelSelection = TransferExperiment.LabelSelection.stratifiedRandom
    @Option(
        help: ArgumentHelp(
            "Networks arm (a) trains from their own initialisations; more than 1 makes (a) their prediction ensemble, to set beside an ensemble (b).",
            valueName: "k"))
    var targetOnlyRuns = TransferExperiment.Configuration().targetOnlyRuns
    @Flag(help: "Skip arm (a), the network trained on the target alone.") var skipTargetOnly = false
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Flag(help: "Print the results as JSON (progress still goes to standard error).") var json = false

    func validate() throws {
        guard sourceCount >= 14, targetCount >= 28 else { throw ValidationError("Use at least 14 source and 28 target sequences.") }
        guard pretrainSpeed >= 1, pretrainSpeed <= 4 else {
            throw ValidationError("--pretrain-speed must be from 1 (no speed-up) to 4, not \(pretrainSpeed).")
        }
        if case .averageOfLastEpochs(let k) = pretrainCheckpoint, k > pretrainEpochs {
            throw ValidationError("--pretrain-checkpoint average-last-\(k) averages more epochs than --pretrain-epochs runs (\(pretrainEpochs)).")
        }
        if case .averageOfLastEpochs(let k) = fineTuneCheckpoint, k > fineTuneEpochs {
            throw ValidationError("--fine-tune-checkpoint average-last-\(k) averages more epochs than --fine-tune-epochs runs (\(fineTuneEpochs)).")
        }
        if compareDefaultFineTuning && fineTuneCheckpoint == .bestValidation {
            throw ValidationError("--compare-best-epoch compares with nothing here: (b) already keeps the best validation epoch. Leave out --fine-tune-checkpoint best.")
        }
        if trainOnValidationLabels && holdOutValidationLabels {
            throw ValidationError("--train-on-validation-labels and --hold-out-validation-labels contradict each other; give one.")
        }
        if trainOnValidationLabels {
            guard fineTuneCheckpoint != .bestValidation else {
                throw ValidationError("--train-on-validation-labels needs --fine-tune-checkpoint last or average-last-K: with best, those children choose the epoch.")
            }
            guard ensembleSelect == nil else {
                throw ValidationError("--train-on-validation-labels cannot be used with --ensemble-select, which chooses networks on those children.")
            }
        }
        guard (1...Self.maximumTargetOnlyRuns).contains(targetOnlyRuns) else {
            throw ValidationError("--target-only-runs must be from 1 to \(Self.maximumTargetOnlyRuns), not \(targetOnlyRuns).")
        }
        if targetOnlyRuns > 1 && skipTargetOnly {
            throw ValidationError("--target-only-runs applies to arm (a), which --skip-target-only leaves out; give one of them.")
        }
        if let fraction = interpolationFractions.first(where: { !(0...1).contains($0) }) {
            throw ValidationError("--interpolate-pretrained takes a fraction from 0 (the pre-trained network) to 1 (the fine-tuned one), not \(fraction).")
        }
        guard labelFraction > 0, labelFraction <= 1 else { throw ValidationError("--label-fraction must be in (0, 1].") }
        guard (0...Self.maximumSelfTrainingRounds).contains(selfTrain) else {
            throw ValidationError("--self-train must be from 0 (none) to \(Self.maximumSelfTrainingRounds) rounds, not \(selfTrain).")
        }
        if let pseudoConfidence {
            guard pseudoConfidence > 0, pseudoConfidence <= 1 else {
                throw ValidationError("--pseudo-confidence must be a probability above 0 and at most 1, not \(pseudoConfidence).")
            }
        }
        if let pseudoPerClass {
            guard pseudoPerClass >= 1 else {
                throw ValidationError("--pseudo-per-class must be at least 1, not \(pseudoPerClass).")
            }
        }
        let pseudoOptions = [
            ("--pseudo-confidence", pseudoConfidence != nil), ("--pseudo-per-class", pseudoPerClass != nil),
            ("--pseudo-windows", pseudoWindows != nil), ("--pseudo-true-labels", pseudoTrueLabels),
        ]
        if selfTrain == 0, let option = pseudoOptions.first(where: \.1)?.0 {
            throw ValidationError("\(option) applies to self-training only; add --self-train ROUNDS (at least 1).")
        }
        if alignClassPriors, labelSelection != .stratifiedRandom {
            throw ValidationError(
                "--align-class-priors needs --label-selection random: it aligns to the labelled children's class shares, which only a random sample of each class shares with the pool.")
        }
        if let ensembleSelect {
            let pool = 1 + ensembleCaches.count
            guard ensembleSelect >= 1, ensembleSelect <= pool else {
                throw ValidationError(
                    "--ensemble-select must be from 1 to \(pool), the networks of this run (its own and \(ensembleCaches.count) from --ensemble-cache), not \(ensembleSelect). Add --ensemble-cache FILE for a larger pool.")
            }
        }
    }

    /// The most rounds of self-training: each costs a fine-tuning of every network, so a larger
    /// number is more likely a typo than a plan.
    static let maximumSelfTrainingRounds = 5
    /// The most networks arm (a) may train: each is a full training.
    static let maximumTargetOnlyRuns = 10

    struct Row: Encodable {
        var arm: String
        var accuracy: Estimate
        var macroF1: Estimate
        var macroAUC: Estimate?
        var stability: Estimate?
        var testSequences: Int
        var trainingSeconds: Double
        var ensemble: TransferExperiment.EnsembleSummary?
        var selfTraining: TransferExperiment.SelfTrainingSummary?
        var versusPlainB: PairedComparison?
        var versusTargetOnly: PairedComparison?
        var alignment: ClassPriorAlignment?
    }

    func run() throws {
        BLAS.setThreads(threads)
        var configuration = TransferExperiment.Configuration()
        configuration.sourceCount = sourceCount
        configuration.targetCount = targetCount
        configuration.labelFraction = labelFraction
        configuration.seed = seed
        configuration.pretrainEpochs = pretrainEpochs
        configuration.fineTuneEpochs = fineTuneEpochs
        configuration.fineTuneWindowStride = windowStride
        guard let poolingMode = NodePoolingMode(rawValue: pooling) else {
            throw ValidationError("--pooling must be one of \(NodePoolingMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        configuration.network.pooling = poolingMode
        if inputChannels == "all" {
            configuration.network.inputChannels = nil
        } else {
            let groups = inputChannels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let known = ["position", "velocity", "displacement"]
            guard !groups.isEmpty, groups.allSatisfy(known.contains) else {
                throw ValidationError("--input-channels must be all or a comma list of \(known.joined(separator: ", "))")
            }
            configuration.network.inputChannels = known.flatMap { name in [groups.contains(name), groups.contains(name)] }
        }
        configuration.pretrainedCache = pretrainedCache
        configuration.runTargetOnly = !skipTargetOnly
        configuration.targetOnlyRuns = targetOnlyRuns
        configuration.pretrainAugmentation = ExpressionAugmentation(
            intensity: min(pretrainIntensity, 1)...max(pretrainIntensity, 1),
            regionIntensity: min(pretrainRegion, 1)...max(pretrainRegion, pretrainRegion < 1 ? 1.2 : 1), shapeSD: pretrainShape, jitter: pretrainJitter,
            aspectDrift: pretrainAspect)
        configuration.fineTuneAugmentation = ExpressionAugmentation(
            intensity: min(fineTuneIntensity, 1)...max(fineTuneIntensity, 1),
            regionIntensity: min(fineTuneRegion, 1)...max(fineTuneRegion, fineTuneRegion < 1 ? 1.2 : 1), shapeSD: fineTuneShape, jitter: fineTuneJitter,
            aspectDrift: fineTuneAspect)
        configuration.pretrainSpeedUp = pretrainSpeed
        configuration.pretrainCheckpoint = pretrainCheckpoint
        if let fineTuneCheckpoint { configuration.fineTuneCheckpoint = fineTuneCheckpoint }
        configuration.trainOnValidationLabels = !holdOutValidationLabels
        configuration.compareWithDefaultFineTuning = compareDefaultFineTuning
        configuration.interpolationFractions = interpolationFractions
        configuration.sourceMixCount = sourceMix
        configuration.graphRateWhileFineTuning = graphRate
        configuration.fineTuneLearningRate = fineTuneRate
        configuration.reinitialiseClassifier = reinitialiseClassifier
        guard fineTuneRuns >= 1 else { throw ValidationError("--fine-tune-runs must be at least 1, not \(fineTuneRuns)") }
        configuration.fineTuneRuns = fineTuneRuns
        configuration.fineTunePatience = fineTunePatience
        configuration.ensembleCaches = ensembleCaches
        configuration.ensembleSelect = ensembleSelect
        configuration.selfTrainRounds = selfTrain
        configuration.pseudoLabelRule = PseudoLabelRule(
            confidence: pseudoConfidence ?? PseudoLabelRule().confidence, perClass: pseudoPerClass ?? PseudoLabelRule().perClass)
        configuration.pseudoLabelAllWindows = pseudoWindows == .all
        configuration.pseudoLabelsFromGenerator = pseudoTrueLabels
        configuration.alignClassPriors = alignClassPriors
        configuration.labelSelection = labelSelection
        for path in ensembleCaches {
            do {
                _ = try TransferExperiment.ensembleMember(path, for: configuration)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let arms = TransferExperiment(configuration: configuration).run { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let rows = arms.map {
            Row(
                arm: $0.name, accuracy: $0.report.accuracy, macroF1: $0.report.macroF1, macroAUC: $0.report.macroAUC,
                stability: $0.report.stability, testSequences: $0.report.samples, trainingSeconds: $0.trainingSeconds,
                ensemble: $0.ensemble, selfTraining: $0.selfTraining, versusPlainB: $0.versusPlainB,
                versusTargetOnly: $0.versusTargetOnly, alignment: $0.alignment)
        }
        if json {
            printJSON(rows)
            return
        }
        func cell(_ e: Estimate?) -> String {
            guard let e else { return "–" }
            return String(format: "%.3f [%.3f, %.3f]", e.value, e.lower, e.upper)
        }
        print("target-domain test set: \(rows.first?.testSequences ?? 0) sequences from held-out subjects; 95 % bootstrap CIs by subject")
        // Wide enough for the longest row name: a cut name could not tell two variants apart.
        let armWidth = max(50, (rows.map(\.arm.count).max() ?? 0) + 2)
        print("arm".padding(toLength: armWidth, withPad: " ", startingAt: 0) + "accuracy               macro-F1               macro AUC              stability              train s")
        for row in rows {
            print(
                row.arm.padding(toLength: armWidth, withPad: " ", startingAt: 0)
                    + [cell(row.accuracy), cell(row.macroF1), cell(row.macroAUC), cell(row.stability)]
                    .map { $0.padding(toLength: 23, withPad: " ", startingAt: 0) }.joined()
                    + String(format: "%.1f", row.trainingSeconds))
        }
        for row in rows {
            guard let ensemble = row.ensemble else { continue }
            print("\n\(row.arm): \(ensemble.rule)")
            print("member  source seed  val. macro-F1  val. log-lik.  weight  test macro-F1 alone  source")
            for (index, member) in ensemble.members.enumerated() {
                print(
                    String(index + 1).padding(toLength: 8, withPad: " ", startingAt: 0)
                        + String(member.sourceSeed).padding(toLength: 13, withPad: " ", startingAt: 0)
                        + String(format: "%.3f", member.validation.macroF1).padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(format: "%.3f", member.validation.logLikelihood).padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(format: "%.3f", member.weight).padding(toLength: 8, withPad: " ", startingAt: 0)
                        + String(format: "%.3f", member.testMacroF1).padding(toLength: 21, withPad: " ", startingAt: 0)
                        + member.source)
            }
        }
        for row in rows {
            guard let round = row.selfTraining else { continue }
            print(
                "\n\(row.arm): \(round.pseudoLabels.reduce(0, +)) of \(round.candidates) unlabelled training-pool sequences pseudo-labelled by \(round.predictedBy); rule: \(round.rule)")
            print("class".padding(toLength: 12, withPad: " ", startingAt: 0) + "pseudo-labels  right "
                + (round.trainedOn == nil ? "(the generator's label; for the record, not used)" : "(the generator's label, which this control trains on)"))
            for (index, name) in round.classes.enumerated() {
                print(
                    name.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(round.pseudoLabels[index]).padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(round.correctForTheRecord[index]))
            }
            print(
                "all".padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(round.pseudoLabels.reduce(0, +)).padding(toLength: 15, withPad: " ", startingAt: 0)
                    + String(round.correctForTheRecord.reduce(0, +))
                    + (round.accuracyForTheRecord.map { String(format: " (%.3f)", $0) } ?? ""))
        }
        /// The rows paired with `reference` on the same test sequences, one line each.
        func pairedSection(_ reference: String, _ comparison: (Row) -> PairedComparison?) {
            let paired = rows.compactMap { row in comparison(row).map { (row.arm, $0) } }
            guard !paired.isEmpty else { return }
            print("\nagainst \(reference) on the same test sequences (paired bootstrap by subject):")
            for (arm, versus) in paired {
                print(
                    arm.padding(toLength: armWidth, withPad: " ", startingAt: 0)
                        + String(format: "macro-F1 %+.3f [%+.3f, %+.3f], above %@ in %.1f %% of resamples",
                                 versus.difference.value, versus.difference.lower, versus.difference.upper, reference,
                                 100 * versus.shareOfResamplesAbove))
            }
        }
        pairedSection("(a)", \.versusTargetOnly)
        pairedSection("(b)", \.versusPlainB)
    }
}

struct CeilingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling",
        abstract: "How well could anything classify a synthetic domain? (latent oracle, nuisances one at a time)",
        discussion: """
            The generator knows each sequence's latent expression: its action units, their
            intensities, and whether it was drawn at the domain's ambiguous intensity. This
            prints the share of ambiguous sequences, an oracle (k nearest neighbours on the
            latent AU intensities, no face at all), and logistic regression on the apex
            displacement of rendered landmarks with tracker jitter, head pose and dropped
            frames switched on one at a time. Figures on synthetic faces.

            Example:
              .build/release/emomusik experiment ceiling --domain child
            """
    )

    @Option(help: "posed-adult or child.") var domain = "child"
    @Option(help: "Sequences to fit on.") var trainCount = 2800
    @Option(help: "Sequences to test on (another seed: other subjects).") var testCount = 1400
    @Option(help: "Seed of the fitting data (the test data uses seed + 1).") var seed: UInt64 = 2026
    @Flag(help: "Print the results as JSON.") var json = false

    func run() throws {
        guard let domain = SyntheticDomain(rawValue: domain) else {
            throw ValidationError("--domain must be posed-adult or child")
        }
        var study = CeilingStudy(domain: domain)
        study.trainCount = trainCount
        study.testCount = testCount
        study.seed = seed
        let result = study.run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        if json {
            printJSON(result)
            return
        }
        print("\(result.domain): \(result.testSequences) test sequences (seed \(seed &+ 1)), fitted on \(trainCount) (seed \(seed))")
        print(String(format: "ambiguous share %.3f; expressive sequences whose key unit is within the distractor range %.3f; mean class-unit intensity (clear sequences) %.3f",
                     result.ambiguousShare, result.keyUnitWithinDistractorShare, result.meanClassUnitIntensity))
        print("classifier".padding(toLength: 78, withPad: " ", startingAt: 0) + "accuracy  macro-F1  acc. ambiguous  acc. clear")
        for row in result.rows {
            print(row.name.padding(toLength: 78, withPad: " ", startingAt: 0)
                  + String(format: "%.3f     %.3f     %@           %.3f", row.accuracy, row.macroF1,
                           row.ambiguousAccuracy.map { String(format: "%.3f", $0) } ?? "–    ", row.clearAccuracy))
        }
        let names = Emotion.allCases.map { String($0.rawValue.prefix(5)) }
        for row in result.rows where row.name.hasPrefix("oracle: 15") || row.name.hasSuffix("full domain") {
            print("\nconfusion (rows true, columns predicted): \(row.name)")
            print("        " + names.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
            for (name, counts) in zip(names, row.confusion) {
                print(name.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + counts.map { String($0).padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
            }
        }
    }
}
