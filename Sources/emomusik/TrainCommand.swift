import ArgumentParser
import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Recognition
import Statistics

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the emotion recognizer on landmark datasets, with transfer learning.",
        discussion: """
            A dataset is a directory with one OpenFace 2.0 CSV per sequence and a
            labels.csv index (file,emotion,subject,domain), as `emomusik dataset synth`
            writes it. With --source the network is first pre-trained there (e.g. posed
            adult faces), then fine-tuned on --target (e.g. children). Each dataset is
            split by subject, 90 % to train and 10 % to validate. Progress is printed per
            epoch: loss, training accuracy, validation macro-F1.

            Pre-training keeps its best validation epoch. The target stage keeps what
            --checkpoint names: by default average-last-20, the mean of the last 20
            epochs' weights with every epoch run; last; or best, the epoch with the best
            validation macro-F1, with early stopping. A rule other than best chooses
            nothing by the validation subjects, so they train too (their scores are then
            not held out) unless --hold-out-validation. The former defaults, kept for
            reproducing older models: --checkpoint best --graph-rate 0.1
            --fine-tune-rate 0.0005.

            Examples:
              emomusik dataset synth --domain posed-adult --count 1400 --seed 1 --out adult
              emomusik dataset synth --domain child --count 1400 --seed 2 --out child
              emomusik train --source adult --target child -o model.safetensors
              emomusik train --source adult --target child -o old.safetensors \\
                --checkpoint best --graph-rate 0.1 --fine-tune-rate 0.0005
            """
    )

    @Option(help: ArgumentHelp("A dataset to pre-train on.", valueName: "dir")) var source: String?
    @Option(help: ArgumentHelp("The dataset to train (or fine-tune) on.", valueName: "dir")) var target: String
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the model (.safetensors).", valueName: "file"))
    var output: String
    @Option(help: "Pre-training epochs (early stopping may end sooner).") var pretrainEpochs = 20
    @Option(help: "Training or fine-tuning epochs.") var epochs = 60
    @Option(help: "Seed of splits, initialisation and shuffling.") var seed: UInt64 = 1
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(
        help: ArgumentHelp(
            "Weights the target stage keeps: average-last-K (the mean of the last K epochs' weights; 1 ≤ K ≤ --epochs), last, or best (the first epoch with the best validation macro-F1). Default: \(RecognitionTraining().checkpoint), all epochs when fewer run.",
            valueName: "best|last|average-last-K"))
    var checkpoint: CheckpointRule?
    @Flag(help: "Keep the target's validation subjects out of training (always so with --checkpoint best).")
    var holdOutValidation = false
    @Option(help: "With --source: learning-rate multiplier of the graph layers while fine-tuning (0 freezes them).")
    var graphRate = RecognitionTraining().graphRateWhileFineTuning
    @Option(help: "With --source: peak fine-tuning learning rate.") var fineTuneRate = RecognitionTraining().fineTuneLearningRate

    /// The training these options describe.
    var training: RecognitionTraining {
        var training = RecognitionTraining()
        training.pretrainEpochs = pretrainEpochs
        training.fineTuneEpochs = epochs
        training.seed = seed
        if let checkpoint { training.checkpoint = checkpoint }
        training.holdOutValidation = holdOutValidation
        training.graphRateWhileFineTuning = graphRate
        training.fineTuneLearningRate = fineTuneRate
        return training
    }

    func validate() throws {
        guard output.hasSuffix(".safetensors") else { throw ValidationError("--output should end in .safetensors, e.g. -o model.safetensors.") }
        guard epochs >= 1, pretrainEpochs >= 1 else { throw ValidationError("--epochs and --pretrain-epochs must be at least 1.") }
        if case .averageOfLastEpochs(let k) = checkpoint, k > epochs {
            throw ValidationError("--checkpoint average-last-\(k) averages more epochs than --epochs \(epochs) runs.")
        }
        guard graphRate >= 0, graphRate.isFinite else { throw ValidationError("--graph-rate must be 0 or more, not \(graphRate).") }
        guard fineTuneRate > 0, fineTuneRate.isFinite else { throw ValidationError("--fine-tune-rate must be above 0, not \(fineTuneRate).") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let targetData = try LandmarkDataset.load(directory: target)
        let sourceData = try source.map { try LandmarkDataset.load(directory: $0) }
        let (model, hash) = training.train(source: sourceData, target: targetData) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        try model.save(
            to: URL(fileURLWithPath: output), trainingDataHash: hash,
            extraMetadata: [
                "source": source.map { "\(URL(fileURLWithPath: $0).lastPathComponent) (\(sourceData?.samples.count ?? 0) sequences)" } ?? "",
                "target": "\(URL(fileURLWithPath: target).lastPathComponent) (\(targetData.samples.count) sequences)",
                "seed": "\(seed)",
                "checkpoint": "\(training.appliedCheckpoint)" + (training.trainsOnValidation ? ", trained on the validation subjects" : ""),
            ].merging(source == nil ? [:] : ["fine-tuning": "graph rate \(graphRate), peak rate \(fineTuneRate)"]) { $1 })
        print("wrote \(output) (\(model.parameterCount) parameters, training data \(hash))")
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a recognizer on a labelled landmark dataset.",
        discussion: """
            Prints accuracy, macro-F1, one-vs-rest macro AUC and stability (agreement of
            predictions under small landmark perturbations), each with a bootstrap 95 %
            interval that resamples subjects, per-class figures, and writes the confusion
            matrix as an SVG. With --against, a second model is scored on the same
            sequences and the two compared: the macro-F1 difference (this model minus
            the other) with a paired bootstrap interval by subject, usually much
            narrower than comparing the two models' own intervals.

            Examples:
              emomusik evaluate models/emomusik-net.safetensors data/child-test
              emomusik evaluate model.safetensors data/child-test --json --confusion c.svg
              emomusik evaluate new.safetensors data/child-test \\
                --against models/emomusik-net.safetensors
            """
    )

    @Argument(help: ArgumentHelp("The model (safetensors).", valueName: "model")) var model: String
    @Argument(help: ArgumentHelp("A labelled dataset directory.", valueName: "data")) var data: String
    @Option(help: ArgumentHelp("Where to write the confusion matrix.", valueName: "file.svg")) var confusion: String = "confusion.svg"
    @Option(help: "Bootstrap resamples.") var resamples = 2000
    @Option(help: "Seed of the bootstrap and the perturbations.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("A model to compare with on the same sequences (paired, by subject).", valueName: "model"))
    var against: String?
    @Flag(help: "Print JSON.") var json = false

    /// The comparison with --against's model.
    struct Versus: Encodable {
        var model: String
        var comparison: PairedComparison
    }

    struct Summary: Encodable {
        var samples: Int
        var accuracy: Estimate
        var macroF1: Estimate
        var macroAUC: Estimate?
        var stability: Estimate?
        var confusion: [[Int]]
        var classes: [String]
        var confusionSVG: String
        var against: Versus?
    }

    func run() throws {
        func load(_ path: String) throws -> EmotionNetModel {
            try EmotionNetModel.load(
                contentsOf: URL(fileURLWithPath: path), expectedLandmarkLayout: EmotionNetModel.landmarkLayout,
                expectedFeatureLayout: EmotionNetModel.featureLayout)
        }
        let network = try load(model)
        let other = try against.map(load)
        let dataset = try LandmarkDataset.load(directory: data)
        let labelled = dataset.sequences.filter { $0.label != nil }
        guard !labelled.isEmpty else {
            throw EmoMusikError(.invalidValue, "dataset '\(data)' has no labelled sequences", hint: "its labels.csv names an emotion per file")
        }
        let evaluation = RecognitionEvaluation(seed: seed, resamples: resamples)
        let report = evaluation.report(network, on: labelled)
        var versus: Versus?
        if let against, let other { versus = Versus(model: against, comparison: evaluation.compare(network, against: other, on: labelled)) }
        do {
            try report.confusion.svg(title: "Confusion matrix: \(URL(fileURLWithPath: model).lastPathComponent) on \(data)")
                .write(toFile: confusion, atomically: true, encoding: .utf8)
        } catch {
            throw EmoMusikError(.writeFailed, "cannot write '\(confusion)'", hint: "choose another --confusion path")
        }
        if json {
            printJSON(Summary(
                samples: report.samples, accuracy: report.accuracy, macroF1: report.macroF1, macroAUC: report.macroAUC,
                stability: report.stability, confusion: report.confusion.counts, classes: report.classNames, confusionSVG: confusion,
                against: versus))
            return
        }
        func line(_ name: String, _ e: Estimate?) {
            guard let e else { return print("\(name.padding(toLength: 10, withPad: " ", startingAt: 0)) –") }
            print(String(format: "%@ %.3f  95 %% CI [%.3f, %.3f] (%@)", name.padding(toLength: 10, withPad: " ", startingAt: 0), e.value, e.lower, e.upper, e.method.rawValue))
        }
        print("\(report.samples) sequences, \(Set(labelled.map { $0.subject ?? "" }).count) subjects")
        line("accuracy", report.accuracy)
        line("macro-F1", report.macroF1)
        line("macro AUC", report.macroAUC)
        line("stability", report.stability)
        if let versus {
            let c = versus.comparison
            print("against \(versus.model) on the same sequences (paired bootstrap by subject):")
            print(String(
                format: "macro-F1 %+.3f  95 %% CI [%+.3f, %+.3f], above it in %.1f %% of resamples",
                c.difference.value, c.difference.lower, c.difference.upper, 100 * c.shareOfResamplesAbove))
            print("\(c.disagreements) predicted differently: \(c.onlyVariantRight) right only with this model, \(c.onlyReferenceRight) only with the other")
        }
        print("wrote \(confusion)")
    }
}
