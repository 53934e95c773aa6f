import EmoMusikCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a session's events go. The session calls ``record(_:)`` in time order and never waits on
/// it failing: a sink that cannot store an event reports the problem itself and carries on.
///
/// [session thread] Called from the session thread only.
public protocol SessionLogSink: AnyObject {
    func record(_ event: SessionEvent)
    /// Makes everything recorded so far durable and releases the sink; later events are dropped.
    func close()
}

extension SessionLogSink {
    public func close() {}
}

/// A sink that keeps events in memory, for tests and for building a report without a file.
public final class MemoryLogSink: SessionLogSink {
    public private(set) var events: [SessionEvent] = []
    public init() {}
    public func record(_ event: SessionEvent) { events.append(event) }
}

/// Session logs: JSON lines, one ``SessionEvent`` per line.
public enum SessionLog {
    /// The current format version (``SessionStart/format``).
    public static let formatVersion = 1

    /// One line (without the newline) for `event`.
    public static func encode(_ event: SessionEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value in an event is finite, and every key a string: encoding cannot fail.
        let data = try! encoder.encode(event)
        return String(decoding: data, as: UTF8.self)
    }

    /// A log read back: its events in order, and the number of the last line if it was cut short
    /// (a session killed while writing it) and skipped.
    public struct Contents: Sendable, Equatable {
        public var events: [SessionEvent]
        public var truncatedLine: Int?

        public init(events: [SessionEvent], truncatedLine: Int? = nil) {
            self.events = events
            self.truncatedLine = truncatedLine
        }

        public var start: SessionStart? {
            for case .start(let start) in events { return start }
            return nil
        }

        public var end: SessionEnd? {
            for case .end(let end) in events.reversed() { return end }
            return nil
        }

        public var decisions: [DecisionRecord] {
            events.compactMap { if case .decision(let d) = $0 { d } else { nil } }
        }

        public var music: [MusicRecord] {
            events.compactMap { if case .music(let m) = $0 { m } else { nil } }
        }

        public var beats: [BeatRecord] {
            events.compactMap { if case .beat(let b) = $0 { b } else { nil } }
        }
    }

    /// Parses a log's text. A last line without its newline that does not parse is skipped and
    /// reported in ``Contents/truncatedLine``; any other bad line is refused with `file:line`.
    public static func read(text: String, file: String) throws -> Contents {
        let decoder = JSONDecoder()
        var events: [SessionEvent] = []
        var truncated: Int?
        let endsWithNewline = text.hasSuffix("\n")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let isLast = index == lines.count - 1
            if line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) { continue }
            do {
                events.append(try decoder.decode(SessionEvent.self, from: Data(line.utf8)))
            } catch {
                if isLast && !endsWithNewline {
                    truncated = number
                    continue
                }
                throw EmoMusikError(
                    .malformedFile, "not a session log event: \(describe(error))",
                    hint: "a session log has one JSON object per line with a \"type\" such as \"decision\"; "
                        + "was this file written by 'emomusik session' or 'emomusik demo'?",
                    location: SourceLocation(file: file, line: number))
            }
        }
        guard let first = events.first, case .start(let start) = first else {
            throw EmoMusikError(
                .malformedFile, events.isEmpty ? "the session log is empty" : "the first event is not a session-start",
                hint: "a session log starts with a {\"type\":\"session-start\", ...} line",
                location: SourceLocation(file: file, line: 1))
        }
        guard start.format <= formatVersion else {
            throw EmoMusikError(
                .malformedFile, "session log format \(start.format) is newer than this program's (\(formatVersion))",
                hint: "update emomusik to read it", location: SourceLocation(file: file, line: 1))
        }
        return Contents(events: events, truncatedLine: truncated)
    }

    /// Reads a log file.
    public static func read(path: String) throws -> Contents {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EmoMusikError(
                .fileNotFound, "cannot read session log '\(path)'", hint: "check the path; a demo writes out/demo.log.jsonl")
        }
        return try read(text: String(decoding: data, as: UTF8.self), file: path)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.underlyingError.map { "invalid JSON (\($0.localizedDescription))" } ?? context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(path.isEmpty ? "value" : "\"\(path)\""): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// `close(2)`, out of reach of ``SessionLogWriter/close()``'s name.
private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }

/// Writes a session log to a file: each event goes to the operating system as one whole line
/// as soon as it is recorded (no buffer in the process, so a `kill -9` loses nothing written), and
/// the file is synced to disk at least every `syncInterval` seconds of wall-clock time, so a power
/// cut loses at most the last one.
///
/// A write that fails (a full disk, a file that became unwritable) never stops the session: the
/// first failure is reported once through `report` (standard error by default), later events are
/// still attempted, and ``failedWrites`` counts what was lost.
///
/// [session thread] Not thread-safe; one session thread records into it.
public final class SessionLogWriter: SessionLogSink {
    public let path: String
    public let syncInterval: Double
    /// Lines that could not be written.
    public private(set) var failedWrites = 0
    /// Times the file was synced to disk.
    public private(set) var syncs = 0

    private var descriptor: Int32
    private var lastSync: Double
    private let clock: () -> Double
    private let report: (String) -> Void

    /// Creates (or truncates) the file. Throws when it cannot be created at all: that is a user
    /// error to fix before the session starts, unlike a failure during it.
    public init(
        path: String, syncInterval: Double = 1, clock: @escaping () -> Double = SessionLogWriter.monotonicSeconds,
        report: @escaping (String) -> Void = SessionLogWriter.reportToStandardError
    ) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw EmoMusikError(
                .writeFailed, "cannot create session log '\(path)': \(reason)", hint: "choose a directory you can write to")
        }
        self.path = path
        self.syncInterval = syncInterval
        self.descriptor = fd
        self.clock = clock
        self.report = report
        self.lastSync = clock()
    }

    deinit { close() }

    public func record(_ event: SessionEvent) {
        guard descriptor >= 0 else { return }
        let line = SessionLog.encode(event) + "\n"
        if let problem = writeAll(Array(line.utf8)) {
            failedWrites += 1
            if failedWrites == 1 {
                report("fault: cannot write the session log '\(path)' (\(problem)); the session continues without a complete log")
            }
        }
        if clock() - lastSync >= syncInterval { sync() }
    }

    /// Syncs the file to disk now.
    public func sync() {
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        syncs += 1
        lastSync = clock()
    }

    public func close() {
        guard descriptor >= 0 else { return }
        sync()
        closeDescriptor(descriptor)
        descriptor = -1
    }

    /// Writes every byte, retrying after signals and partial writes; the error in words, or nil.
    private func writeAll(_ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += written
        }
        return nil
    }

    /// Seconds on a monotonic clock.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    public static func reportToStandardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
