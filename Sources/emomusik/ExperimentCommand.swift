import ArgumentParser
import EmotionNet
import Foundation
import Recognition
import Statistics

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run the documented benchmarks of the recognizer.",
        subcommands: [TransferExperimentCommand.self]
    )
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
            Each metric has a bootstrap 95 % interval (BCa, resampling subjects). These
            are figures on synthetic faces: they say whether the method works, not how it
            does on real children. Use a release build: the full run trains three
            networks.

            Examples:
              .build/release/emomusik experiment transfer
              emomusik experiment transfer --source-count 300 --target-count 300
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
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Flag(help: "Print the results as JSON (progress still goes to standard error).") var json = false

    func validate() throws {
        guard sourceCount >= 14, targetCount >= 28 else { throw ValidationError("Use at least 14 source and 28 target sequences.") }
        guard labelFraction > 0, labelFraction <= 1 else { throw ValidationError("--label-fraction must be in (0, 1].") }
    }

    struct Row: Encodable {
        var arm: String
        var accuracy: Estimate
        var macroF1: Estimate
        var macroAUC: Estimate?
        var stability: Estimate?
        var testSequences: Int
        var trainingSeconds: Double
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
        let arms = TransferExperiment(configuration: configuration).run { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let rows = arms.map {
            Row(
                arm: $0.name, accuracy: $0.report.accuracy, macroF1: $0.report.macroF1, macroAUC: $0.report.macroAUC,
                stability: $0.report.stability, testSequences: $0.report.samples, trainingSeconds: $0.trainingSeconds)
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
        print("arm".padding(toLength: 42, withPad: " ", startingAt: 0) + "accuracy               macro-F1               macro AUC              stability              train s")
        for row in rows {
            print(
                row.arm.padding(toLength: 42, withPad: " ", startingAt: 0)
                    + [cell(row.accuracy), cell(row.macroF1), cell(row.macroAUC), cell(row.stability)]
                    .map { $0.padding(toLength: 23, withPad: " ", startingAt: 0) }.joined()
                    + String(format: "%.1f", row.trainingSeconds))
        }
    }
}
