import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// OpenFace 2.0 `FeatureExtraction` CSV: a header row, then one row per frame.
///
/// Columns are found by name, never by position; names may carry a leading space after each comma
/// (OpenFace writes `frame, face_id, timestamp, ...`). Used: `frame`, `timestamp`, `confidence`,
/// `success`, `x_0…x_67`, `y_0…y_67` (pixels), and `face_id` when present (only the first face id
/// seen is read). Every other column (gaze, pose, `X_0…Z_67`, shape parameters, action units) is
/// ignored. A row with `success` 0 is a missing frame; its coordinates are not read.
public enum OpenFaceCSV {
    /// The columns a file must have.
    public static let requiredColumns: [String] =
        ["frame", "timestamp", "confidence", "success"]
        + (0..<FaceLayout.count).map { "x_\($0)" } + (0..<FaceLayout.count).map { "y_\($0)" }

    /// Reads an OpenFace CSV file.
    public static func read(path: String) throws -> LandmarkSequence {
        try read(text: readText(path: path), file: path)
    }

    /// Parses OpenFace CSV text; `file` names it in errors.
    public static func read(text: String, file: String) throws -> LandmarkSequence {
        let (lines, endsWithNewline) = splitLines(text)
        guard let headerLine = lines.first, !headerLine.trimmingSpaces().isEmpty else {
            throw landmarkError("empty file: no header row", file: file, line: 1)
        }
        let header = splitFields(headerLine).map { String($0.text.trimmingSpaces()) }
        var columnOf: [String: Int] = [:]
        for (i, name) in header.enumerated() where columnOf[name] == nil { columnOf[name] = i }
        let missing = requiredColumns.filter { columnOf[$0] == nil }
        if !missing.isEmpty {
            throw landmarkError(
                "missing \(missing.count == 1 ? "column" : "columns"): \(missing.joined(separator: ", "))", file: file,
                line: 1, hint: "an OpenFace 2.0 FeatureExtraction CSV has frame, timestamp, confidence, success, x_0…x_67 and y_0…y_67")
        }
        let frameColumn = columnOf["frame"]!
        let timeColumn = columnOf["timestamp"]!
        let confidenceColumn = columnOf["confidence"]!
        let successColumn = columnOf["success"]!
        let faceColumn = columnOf["face_id"]
        let xColumns = (0..<FaceLayout.count).map { columnOf["x_\($0)"]! }
        let yColumns = (0..<FaceLayout.count).map { columnOf["y_\($0)"]! }

        var frames: [LandmarkFrame] = []
        var firstFace: Substring?
        for lineIndex in 1..<lines.count {
            let line = lines[lineIndex]
            let lineNumber = lineIndex + 1
            if line.trimmingSpaces().isEmpty { continue }
            let fields = splitFields(line)
            guard fields.count == header.count else {
                if lineIndex == lines.count - 1 && !endsWithNewline && fields.count < header.count {
                    throw landmarkError(
                        "truncated file: the last row has \(fields.count) of \(header.count) fields", file: file,
                        line: lineNumber)
                }
                throw landmarkError(
                    "the row has \(fields.count) fields, the header has \(header.count)", file: file, line: lineNumber)
            }
            func field(_ column: Int) -> (Substring, Int) { (fields[column].text, fields[column].column) }
            if let faceColumn {
                let face = fields[faceColumn].text.trimmingSpaces()
                if firstFace == nil { firstFace = face }
                if face != firstFace { continue }
            }
            _ = try parseDouble(
                fields[frameColumn].text, file: file, line: lineNumber, column: fields[frameColumn].column, field: "frame")
            let time = try parseDouble(
                fields[timeColumn].text, file: file, line: lineNumber, column: fields[timeColumn].column,
                field: "timestamp")
            let confidence = try parseDouble(
                fields[confidenceColumn].text, file: file, line: lineNumber, column: fields[confidenceColumn].column,
                field: "confidence")
            let successText = fields[successColumn].text.trimmingSpaces()
            guard successText == "0" || successText == "1" else {
                throw landmarkError(
                    "success must be 0 or 1, found '\(successText)'", file: file, line: lineNumber,
                    column: fields[successColumn].column, field: "success")
            }
            if successText == "0" {
                frames.append(LandmarkFrame(time: time, points: [], confidence: confidence))
                continue
            }
            var points = [SIMD2<Float>](repeating: .zero, count: FaceLayout.count)
            for i in 0..<FaceLayout.count {
                let (xText, xCol) = field(xColumns[i])
                let (yText, yCol) = field(yColumns[i])
                points[i].x = try parseCoordinate(xText, file: file, line: lineNumber, column: xCol, field: "x_\(i)")
                points[i].y = try parseCoordinate(yText, file: file, line: lineNumber, column: yCol, field: "y_\(i)")
            }
            frames.append(LandmarkFrame(time: time, points: points, confidence: confidence))
        }
        return LandmarkSequence(frames: frames)
    }

    /// OpenFace-style CSV text: `frame, face_id, timestamp, confidence, success, x_0…x_67, y_0…y_67`,
    /// names after the first with a leading space as OpenFace writes them. Missing frames are rows with
    /// success 0 and zero coordinates. Numbers are written with enough digits to read back exactly.
    public static func write(_ sequence: LandmarkSequence) -> String {
        let header = ["frame", "face_id", "timestamp", "confidence", "success"]
            + (0..<FaceLayout.count).map { "x_\($0)" } + (0..<FaceLayout.count).map { "y_\($0)" }
        var text = header.joined(separator: ", ") + "\n"
        text.reserveCapacity(sequence.frames.count * FaceLayout.count * 2 * 12)
        for (i, frame) in sequence.frames.enumerated() {
            precondition(
                frame.isMissing || frame.points.count == FaceLayout.count,
                "frame \(i) has \(frame.points.count) points, expected \(FaceLayout.count) or none")
            text += "\(i + 1), 0, \(frame.time), \(frame.confidence), \(frame.isMissing ? 0 : 1)"
            if frame.isMissing {
                for _ in 0..<(2 * FaceLayout.count) { text += ", 0" }
            } else {
                for p in frame.points { text += ", \(p.x)" }
                for p in frame.points { text += ", \(p.y)" }
            }
            text += "\n"
        }
        return text
    }

    /// Writes `sequence` to `path`.
    public static func write(_ sequence: LandmarkSequence, to path: String) throws {
        try writeText(write(sequence), to: path)
    }
}

/// Comma-separated fields with the 1-based character column where each starts (no quoting: the
/// landmark formats never quote).
func splitFields(_ line: Substring) -> [(text: Substring, column: Int)] {
    var fields: [(text: Substring, column: Int)] = []
    var start = line.startIndex
    var column = 1
    var startColumn = 1
    var i = line.startIndex
    while i < line.endIndex {
        if line[i] == "," {
            fields.append((line[start..<i], startColumn))
            start = line.index(after: i)
            startColumn = column + 1
        }
        column += 1
        i = line.index(after: i)
    }
    fields.append((line[start..<line.endIndex], startColumn))
    // Point columns at the first non-space character, as an editor would.
    return fields.map { field in
        var column = field.column
        var text = field.text
        while let c = text.first, c == " " || c == "\t" {
            text.removeFirst()
            column += 1
        }
        return (field.text, column)
    }
}
