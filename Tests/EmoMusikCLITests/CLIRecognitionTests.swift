import Foundation
import Testing

/// The recognition path from the command line: a synthetic dataset is written in OpenFace's
/// format, a model is trained from the files, scored, and run frame by frame.
@Suite("CLI: dataset, train, evaluate, recognize")
struct CLIRecognitionTests {
    @Test("synth → train → evaluate → recognize, through files", .timeLimit(.minutes(10)))
    func endToEnd() throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("child")
        let synth = try CLI.run(["dataset", "synth", "--domain", "child", "--count", "21", "--seed", "4", "--out", data])
        #expect(synth.status == 0, "\(synth.stderr)")
        let labels = try String(contentsOfFile: data + "/labels.csv", encoding: .utf8)
        #expect(labels.split(separator: "\n").count == 22)

        let model = dir.path("m.safetensors")
        let train = try CLI.run(["train", "--target", data, "--epochs", "1", "--threads", "1", "-o", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("training: epoch 1 loss"))
        #expect(train.stdout.contains("wrote \(model)"))
        // The default rule, the mean of the last 20 epochs, is all the epochs when fewer run: here the last.
        #expect(try Self.metadata(of: model)["checkpoint"] == "last, trained on the validation subjects")

        let evaluate = try CLI.run(["evaluate", model, data, "--resamples", "50", "--confusion", dir.path("c.svg")])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("21 sequences"))
        #expect(evaluate.stdout.contains("macro-F1"))
        let svg = try String(contentsOfFile: dir.path("c.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))

        let first = try #require(labels.split(separator: "\n").dropFirst().first?.split(separator: ",").first)
        let csv = "\(data)/\(first)"
        let recognize = try CLI.run(["recognize", model, csv])
        #expect(recognize.status == 0, "\(recognize.stderr)")
        let rows = recognize.stdout.split(separator: "\n")
        #expect(rows.first == "time,neutral,happiness,sadness,anger,fear,surprise,disgust,emotion,confidence")
        #expect(rows.count > 20)
        for row in rows.dropFirst() {
            let p = row.split(separator: ",")[1...7].compactMap { Double($0) }
            #expect(p.count == 7 && abs(p.reduce(0, +) - 1) < 1e-3)
        }
    }

    /// A model file's `__metadata__`: after an 8-byte little-endian length, the JSON header.
    static func metadata(of path: String) throws -> [String: String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any]
        return try #require(header?["__metadata__"] as? [String: String])
    }

    @Test("train --checkpoint average-last-K runs every epoch, trains on the validation subjects and says so in the model file; evaluate --against pairs two models",
          .timeLimit(.minutes(10)))
    func trainCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("child")
        #expect(try CLI.run(["dataset", "synth", "--domain", "child", "--count", "21", "--seed", "4", "--out", data]).status == 0)
        let model = dir.path("m.safetensors")
        let train = try CLI.run([
            "train", "--target", data, "--epochs", "2", "--checkpoint", "average-last-2",
            "--threads", "1", "-o", model,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("training on 21 sequences (including "))
        #expect(train.stderr.contains("keeps the mean of the last 2 epochs' weights"))
        #expect(train.stderr.contains("training: epoch 2 loss"))
        let metadata = try Self.metadata(of: model)
        #expect(metadata["checkpoint"] == "average-last-2, trained on the validation subjects")
        #expect(metadata["fine-tuning"] == nil)  // no --source, no fine-tuning

        // The shipped model against this one on the same children: the paired difference is the
        // difference of the two models' own macro-F1; against itself it is nothing.
        struct Summary: Decodable {
            struct Estimate: Decodable { var value: Double; var lower: Double; var upper: Double }
            struct Comparison: Decodable { var difference: Estimate; var disagreements: Int }
            struct Versus: Decodable { var model: String; var comparison: Comparison }
            var macroF1: Estimate
            var against: Versus?
        }
        let shipped = CLI.packageRoot.appendingPathComponent("models/emomusik-net.safetensors").path
        func evaluate(_ options: [String]) throws -> Summary {
            let run = try CLI.run(["evaluate"] + options + [data, "--json", "--resamples", "50", "--confusion", dir.path("c.svg")])
            #expect(run.status == 0, "\(run.stderr)")
            return try JSONDecoder().decode(Summary.self, from: Data(run.stdout.utf8))
        }
        let versus = try evaluate([shipped, "--against", model])
        let alone = try evaluate([model])
        let comparison = try #require(versus.against).comparison
        #expect(try #require(versus.against).model == model)
        #expect(abs(comparison.difference.value - (versus.macroF1.value - alone.macroF1.value)) < 1e-9)
        #expect(comparison.difference.lower <= comparison.difference.value && comparison.difference.value <= comparison.difference.upper)
        #expect(comparison.disagreements > 0)
        #expect(alone.against == nil)
        let itself = try #require(try evaluate([model, "--against", model]).against).comparison
        #expect(itself.difference.value == 0 && itself.disagreements == 0)
        let text = try CLI.run(["evaluate", shipped, data, "--against", model, "--resamples", "50", "--confusion", dir.path("c.svg")])
        #expect(text.stdout.contains("against \(model) on the same sequences (paired bootstrap by subject):"))
        let absent = try CLI.run(["evaluate", shipped, data, "--against", dir.path("absent.safetensors")])
        #expect(absent.status != 0 && absent.stderr.contains("absent.safetensors"), "\(absent.stderr)")

        // Refused before any data is read, each with the option to change.
        let cases: [([String], String)] = [
            (["--checkpoint", "average-last-5", "--epochs", "2"], "--checkpoint average-last-5 averages more epochs than --epochs 2 runs"),
            (["--checkpoint", "sometimes"], "sometimes"),
            (["--fine-tune-rate", "0"], "--fine-tune-rate must be above 0"),
            (["--graph-rate=-1"], "--graph-rate must be 0 or more"),
        ]
        for (options, message) in cases {
            let refused = try CLI.run(["train", "--target", dir.path("absent"), "-o", dir.path("x.safetensors")] + options)
            #expect(refused.status != 0, "\(options)")
            #expect(refused.stderr.contains(message), "\(options): \(refused.stderr)")
        }
    }

