import CSndFile
import EmoMusikCore
import Foundation

/// How samples are stored in an audio file.
public enum AudioSampleFormat: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case pcm16 = "16"
    case pcm24 = "24"
    /// 32-bit IEEE float (WAV only).
    case float32 = "32f"

    /// Parses a bit-depth option: `16`, `24`, `32f` (also `float`, `f32`, `32`).
    public init?(bitDepth: String) {
        switch bitDepth.lowercased() {
        case "16": self = .pcm16
        case "24": self = .pcm24
        case "32f", "f32", "float", "float32", "32": self = .float32
        default: return nil
        }
    }

    public var description: String { rawValue }

    var sndfileSubtype: Int32 {
        switch self {
        case .pcm16: Int32(SF_FORMAT_PCM_16)
        case .pcm24: Int32(SF_FORMAT_PCM_24)
        case .float32: Int32(SF_FORMAT_FLOAT)
        }
    }
}

/// The container, chosen from the file extension.
public enum AudioContainer: String, CaseIterable, Sendable, Hashable {
    case wav, flac

    /// The container for `path`'s extension (case-insensitive), or nil if it is neither `.wav` nor `.flac`.
    public init?(path: String) {
        self.init(rawValue: (path as NSString).pathExtension.lowercased())
    }

    var sndfileMajor: Int32 {
        switch self {
        case .wav: Int32(SF_FORMAT_WAV)
        case .flac: Int32(SF_FORMAT_FLAC)
        }
    }
}

/// Writes WAV (16/24-bit PCM, 32-bit float) and FLAC (16/24-bit) files with libsndfile.
///
/// [any] Stateless; each call opens, writes and closes its own file. Output is deterministic:
/// the same samples give byte-identical files (no PEAK chunk with its timestamp is written).
public enum AudioFileWriter {
    /// Writes `audio` to `path`; see ``write(samples:sampleRate:channels:to:container:sampleFormat:)``.
    public static func write(
        _ audio: RenderedAudio, to path: String, container: AudioContainer? = nil, sampleFormat: AudioSampleFormat = .pcm16
    ) throws {
        try write(
            samples: audio.samples, sampleRate: audio.sampleRate, channels: audio.channels, to: path,
            container: container, sampleFormat: sampleFormat)
    }

    /// Writes interleaved `samples` to `path` as `container`, or if nil the container named by the
    /// extension (`.wav` or `.flac`). Float values beyond ±1 are clipped, never wrapped,
    /// when stored as integers. Throws `.invalidValue` for an unknown extension or a format the
    /// container cannot hold, `.writeFailed` naming the path and libsndfile's reason otherwise.
    /// A partly written file is removed.
    public static func write(
        samples: [Float], sampleRate: Int, channels: Int, to path: String, container: AudioContainer? = nil,
        sampleFormat format: AudioSampleFormat = .pcm16
    ) throws {
        precondition(channels > 0 && samples.count % channels == 0, "samples must hold whole frames")
        guard let container = container ?? AudioContainer(path: path) else {
            throw EmoMusikError(
                .invalidValue, "cannot tell the audio format of '\(path)' from its extension",
                hint: "name the file .wav or .flac")
        }
        if container == .flac && format == .float32 {
            throw EmoMusikError(
                .invalidValue, "FLAC cannot store 32-bit float samples ('\(path)')",
                hint: "use 16 or 24 bits for FLAC, or write a .wav file for float")
        }
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = container.sndfileMajor | format.sndfileSubtype
        guard sf_format_check(&info) != 0 else {
            throw EmoMusikError(
                .invalidValue, "libsndfile cannot write \(container.rawValue.uppercased()) at \(sampleRate) Hz, "
                    + "\(channels) channels, \(format) bits ('\(path)')")
        }
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw EmoMusikError(
                .writeFailed, "cannot write '\(path)': \(reason)",
                hint: "check that the directory exists and is writable")
        }
        // No PEAK chunk: it carries a timestamp and would make identical renders differ.
        sf_command(file, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
        sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let frames = samples.count / channels
        let written = samples.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { sf_writef_float(file, $0, sf_count_t(frames)) } ?? 0
        }
        let writeReason = String(cString: sf_strerror(file))
        let closeStatus = sf_close(file)
        guard written == frames, closeStatus == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw EmoMusikError(
                .writeFailed, "writing '\(path)' stopped after \(written) of \(frames) frames: \(writeReason)",
                hint: "check free disk space and permissions")
        }
    }
}

/// Audio read from a file: interleaved samples and their format.
public struct AudioFileContents: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved, `frames × channels` values; integer formats scaled to -1...1.
    public var samples: [Float]
    public var frames: Int { samples.count / channels }
    /// Seconds of audio.
    public var duration: Double { Double(frames) / Double(sampleRate) }

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        precondition(channels > 0 && samples.count % channels == 0, "samples must hold whole frames")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }
}

/// Reads audio files libsndfile understands (WAV, FLAC, ...) as interleaved floats.
///
/// [any] Stateless.
public enum AudioFileReader {
    /// Returns the sample rate, channel count and interleaved samples (integers scaled to -1...1).
    /// Throws `.fileNotFound` if the file is missing and `.malformedFile` (with libsndfile's reason)
    /// if it is not readable audio.
    public static func read(path: String) throws -> AudioFileContents {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EmoMusikError(.fileNotFound, "audio file '\(path)' does not exist", hint: "check the path")
        }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw EmoMusikError(
                .malformedFile, "cannot read '\(path)' as audio: \(String(cString: sf_strerror(nil)))",
                hint: "give a WAV or FLAC file")
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        let frames = Int(info.frames)
        var samples = [Float](repeating: 0, count: frames * channels)
        let read = samples.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { sf_readf_float(file, $0, sf_count_t(frames)) } ?? 0
        }
        guard read == frames else {
            throw EmoMusikError(
                .malformedFile, "'\(path)' ended after \(read) of \(frames) frames: \(String(cString: sf_strerror(file)))",
                hint: "the file may be truncated")
        }
        return AudioFileContents(sampleRate: Int(info.samplerate), channels: channels, samples: samples)
    }
}
