import EmoMusikCore
import Foundation
import Testing
@testable import Synth

@Suite struct AudioFileTests {
    /// A stereo test signal: a 440 Hz sine left, 660 Hz right, at -6 dBFS.
    static func sine(frames: Int, sampleRate: Int) -> [Float] {
        (0..<frames).flatMap { i -> [Float] in
            let t = Double(i) / Double(sampleRate)
            return [Float(0.5 * sin(2 * .pi * 440 * t)), Float(0.5 * sin(2 * .pi * 660 * t))]
        }
    }

    @Test(arguments: [
        ("wav", AudioSampleFormat.pcm16, 44100, Float(1.0 / 32768)),
        ("wav", .pcm24, 48000, Float(1.0 / 8_388_608)),
        ("wav", .float32, 44100, Float(0)),
        ("flac", .pcm16, 48000, Float(1.0 / 32768)),
        ("flac", .pcm24, 44100, Float(1.0 / 8_388_608)),
    ])
    func roundTrip(container: String, format: AudioSampleFormat, sampleRate: Int, tolerance: Float) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/round-trip.\(container)"
        let samples = Self.sine(frames: 4801, sampleRate: sampleRate)
        try AudioFileWriter.write(samples: samples, sampleRate: sampleRate, channels: 2, to: path, sampleFormat: format)
        let back = try AudioFileReader.read(path: path)
        #expect(back.sampleRate == sampleRate)
        #expect(back.channels == 2)
        #expect(back.frames == 4801)
        #expect(back.samples.count == 4801 * 2)
        let error = zip(samples, back.samples).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(error <= tolerance, "largest difference \(error)")
    }

    @Test func overloadedSamplesClipInsteadOfWrapping() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for format in [AudioSampleFormat.pcm16, .pcm24] {
            let path = "\(directory)/clip-\(format).wav"
            try AudioFileWriter.write(samples: [1.5, -1.5, 1.0, -1.0], sampleRate: 44100, channels: 2, to: path, sampleFormat: format)
            let back = try AudioFileReader.read(path: path).samples
            #expect(back[0] > 0.999 && back[1] < -0.999, "\(format): \(back)")
            #expect(back[2] > 0.999 && back[3] < -0.999, "\(format): \(back)")
        }
    }

    @Test func anExplicitContainerOverridesTheExtension() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/clip.audio"
        try AudioFileWriter.write(samples: [0.5, -0.5], sampleRate: 48000, channels: 1, to: path, container: .flac, sampleFormat: .pcm24)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(String(decoding: bytes.prefix(4), as: UTF8.self) == "fLaC")
        #expect(try AudioFileReader.read(path: path).frames == 2)
    }

    @Test func unwritablePathNamesThePath() {
        let error = emoError {
            try AudioFileWriter.write(samples: [0, 0], sampleRate: 44100, channels: 2, to: "/nonexistent-dir/x.wav")
        }
        #expect(error?.code == .writeFailed)
        #expect(error?.message.hasPrefix("cannot write '/nonexistent-dir/x.wav': ") == true, "\(String(describing: error))")
        #expect((error?.message.count ?? 0) > "cannot write '/nonexistent-dir/x.wav': ".count)
    }

    @Test func unknownExtensionAndFloatFLACAreRefused() {
        let mp3 = emoError { try AudioFileWriter.write(samples: [0, 0], sampleRate: 44100, channels: 2, to: "/tmp/x.mp3") }
        #expect(mp3?.code == .invalidValue)
        #expect(mp3?.hint == "name the file .wav or .flac")
        let flac = emoError {
            try AudioFileWriter.write(samples: [0, 0], sampleRate: 44100, channels: 2, to: "/tmp/x.flac", sampleFormat: .float32)
        }
        #expect(flac?.code == .invalidValue)
        #expect(AudioSampleFormat(bitDepth: "24") == .pcm24)
        #expect(AudioSampleFormat(bitDepth: "float") == .float32)
        #expect(AudioSampleFormat(bitDepth: "20") == nil)
    }

    @Test func readerReportsMissingAndNonAudioFiles() throws {
        #expect(emoError { _ = try AudioFileReader.read(path: "/nonexistent-dir/y.wav") }?.code == .fileNotFound)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/text.wav"
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: path))
        let error = emoError { _ = try AudioFileReader.read(path: path) }
        #expect(error?.code == .malformedFile)
        #expect(error?.message.contains(path) == true)
    }
}