    @Test("landmark files with the wrong number of points or NaNs are refused with file and line")
    func badLandmarks() throws {
        let dir = try TemporaryDirectory()
        // A JSON-lines stream: line 2 has 67 points, and a separate file has a NaN.
        let point = "[100.0, 120.0]"
        let good = "{\"t\": 0, \"points\": [\(Array(repeating: point, count: 68).joined(separator: ","))]}"
        let short = "{\"t\": 0.04, \"points\": [\(Array(repeating: point, count: 67).joined(separator: ","))]}"
        let file = try dir.write("short.jsonl", good + "\n" + short + "\n")
        let model = dir.path("missing.safetensors")
        let noModel = try CLI.run(["recognize", model, file])
        #expect(noModel.status != 0)
        #expect(noModel.stderr.contains("missing.safetensors"))

        // With the shipped model: the short frame is refused with its file and line, and so is a NaN.
        let shipped = CLI.packageRoot.appendingPathComponent("models/emomusik-net.safetensors").path
        let refused = try CLI.run(["recognize", shipped, file])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\(file):2"), "\(refused.stderr)")
        #expect(refused.stderr.contains("expected 68 points, found 67"))
        let nan = try dir.write("nan.jsonl", good.replacingOccurrences(of: "[100.0, 120.0]]", with: "[100.0, NaN]]") + "\n")
        let notNumber = try CLI.run(["recognize", shipped, nan])
        #expect(notNumber.status != 0)
        #expect(notNumber.stderr.contains("\(nan):1"), "\(notNumber.stderr)")

        // A truncated model file is named, not a crash.
        let truncated = try dir.write("truncated.safetensors", "\u{10}\0\0\0\0\0\0\0{\"a\":")
        let bad = try CLI.run(["recognize", truncated, file])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("truncated.safetensors"))
        #expect(!bad.stderr.contains("Fatal error"))
    }

    @Test("experiment transfer prints every variant of (b) by its whole name, with its paired difference to (b)",
          .timeLimit(.minutes(5)))
    func transferVariantsInText() throws {
        let result = try CLI.run([
            "experiment", "transfer", "--source-count", "14", "--target-count", "70", "--pretrain-epochs", "1",
            "--fine-tune-epochs", "1", "--skip-target-only", "--self-train", "1", "--pseudo-confidence", "0.14",
            "--pseudo-true-labels", "--align-class-priors", "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let variants = [
            "(b) pre-trained + fine-tuned, class priors aligned on the unlabelled pool",
            "(b) control: the same sequences with generator labels, round 1 of 1",
            "(b) control: the same sequences with generator labels, round 1 of 1, class priors aligned on the unlabelled pool",
        ]
        // Each variant appears whole, followed by its figures, in the table and in the paired list.
        for name in variants {
            #expect(lines.filter { $0.hasPrefix(name + " ") && $0.contains("[") }.count == 2, "\(name)")
        }
        let paired = try #require(lines.firstIndex { $0.hasPrefix("against (b) on the same test sequences") })
        #expect(lines[(paired + 1)...].prefix(3).allSatisfy { $0.contains("macro-F1 ") && $0.contains("% of resamples") })
        // The control's table says that it trains on the generator's labels.
        #expect(result.stdout.contains("right (the generator's label, which this control trains on)"))
        #expect(result.stderr.contains("CONTROL: trained on their generator labels"))
    }

    @Test("experiment transfer --interpolate-pretrained lists (b), its interpolation and the control on (a), each paired with (a)",
          .timeLimit(.minutes(5)))
    func interpolationInText() throws {
        let result = try CLI.run([
            "experiment", "transfer", "--source-count", "14", "--target-count", "70", "--pretrain-epochs", "1",
            "--fine-tune-epochs", "1", "--interpolate-pretrained", "0.5", "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let againstA = try #require(lines.firstIndex { $0.hasPrefix("against (a) on the same test sequences") })
        let againstB = try #require(lines.firstIndex { $0.hasPrefix("against (b) on the same test sequences") })
        let pairedWithA = lines[(againstA + 1)..<againstB].filter { !$0.isEmpty }
        #expect(pairedWithA.count == 3)
        for (line, name) in zip(pairedWithA, [
            "(b) pre-trained + fine-tuned ", "(b) weights 0.50 of the way from pre-trained to fine-tuned ",
            "(a) control: weights 0.50 of the way from initialisation to trained ",
        ]) {
            #expect(line.hasPrefix(name) && line.contains("above (a) in "), "\(line)")
        }
        let pairedWithB = lines[(againstB + 1)...].filter { !$0.isEmpty }
        #expect(pairedWithB.count == 1 && pairedWithB[0].hasPrefix("(b) weights 0.50 of the way") && pairedWithB[0].contains("above (b) in "))
        // The defaults: every label trains, the mean of the last epochs (here the only one).
        #expect(result.stderr.contains("fine-tuning keeps its last epoch's weights, whatever the validation score"))
    }
}
