import ArgumentParser
import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Sessions

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole loop in one command: a recorded child's face drives the music.",
        discussion: """
            Replays the bundled recording examples/demo-session.jsonl (a synthetic child,
            about two minutes at 15 frames per second, whose emotion changes every 15-25
            seconds and whose face is lost for 10 seconds) through the recognizer
            (emomusik-net), the smoother, the iso-principle strategy and
            the preset calm-down, then writes:

              out/demo.wav        the music
              out/demo.mid        the same as a Standard MIDI File
              out/demo.log.jsonl  the session log (estimates, decisions, bars, faults)
              out/demo.html       the report a therapist reads, in a browser

            Examples:
              emomusik demo                               # the four files above
              emomusik demo --preset bedtime              # another preset leads
              emomusik demo --strategy mirror --out d2    # music follows the child
              emomusik demo --recording my-child.jsonl    # your own recording
              emomusik session replay out/demo.log.jsonl  # the same audio again
              emomusik session report out/demo.log.jsonl  # the report again

            The recording is synthetic (scripts/make-demo-recording.sh) and the recognizer
            has only seen synthetic faces. No clinical claim is made.
            """
    )

    static let defaultRecording = "examples/demo-session.jsonl"
    static let defaultPreset = "calm-down"

    @Option(help: ArgumentHelp("The landmark recording to replay.", valueName: "file"))
    var recording: String = DemoCommand.defaultRecording

    @OptionGroup var session: SessionRunOptions

    @Option(
        name: .customLong("make-recording"),
        help: ArgumentHelp("Write the synthetic demo recording to this file instead (see scripts/make-demo-recording.sh).", visibility: .hidden))
    var makeRecording: String?

    @Option(help: ArgumentHelp("Seed of the synthetic recording (with --make-recording).", visibility: .hidden))
    var recordingSeed: UInt64 = 5

    func run() throws {
        if let path = makeRecording {
            let recording = DemoRecording(seed: recordingSeed)
            let text = recording.jsonLines()
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw EmoMusikError(.writeFailed, "cannot write '\(path)'", hint: "choose a directory you can write to")
            }
            print("wrote \(path): \(recording.frameCount) frames, \(formatTime(recording.duration)), \(text.utf8.count / 1024) KiB")
            print("script: " + recording.script.map { "\(formatTime($0.start)) \($0.label?.rawValue ?? "no face")" }.joined(separator: ", "))
            return
        }
        var options = session
        if options.name == nil { options.name = "demo" }
        let recordingPath = try locateRecording(recording)
        let result = try runRecordedSession(
            recording: recordingPath, name: options.name!, options: options, defaultPreset: Self.defaultPreset)
        printSessionSummary(result)
    }

    /// The recording as given, or the bundled one next to the build when run from elsewhere.
    func locateRecording(_ path: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) || path != Self.defaultRecording { return path }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let checkout = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bundled = checkout.appendingPathComponent(path).path
        return FileManager.default.fileExists(atPath: bundled) ? bundled : path
    }
}

/// The bundled demo recording: one synthetic child (seeded) whose expression changes every 15–25
/// seconds, with a 10-second stretch without a face, as JSON lines with one decimal per coordinate.
struct DemoRecording {
    static let fps = 15.0
    /// Frames per generated expression episode; a segment chains episodes of its emotion.
    static let episodeFrames = 60

    struct Segment {
        var start: Double
        var label: Emotion?  // nil: the face is lost
    }

    let seed: UInt64
    let script: [Segment] = [
        Segment(start: 0, label: .anger), Segment(start: 20, label: .anger), Segment(start: 38, label: .sadness),
        Segment(start: 56, label: nil), Segment(start: 66, label: .neutral), Segment(start: 86, label: .happiness),
        Segment(start: 106, label: .neutral),
    ]
    let duration = 124.0

    var frameCount: Int { Int(duration * Self.fps) }

    func frames() -> [LandmarkFrame] {
        // Sustained expressions: a quick onset, a long apex, sometimes a partial release.
        var parameters = SyntheticDomain.child.parameters
        parameters.onsetStart = 0...4
        parameters.apexFrames = 30...50
        parameters.offsetProbability = 0.3
        parameters.offsetLevel = 0.5...0.8
        parameters.ambiguousFraction = 0
        parameters.dropBurstProbability = 0
        let generator = SyntheticExpressions(domain: .child, parameters: parameters, frames: Self.episodeFrames, fps: Self.fps)
        let shape = generator.subjectShape(seed: seed, subject: 0)
        var result: [LandmarkFrame] = []
        var episode = 0
        for (index, segment) in script.enumerated() {
            let end = index + 1 < script.count ? script[index + 1].start : duration
            let first = Int((segment.start * Self.fps).rounded()), last = Int((end * Self.fps).rounded())
            guard let label = segment.label else {
                for f in first..<last { result.append(.missing(at: Double(f) / Self.fps)) }
                continue
            }
            var f = first
            while f < last {
                let sequence = generator.sequence(label: label, subjectShape: shape, subject: "demo-child", seed: seed, index: episode)
                episode += 1
                for frame in sequence.frames where f < last {
                    result.append(LandmarkFrame(time: Double(f) / Self.fps, points: frame.points, confidence: frame.confidence))
                    f += 1
                }
            }
        }
        return result
    }

    /// JSON lines with one decimal per coordinate and two for times and confidences.
    func jsonLines() -> String {
        var text = ""
        text.reserveCapacity(frameCount * 900)
        for frame in frames() {
            text += "{\"t\": \(String(format: "%.3f", frame.time)), \"points\": ["
            for (i, p) in frame.points.enumerated() {
                if i > 0 { text += "," }
                text += "[\(String(format: "%.1f", p.x)),\(String(format: "%.1f", p.y))]"
            }
            text += "], \"confidence\": \(String(format: "%.2f", frame.confidence))}\n"
        }
        return text
    }
}
