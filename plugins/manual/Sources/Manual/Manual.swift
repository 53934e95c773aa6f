import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// `manual`: the therapist sets the emotion. Reads lines from `input` (a file or FIFO path, or `-`
/// for standard input) on a thread of its own; each line is an emotion name (`happy`, `sadness`)
/// or a `valence,arousal` point (`0.4,-0.2`). Blank lines and lines starting with `#` are ignored;
/// a line it cannot read is reported on standard error and ignored. ``process(_:)`` never waits:
/// it returns the latest setting with confidence 1, or nil before the first one. The setting stays
/// until the next line (also across ``reset()``: it comes from the therapist, not from frames).
public final class ManualRecognizer: EmotionRecognizer {
    public static let descriptor = PluginDescriptor(
        id: "manual", displayName: "Manual (therapist)", version: "1.0.0", kind: .recognizer,
        summary: "The therapist sets the emotion, one line at a time: an emotion name or valence,arousal.",
        options: [
            PluginOption(
                name: "input", type: .string, help: "Where to read lines from: a file or FIFO path, or - for standard input",
                defaultValue: .string("-")),
        ])

    private let latest = Latest()

    public init(options: PluginOptions) throws {
        let input = options.string("input")
        let handle: FileHandle
        if input == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: input) else {
                throw EmoMusikError(
                    .fileNotFound, "manual recognizer: cannot open input '\(input)'",
                    hint: "give a readable file or FIFO path, or - for standard input (input: -)")
            }
            handle = opened
        }
        let latest = self.latest
        let reader = Thread {
            Self.readLines(from: handle) { number, line in
                do {
                    if let setting = try Self.parse(line) { latest.set(setting) }
                } catch {
                    FileHandle.standardError.write(Data("manual recognizer: line \(number): \(error)\n".utf8))
                }
            }
        }
        reader.name = "manual-recognizer-input"
        reader.start()
    }

    public func process(_ frame: LandmarkFrame) throws -> EmotionEstimate? {
        guard let setting = latest.get() else { return nil }
        return EmotionEstimate(
            time: frame.time, probabilities: setting.probabilities, confidence: 1, affect: setting.point)
    }

    /// A setting: the point on the circumplex and the probabilities reported with it.
    struct Setting: Sendable, Equatable {
        var point: Affect
        var probabilities: [Double]
    }

    /// Parses one line; nil for blank lines and comments.
    static func parse(_ raw: String) throws -> Setting? {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { return nil }
        if let emotion = Emotion(name: line) {
            return Setting(point: emotion.affect, probabilities: Emotion.allCases.map { $0 == emotion ? 1 : 0 })
        }
        let parts = line.split(separator: ",", omittingEmptySubsequences: false)
        if parts.count == 2,
            let valence = Double(parts[0].trimmingCharacters(in: .whitespaces)),
            let arousal = Double(parts[1].trimmingCharacters(in: .whitespaces))
        {
            let point = try Affect.validated(valence: valence, arousal: arousal)
            // The class nearest the point gets the probability; the point itself is kept exactly.
            let nearest = Emotion.allCases.min { $0.affect.distance(to: point) < $1.affect.distance(to: point) }!
            return Setting(point: point, probabilities: Emotion.allCases.map { $0 == nearest ? 1 : 0 })
        }
        throw EmoMusikError(
            .invalidValue, "'\(line)' is neither an emotion nor valence,arousal",
            hint: "did you mean '\(Emotion.closest(to: line))'? Or type a point such as 0.4,-0.2")
    }

    /// Calls `body` with each line (numbered from 1) until the end of input.
    private static func readLines(from handle: FileHandle, _ body: (Int, String) -> Void) {
        var buffer = Data()
        var number = 0
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                number += 1
                body(number, String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        if !buffer.isEmpty { body(number + 1, String(decoding: buffer, as: UTF8.self)) }
    }

    /// The latest setting, shared between the reader thread and the recognition thread.
    private final class Latest: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Setting?

        func set(_ setting: Setting) {
            lock.lock()
            value = setting
            lock.unlock()
        }

        func get() -> Setting? {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
    }
}

/// The one symbol emomusik looks for. It reports the plugin ABI version and the Swift toolchain
/// this library was built with; the host registers the plugin only if both match its own.
@_cdecl("emomusik_plugin_entry")
public func emomusikPluginEntry() -> UnsafeRawPointer {
    EmoMusikPluginABI.header { registrar in
        PluginRegistrar.with(registrar) { $0.register(recognizer: ManualRecognizer.self) }
    }
}
