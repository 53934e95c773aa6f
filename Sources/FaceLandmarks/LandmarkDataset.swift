import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// Labelled landmark sequences on disk: one OpenFace 2.0 CSV per sequence (`DIR/<id>.csv`) and an
/// index `DIR/labels.csv` with the header `file,emotion,subject,domain`. Loading reads every
/// sequence through ``OpenFaceCSV``, exactly as a real dataset converted to that format.
public struct LandmarkDataset: Sendable, Equatable {
    /// One sequence and its id (the CSV's name without `.csv`).
    public struct Sample: Sendable, Equatable {
        public var id: String
        public var sequence: LandmarkSequence
        public init(id: String, sequence: LandmarkSequence) {
            self.id = id
            self.sequence = sequence
        }
    }

    public var samples: [Sample]

    public init(samples: [Sample]) { self.samples = samples }

    public var sequences: [LandmarkSequence] { samples.map(\.sequence) }

    /// Sequences per class, in ``Emotion/allCases`` order (unlabelled ones are not counted).
    public var classCounts: [Int] {
        Emotion.allCases.map { emotion in samples.count { $0.sequence.label == emotion } }
    }

    /// Distinct subjects, sorted (a sample without a subject counts as its own, named by its id).
    public var subjects: [String] { Array(Set(samples.map(subjectKey))).sorted() }

    private func subjectKey(_ sample: Sample) -> String { sample.sequence.subject ?? "id:\(sample.id)" }

    /// The index file's name.
    public static let indexName = "labels.csv"

    /// Writes every sequence and the index into `directory` (created if needed). `progress` is
    /// called after each sequence with (written, total).
    public func write(to directory: String, progress: ((Int, Int) -> Void)? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EmoMusikError(
                .writeFailed, "cannot create the directory \(directory)", location: SourceLocation(file: directory), cause: error)
        }
        var index = "file,emotion,subject,domain\n"
        for (n, sample) in samples.enumerated() {
            for (value, what) in [(sample.id, "id"), (sample.sequence.subject ?? "", "subject"), (sample.sequence.domain ?? "", "domain")]
            where value.contains(",") || value.contains("\n") || value.contains("/") {
                throw EmoMusikError(.invalidValue, "the \(what) '\(value)' cannot contain ',', '/' or a newline")
            }
            let file = sample.id + ".csv"
            try OpenFaceCSV.write(sample.sequence, to: (directory as NSString).appendingPathComponent(file))
            index += "\(file),\(sample.sequence.label?.rawValue ?? ""),\(sample.sequence.subject ?? ""),\(sample.sequence.domain ?? "")\n"
            progress?(n + 1, samples.count)
        }
        try writeText(index, to: (directory as NSString).appendingPathComponent(Self.indexName))
    }

    /// Reads `directory/labels.csv` and every file it lists. Errors name the index line or the
    /// sequence file, line and column.
    public static func load(directory: String) throws -> LandmarkDataset {
        let indexPath = (directory as NSString).appendingPathComponent(indexName)
        guard FileManager.default.fileExists(atPath: indexPath) else {
            throw EmoMusikError(
                .fileNotFound, "no \(indexName) in \(directory)",
                hint: "a dataset directory holds labels.csv (file,emotion,subject,domain) and one CSV per sequence; "
                    + "make one with 'emomusik dataset synth --domain posed-adult --count 70 --seed 1 --out \(directory)'",
                location: SourceLocation(file: indexPath))
        }
        let (lines, _) = splitLines(try readText(path: indexPath))
        guard let header = lines.first else {
            throw landmarkError("empty file: no header row", file: indexPath, line: 1)
        }
        let names = splitFields(header).map { String($0.text.trimmingSpaces()) }
        let required = ["file", "emotion", "subject", "domain"]
        let missing = required.filter { !names.contains($0) }
        if !missing.isEmpty {
            throw landmarkError(
                "missing \(missing.count == 1 ? "column" : "columns"): \(missing.joined(separator: ", "))", file: indexPath,
                line: 1, hint: "the header is file,emotion,subject,domain")
        }
        let column = Dictionary(required.map { name in (name, names.firstIndex(of: name)!) }, uniquingKeysWith: { a, _ in a })
        var samples: [Sample] = []
        for lineIndex in 1..<lines.count where !lines[lineIndex].trimmingSpaces().isEmpty {
            let fields = splitFields(lines[lineIndex])
            let lineNumber = lineIndex + 1
            guard fields.count == names.count else {
                throw landmarkError(
                    "the row has \(fields.count) fields, the header has \(names.count)", file: indexPath, line: lineNumber)
            }
            func value(_ name: String) -> String { String(fields[column[name]!].text.trimmingSpaces()) }
            let file = value("file")
            guard !file.isEmpty else {
                throw landmarkError("the file name is empty", file: indexPath, line: lineNumber, column: fields[column["file"]!].column, field: "file")
            }
            let labelText = value("emotion")
            var label: Emotion?
            if !labelText.isEmpty {
                guard let emotion = Emotion(name: labelText) else {
                    let suggestion = Emotion.closest(to: labelText).map { "did you mean '\($0)'? " } ?? ""
                    throw landmarkError(
                        "unknown emotion '\(labelText)'", file: indexPath, line: lineNumber,
                        column: fields[column["emotion"]!].column, field: "emotion",
                        hint: suggestion + "classes: \(Emotion.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                label = emotion
            }
            var sequence = try OpenFaceCSV.read(path: (directory as NSString).appendingPathComponent(file))
            sequence.label = label
            sequence.subject = value("subject").isEmpty ? nil : value("subject")
            sequence.domain = value("domain").isEmpty ? nil : value("domain")
            let id = file.hasSuffix(".csv") ? String(file.dropLast(4)) : file
            samples.append(Sample(id: id, sequence: sequence))
        }
        return LandmarkDataset(samples: samples)
    }

    /// Splits by subject so that no subject is on both sides: the subjects are shuffled with `seed`
    /// and the first `fraction` of them (rounded, at least one on each side when there are two or
    /// more) go to `train`, the rest to `test`. Sample order is kept within each part.
    public func split(byFraction fraction: Double, seed: UInt64) -> (train: LandmarkDataset, test: LandmarkDataset) {
        precondition(fraction >= 0 && fraction <= 1, "the split fraction must be in 0...1, got \(fraction)")
        var subjects = self.subjects
        var rng = Xoshiro256(seed: seed, stream: 7, index: 0)
        rng.shuffle(&subjects)
        var trainCount = Int((fraction * Double(subjects.count)).rounded())
        if subjects.count >= 2 && fraction > 0 && fraction < 1 { trainCount = min(max(trainCount, 1), subjects.count - 1) }
        let trainSubjects = Set(subjects.prefix(trainCount))
        let train = samples.filter { trainSubjects.contains(subjectKey($0)) }
        let test = samples.filter { !trainSubjects.contains(subjectKey($0)) }
        return (LandmarkDataset(samples: train), LandmarkDataset(samples: test))
    }
}
