import ArgumentParser
import EmoMusikCore
import Foundation
import MIDIFile
import MusicAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Measure the musical cues a listener hears in a MIDI file.",
        discussion: """
            Reports tempo (time-weighted over the tempo map), key and mode
            (Krumhansl–Schmuckler key finding on duration-weighted pitch classes), note
            density, mean velocity, register and the share of staccato notes, overall and
            per track. Works on any Standard MIDI File, not only EmoMusik's, so
            researchers can describe stimuli from anywhere.

            Examples:
              emomusik analyze out/timeline.mid
              emomusik analyze out/timeline.mid --from 0 --to 20 --json
            """
    )

    @Argument(help: ArgumentHelp("A Standard MIDI File (type 0 or 1).", valueName: "file.mid"))
    var file: String

    @Option(help: "Analyse only notes that start at or after this many seconds.")
    var from: Double?

    @Option(help: "Analyse only notes that start at or before this many seconds.")
    var to: Double?

    @OptionGroup var summary: SummaryOptions

    func validate() throws {
        if let from, let to, to < from {
            throw ValidationError("--to \(to) comes before --from \(from).")
        }
    }

    func run() throws {
        let score = try StandardMIDIFile.read(path: file)
        let window: ClosedRange<Double>? =
            from == nil && to == nil ? nil : (from ?? 0)...(to ?? max(score.duration, from ?? 0))
        let analysis = MusicAnalyzer.analyze(score, window: window)
        if summary.json {
            printJSON(analysis)
            return
        }
        print("file      \(file)")
        print("duration  \(formatTime(analysis.durationSeconds)) (\(rounded(analysis.durationSeconds, places: 100)) s)")
        let range = analysis.tempoMin == analysis.tempoMax ? "" : " (\(rounded(analysis.tempoMin, places: 10))–\(rounded(analysis.tempoMax, places: 10)))"
        print("tempo     \(rounded(analysis.tempo, places: 10)) BPM\(range)")
        if let key = analysis.key {
            print("key       \(key.name) (r = \(rounded(key.correlation, places: 100)))")
        } else {
            print("key       none (no pitched notes)")
        }
        print("notes     \(analysis.noteCount) (\(analysis.pitchedNoteCount) pitched, \(analysis.percussionNoteCount) percussion)")
        print("density   \(rounded(analysis.notesPerSecond, places: 100)) pitched notes per second, \(rounded(analysis.notesPerBeat, places: 100)) per beat")
        print("velocity  \(rounded(analysis.meanVelocity, places: 10)) mean (pitched notes)")
        print("register  mean pitch \(rounded(analysis.meanPitch, places: 10))")
        print("staccato  \(Int((analysis.staccatoShare * 100).rounded())) % of pitched notes")
        if !analysis.tracks.isEmpty {
            print("tracks")
            for track in analysis.tracks {
                print("  \(track.name.isEmpty ? "(unnamed)" : track.name) [ch \(Int(track.channel) + 1)]: \(track.noteCount) notes, mean velocity \(rounded(track.meanVelocity, places: 10)), mean pitch \(rounded(track.meanPitch, places: 10))")
            }
        }
    }
}
