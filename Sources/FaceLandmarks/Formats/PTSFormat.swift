import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// The iBUG 300-W / dlib `.pts` layout: one face per file.
///
/// ```
/// version: 1
/// n_points: 68
/// {
/// 123.4 56.7
/// ...  (68 lines, points in iBUG order)
/// }
/// ```
public enum PTSFormat {
    /// Reads a `.pts` file; `name` is how errors name it (the path by default).
    public static func read(path: String) throws -> LandmarkFrame {
        try read(text: readText(path: path), file: path)
    }

    /// Parses `.pts` text. The frame has time 0 and confidence 1 (the format stores neither).
    public static func read(text: String, file: String) throws -> LandmarkFrame {
        let (lines, _) = splitLines(text)
        var declared: Int?
        var index = 0
        var opened = false
        // Header: "key: value" lines up to "{".
        while index < lines.count {
            let line = lines[index].trimmingSpaces()
            index += 1
            if line.isEmpty { continue }
            if line == "{" {
                opened = true
                break
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw landmarkError(
                    "expected a header line such as 'n_points: 68' or '{', found '\(line)'", file: file, line: index)
            }
            let key = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if key == "n_points" {
                guard let n = Int(value) else {
                    throw landmarkError("n_points is not a whole number: '\(value)'", file: file, line: index, field: "n_points")
                }
                guard n == FaceLayout.count else {
                    throw landmarkError(
                        "expected \(FaceLayout.count) points, the header says n_points: \(n)", file: file, line: index,
                        field: "n_points")
                }
                declared = n
            }
        }
        guard opened else {
            throw landmarkError("truncated file: no '{' opens the point list", file: file, line: max(lines.count, 1))
        }
        guard declared != nil else {
            throw landmarkError("the header has no n_points line", file: file, line: index, hint: "add 'n_points: 68'")
        }
        var points: [SIMD2<Float>] = []
        points.reserveCapacity(FaceLayout.count)
        var closed = false
        while index < lines.count {
            let lineNumber = index + 1
            let line = lines[index]
            index += 1
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty { continue }
            if trimmed == "}" {
                guard points.count == FaceLayout.count else {
                    throw landmarkError(
                        "expected \(FaceLayout.count) points, found \(points.count)", file: file, line: lineNumber)
                }
                closed = true
                break
            }
            points.append(try parsePair(line, file: file, line: lineNumber, point: points.count))
            if points.count > FaceLayout.count {
                throw landmarkError(
                    "expected \(FaceLayout.count) points, found more (point \(points.count) has no place)", file: file,
                    line: lineNumber)
            }
        }
        guard closed else {
            throw landmarkError(
                "truncated file: expected \(FaceLayout.count) points and a closing '}', found \(points.count) points",
                file: file, line: max(lines.count, 1))
        }
        return LandmarkFrame(time: 0, points: points, confidence: 1)
    }

    /// `.pts` text for a frame with 68 points.
    public static func write(_ frame: LandmarkFrame) -> String {
        precondition(frame.points.count == FaceLayout.count, "a .pts file holds \(FaceLayout.count) points, got \(frame.points.count)")
        var text = "version: 1\nn_points: \(FaceLayout.count)\n{\n"
        for p in frame.points { text += "\(p.x) \(p.y)\n" }
        text += "}\n"
        return text
    }

    /// Writes `frame` to `path`; throws for a missing face (the format cannot say "no face").
    public static func write(_ frame: LandmarkFrame, to path: String) throws {
        guard frame.points.count == FaceLayout.count else {
            throw EmoMusikError(
                .invalidValue, "a .pts file needs \(FaceLayout.count) points, the frame has \(frame.points.count)",
                location: SourceLocation(file: path))
        }
        try writeText(write(frame), to: path)
    }
}

/// Parses "x y" (spaces or tabs between), naming the point (1-based, as the formats' documentation does).
func parsePair(_ line: Substring, file: String, line lineNumber: Int, point: Int) throws -> SIMD2<Float> {
    var fields: [(text: Substring, column: Int)] = []
    var start: Substring.Index?
    var column = 0
    var startColumn = 0
    for i in line.indices {
        column += 1
        let c = line[i]
        let blank = c == " " || c == "\t" || c == "\r" || c == ","
        if blank {
            if let s = start {
                fields.append((line[s..<i], startColumn))
                start = nil
            }
        } else if start == nil {
            start = i
            startColumn = column
        }
    }
    if let s = start { fields.append((line[s...], startColumn)) }
    guard fields.count == 2 else {
        throw landmarkError(
            "point \(point + 1): expected 2 numbers 'x y', found \(fields.count)", file: file, line: lineNumber)
    }
    let x = try parseCoordinate(fields[0].text, file: file, line: lineNumber, column: fields[0].column, field: "x")
    let y = try parseCoordinate(fields[1].text, file: file, line: lineNumber, column: fields[1].column, field: "y")
    return SIMD2(x, y)
}

func readText(path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw EmoMusikError(.fileNotFound, "cannot read \(path)", hint: "check the path", location: SourceLocation(file: path))
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw landmarkError("the file is not UTF-8 text", file: path)
    }
    return text
}

func writeText(_ text: String, to path: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw EmoMusikError(.writeFailed, "cannot write \(path)", location: SourceLocation(file: path), cause: error)
    }
}
