import ArgumentParser
import EmoMusikCore
import EmoMusikPlugins
import EmotionNet
import FaceLandmarks
import Foundation
import Recognition

struct RecognizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize",
        abstract: "Emotion probabilities, frame by frame, from facial landmarks.",
        discussion: """
            Reads a landmark sequence — an OpenFace 2.0 CSV (.csv), JSON lines (.jsonl),
            an iBUG .pts file, or a directory of CK+-style frame files — and prints one
            CSV row per frame with a face: time, the seven class probabilities (neutral,
            happiness, sadness, anger, fear, surprise, disgust), the most likely emotion
            and the tracker's confidence. Each frame is added to a 32-frame window exactly
            as in a live session.

            With - as the input, JSON lines are read from standard input as they arrive,
            and one JSON line per frame is written and flushed at once:
              {"t": 1.25, "points": [[x, y], ... 68 points], "confidence": 0.9}
            A line with "points": [] means the face was lost.

            Examples:
              emomusik recognize models/emomusik-net.safetensors session.csv > p.csv
              tracker | emomusik recognize models/emomusik-net.safetensors -
            """
    )

    @Argument(help: ArgumentHelp("The model (safetensors).", valueName: "model"))
    var model: String

    @Argument(help: ArgumentHelp("Landmarks: .csv, .jsonl, .pts, a CK+ directory, or - for JSON lines on stdin.", valueName: "input"))
    var input: String

    func run() throws {
        let recognizer = try EmoMusikNetRecognizer(
            options: PluginOptions.resolve(["model": .string(model)], for: EmoMusikNetRecognizer.descriptor))
        if input == "-" {
            try streamStandardInput(recognizer)
            return
        }
        let sequence = try readSequence(input)
        print((["time"] + Emotion.allCases.map(\.rawValue) + ["emotion", "confidence"]).joined(separator: ","))
        var missing = 0
        for frame in sequence.frames {
            guard let estimate = try recognizer.process(frame) else {
                missing += 1
                continue
            }
            let probabilities = estimate.probabilities.map { String(format: "%.5f", $0) }
            print(([String(format: "%.4f", estimate.time)] + probabilities + [estimate.mostLikely.rawValue, String(format: "%.3f", estimate.confidence)]).joined(separator: ","))
        }
        if missing > 0 {
            FileHandle.standardError.write(Data("\(missing) of \(sequence.frames.count) frames had no face and have no row\n".utf8))
        }
    }

    private func readSequence(_ path: String) throws -> LandmarkSequence {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EmoMusikError(.fileNotFound, "cannot read landmarks '\(path)'", hint: "check the path")
        }
        if isDirectory.boolValue { return try CKPlusFormat.readSequence(directory: path) }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": return try OpenFaceCSV.read(path: path)
        case "jsonl", "ndjson", "json": return try JSONLinesFormat.read(path: path)
        case "pts": return LandmarkSequence(frames: [try PTSFormat.read(path: path)])
        default:
            throw EmoMusikError(
                .invalidValue, "cannot tell the landmark format of '\(path)'",
                hint: "use an OpenFace .csv, .jsonl, .pts, or a directory of CK+ frame files")
        }
    }

    private func streamStandardInput(_ recognizer: EmoMusikNetRecognizer) throws {
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let frame = try JSONLinesFormat.decode(line: Substring(line), file: "<stdin>", lineNumber: lineNumber) else {
                continue
            }
            let output: String
            if let estimate = try recognizer.process(frame) {
                let probabilities = zip(Emotion.allCases, estimate.probabilities)
                    .map { "\"\($0.rawValue)\": \(String(format: "%.5f", $1))" }.joined(separator: ", ")
                output = "{\"t\": \(estimate.time), \"emotion\": \"\(estimate.mostLikely.rawValue)\", \"probabilities\": {\(probabilities)}, \"confidence\": \(estimate.confidence)}"
            } else {
                output = "{\"t\": \(frame.time), \"face\": false}"
            }
            FileHandle.standardOutput.write(Data((output + "\n").utf8))
        }
    }
}
