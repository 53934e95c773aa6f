import EmoMusikCore
import EmoMusikPlugins

/// The iBUG 300-W / dlib 68-point layout, 0-based: jaw 0–16, right brow 17–21, left brow 22–26,
/// nose bridge 27–30, nose base 31–35, right eye 36–41, left eye 42–47, outer lips 48–59,
/// inner lips 60–67. "Right" is the subject's right, on the image's left.
public enum FaceLayout {
    /// Landmarks per face.
    public static let count = 68
    public static let jaw = Array(0...16)
    public static let rightBrow = Array(17...21)
    public static let leftBrow = Array(22...26)
    public static let noseBridge = Array(27...30)
    public static let noseBase = Array(31...35)
    public static let rightEye = Array(36...41)
    public static let leftEye = Array(42...47)
    public static let outerLips = Array(48...59)
    public static let innerLips = Array(60...67)
    /// The subject's right eye's outer corner (image left).
    public static let rightEyeOuter = 36
    /// The subject's left eye's outer corner (image right).
    public static let leftEyeOuter = 45
    /// The top of the nose bridge, between the eyes: the centre used by normalisation.
    public static let nasion = 27
}

/// A sequence of landmark frames from one video, with what is known about it.
public struct LandmarkSequence: Sendable, Equatable {
    /// Frames in time order; a missing face is a frame with no points (``LandmarkFrame/isMissing``).
    public var frames: [LandmarkFrame]
    /// The expression shown, when known (training data).
    public var label: Emotion?
    /// Who is shown, when known: splits keep one subject on one side.
    public var subject: String?
    /// Where the data comes from, e.g. `posed-adult` or `child`.
    public var domain: String?

    public init(frames: [LandmarkFrame], label: Emotion? = nil, subject: String? = nil, domain: String? = nil) {
        self.frames = frames
        self.label = label
        self.subject = subject
        self.domain = domain
    }

    /// Indices of the frames with a face.
    public var validIndices: [Int] { frames.indices.filter { !frames[$0].isMissing } }
}

extension EmoMusikError.Code {
    /// A landmark file or stream could not be read.
    public static let landmarks = EmoMusikError.Code(rawValue: "landmarks")
}

/// Builds the reader's errors: `file:line:column (field): message`.
func landmarkError(
    _ message: String, file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, hint: String? = nil
) -> EmoMusikError {
    EmoMusikError(
        .landmarks, message, hint: hint, location: SourceLocation(file: file, line: line, column: column, field: field))
}

/// Parses one coordinate the way every reader does: a finite decimal that fits a Float, or an
/// error that names the text.
func parseCoordinate(
    _ text: Substring, file: String, line: Int, column: Int?, field: String
) throws -> Float {
    let value = Float(try parseDouble(text, file: file, line: line, column: column, field: field))
    guard value.isFinite else {
        throw landmarkError(
            "\(field) is not finite: '\(text.trimmingSpaces())'", file: file, line: line, column: column, field: field)
    }
    return value
}

/// Parses a Double field (timestamps, confidences) with the same rules as coordinates.
func parseDouble(_ text: Substring, file: String, line: Int, column: Int?, field: String) throws -> Double {
    let trimmed = text.trimmingSpaces()
    guard let value = Double(String(trimmed)) else {
        throw landmarkError(
            trimmed.isEmpty ? "\(field) is empty, expected a number" : "\(field) is not a number: '\(trimmed)'",
            file: file, line: line, column: column, field: field)
    }
    guard value.isFinite else {
        throw landmarkError("\(field) is not finite: '\(trimmed)'", file: file, line: line, column: column, field: field)
    }
    return value
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}

/// Splits text into lines (LF or CRLF), keeping whether the text ended with a newline.
func splitLines(_ text: String) -> (lines: [Substring], endsWithNewline: Bool) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let endsWithNewline = text.hasSuffix("\n")
    if endsWithNewline { lines.removeLast() }
    return (lines.map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }, endsWithNewline)
}
