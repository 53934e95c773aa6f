import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// CK+-style landmark files: one file per frame with one `x y` pair per line (68 lines), a sequence
/// being a directory of such files taken in name order (`S005_001_00000001_landmarks.txt`, ...).
public enum CKPlusFormat {
    /// Parses one frame file's text. The frame has the given time and confidence 1.
    public static func readFrame(text: String, file: String, time: Double = 0) throws -> LandmarkFrame {
        let (lines, endsWithNewline) = splitLines(text)
        var points: [SIMD2<Float>] = []
        points.reserveCapacity(FaceLayout.count)
        var lastLine = 0
        for (offset, line) in lines.enumerated() {
            if line.trimmingSpaces().isEmpty { continue }
            let lineNumber = offset + 1
            lastLine = lineNumber
            if points.count == FaceLayout.count {
                throw landmarkError(
                    "expected \(FaceLayout.count) points (one 'x y' pair per line), found more", file: file, line: lineNumber)
            }
            let isLast = offset == lines.count - 1
            do {
                points.append(try parsePair(line, file: file, line: lineNumber, point: points.count))
            } catch let error as EmoMusikError where isLast && !endsWithNewline {
                throw landmarkError(
                    "truncated file: the last line is incomplete (\(error.message))", file: file, line: lineNumber)
            }
        }
        guard points.count == FaceLayout.count else {
            throw landmarkError(
                "expected \(FaceLayout.count) points (one 'x y' pair per line), found \(points.count)", file: file,
                line: max(lastLine, 1))
        }
        return LandmarkFrame(time: time, points: points, confidence: 1)
    }

    /// Reads every regular file in `directory` whose name ends with `suffix`, sorted by name, as
    /// frames `fps` apart (time of frame i = i / fps).
    public static func readSequence(
        directory: String, suffix: String = ".txt", fps: Double = 30
    ) throws -> LandmarkSequence {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw EmoMusikError(
                .fileNotFound, "cannot list \(directory)", hint: "give a directory of per-frame landmark files",
                location: SourceLocation(file: directory), cause: error)
        }
        let files = names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
        guard !files.isEmpty else {
            throw EmoMusikError(
                .landmarks, "no '*\(suffix)' landmark files in \(directory)", location: SourceLocation(file: directory))
        }
        var frames: [LandmarkFrame] = []
        for (i, name) in files.enumerated() {
            let path = (directory as NSString).appendingPathComponent(name)
            frames.append(try readFrame(text: readText(path: path), file: path, time: Double(i) / fps))
        }
        return LandmarkSequence(frames: frames)
    }

    /// One frame file's text: 68 lines of `x y`, with enough digits to read back the same floats.
    public static func writeFrame(_ frame: LandmarkFrame) -> String {
        precondition(frame.points.count == FaceLayout.count, "a CK+ frame file holds \(FaceLayout.count) points")
        var text = ""
        for p in frame.points { text += "   \(p.x)   \(p.y)\n" }
        return text
    }

    /// Writes `sequence` as `directory/<prefix>_00000001_landmarks.txt`, ... (created if needed).
    /// Throws for missing frames, which the format cannot represent.
    public static func writeSequence(_ sequence: LandmarkSequence, directory: String, prefix: String = "frame") throws {
        if let missing = sequence.frames.firstIndex(where: { $0.points.count != FaceLayout.count }) {
            throw EmoMusikError(
                .invalidValue,
                "frame \(missing) has \(sequence.frames[missing].points.count) points; CK+ frame files need \(FaceLayout.count) in every frame",
                hint: "drop or fill missing frames first", location: SourceLocation(file: directory))
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EmoMusikError(.writeFailed, "cannot create \(directory)", location: SourceLocation(file: directory), cause: error)
        }
        for (i, frame) in sequence.frames.enumerated() {
            let name = "\(prefix)_\(zeroPadded(i + 1, width: 8))_landmarks.txt"
            try writeText(writeFrame(frame), to: (directory as NSString).appendingPathComponent(name))
        }
    }
}

func zeroPadded(_ value: Int, width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
