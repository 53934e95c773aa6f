import ArgumentParser
import Composer
import EmoMusikCore
import Foundation
import MIDIFile
import Synth

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance; prints figures, asserts nothing.",
        subcommands: [RenderBench.self, RecognizeBench.self, LiveBench.self, SessionBench.self, StudyBench.self]
    )
}

struct RenderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render speed against FluidSynth's own command-line renderer.",
        discussion: """
            Composes a four-voice piece (melody, pad, bass, drums) whose affect moves
            through happiness, surprise and anger, then measures: the composer's time per
            bar; our render (FluidSynth through its C API on the 64-frame grid, plus
            writing a 16-bit WAV) as a multiple of real time; `fluidsynth -F` rendering
            the MIDI file we exported with the same soundfont, sample rate, gain and
            effects; and the ratio of the two speeds (target ≥ 0.95). Each figure is the
            best of --repeat runs. Build with `swift build -c release` first.

            Example:
              .build/release/emomusik bench render --minutes 3 --repeat 3
            """
    )

    @Option(help: "Length of the piece in minutes.")
    var minutes: Double = 3

    @Option(help: "Runs per measurement; the fastest counts.")
    var `repeat`: Int = 3

    @Option(help: "The fluidsynth executable to compare against.")
    var fluidsynth: String = "/usr/bin/fluidsynth"

    @OptionGroup(title: "Audio") var audio: AudioOptions

    func validate() throws {
        guard minutes > 0, minutes <= 60 else { throw ValidationError("--minutes must be in 0...60.") }
        guard self.repeat >= 1 else { throw ValidationError("--repeat must be at least 1.") }
    }

    func run() throws {
        let seconds = minutes * 60
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.happiness.affect),
            .init(time: seconds / 3, affect: Emotion.surprise.affect),
            .init(time: 2 * seconds / 3, affect: Emotion.anger.affect),
            .init(time: seconds, affect: Emotion.anger.affect),
        ])
        let composer = Composer(configuration: ComposerConfiguration(seed: 1))
        var composition = composer.compose(timeline: timeline)
        let composeTime = best(of: self.repeat) { composition = composer.compose(timeline: timeline) }
        let score = composition.score
        let voices = score.tracks.filter { !$0.notes.isEmpty }.count
        print("piece: \(formatTime(score.duration)), \(composition.bars.count) bars, \(voices) voices, \(score.noteCount) notes")
        print(String(format: "composer: %.3f ms per bar (%.1f ms for the piece)", composeTime * 1000 / Double(composition.bars.count), composeTime * 1000))

        let soundfont = try audio.resolveSoundfont()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ourWAV = directory.appendingPathComponent("ours.wav").path
        let theirWAV = directory.appendingPathComponent("fluidsynth.wav").path
        let midi = directory.appendingPathComponent("piece.mid").path
        try StandardMIDIFile.write(score, to: midi)

        let settings = audio.settings
        var renderError: (any Error)?
        let ourTime = best(of: self.repeat) {
            do {
                let rendered = try OfflineRenderer(soundfontPath: soundfont, settings: settings).render(score)
                try AudioFileWriter.write(rendered, to: ourWAV, container: .wav, sampleFormat: .pcm16)
            } catch {
                renderError = error
            }
        }
        if let renderError { throw renderError }
        let ourSeconds = try audioSeconds(ourWAV)
        print(String(format: "ours:       %.1f× real time (%.3f s for %.1f s of audio, render + WAV)", ourSeconds / ourTime, ourTime, ourSeconds))

        guard FileManager.default.isExecutableFile(atPath: fluidsynth) else {
            print("fluidsynth: not found at \(fluidsynth); install Debian's `fluidsynth` package to compare")
            return
        }
        let arguments = [
            "-ni", "-q", "-F", theirWAV, "-r", "\(settings.sampleRate)", "-T", "wav", "-O", "s16",
            "-g", "\(settings.gain)", "-R", settings.reverb ? "1" : "0", "-C", settings.chorus ? "1" : "0",
            "-o", "synth.cpu-cores=1", "-o", "synth.polyphony=\(settings.polyphony)", soundfont, midi,
        ]
        var processError: (any Error)?
        let theirTime = best(of: self.repeat) {
            do { try runProcess(fluidsynth, arguments) } catch { processError = error }
        }
        if let processError { throw processError }
        let theirSeconds = try audioSeconds(theirWAV)
        print(String(format: "fluidsynth: %.1f× real time (%.3f s for %.1f s of audio, `fluidsynth -F`)", theirSeconds / theirTime, theirTime, theirSeconds))
        let ratio = (ourSeconds / ourTime) / (theirSeconds / theirTime)
        print(String(format: "ratio:      %.3f of fluidsynth's speed (target ≥ 0.95)", ratio))
    }

    private func audioSeconds(_ path: String) throws -> Double {
        let audio = try AudioFileReader.read(path: path)
        return Double(audio.frames) / Double(audio.sampleRate)
    }
}

/// The fastest wall-clock time of `runs` calls, in seconds.
func best(of runs: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var fastest = Double.infinity
    for _ in 0..<runs {
        let elapsed = clock.measure(body)
        fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return fastest
}

func runProcess(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw EmoMusikError(.synth, "\(executable) exited with status \(process.terminationStatus)")
    }
}
