import ArgumentParser
import EmoMusikCore
import Foundation
import Sessions
import Synchronization
import Synth

/// The signal that asked a live session to stop (0: none yet).
private let stopSignal = Atomic<Int32>(0)

struct LiveSessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Run a session live: landmarks on the real clock, music to the sound card as it is composed.",
        discussion: """
            The same loop as 'session run' (recognizer → smoother → strategy →
            composer), on the audio device's clock: the music is fixed a beat at a
            time, --lead seconds before it is due, and queued to the audio thread.
            The strategy decides just before each beat is fixed, and its decision
            takes effect at that beat: the bar's dynamics and tempo turn toward it
            there, and the next bar follows it (key and instruments at the next
            phrase). The log is written as the session goes (synced every second),
            so 'session replay' rebuilds the music even after a crash.

            The landmarks come from a recording replayed in real time, or from
            JSON lines on standard input ('-'), one frame per line, stamped with
            their arrival time ("points": [] when the tracker lost the face):
              {"t": 0.0, "points": [[x, y], ... 68 pairs], "confidence": 0.9}

            The session ends when the source ends (the music closes on the
            tonic, rings and fades), or on Ctrl-C / SIGTERM (a two-second fade;
            every file is closed; a second Ctrl-C stops at once). Underruns and
            samples held at the level ceiling are logged. If the sound card
            disappears mid-session, the session goes on silently (still logging)
            and reopens it every two seconds; the music resumes at a bar line.

            --midi-out also sends the music to an external synthesiser through the
            ALSA sequencer (see `aconnect -o` for ports), each event stamped to
            sound with the audio; with --no-sound-card the MIDI output is all you
            hear. If the MIDI port goes away, the fault is logged and it is
            reopened every two seconds, as the sound card is.

            Examples:
              emomusik session live examples/demo-session.jsonl --preset calm-down
              emomusik session live rec.jsonl --device hw:0 --period 128
              emomusik session live rec.jsonl --no-sound-card   # paced null output
              emomusik session live rec.jsonl --no-sound-card --midi-out 128:0
              tracker | emomusik session live - --preset bedtime --name child-3
            """)

    @Argument(help: ArgumentHelp("A landmark recording (.jsonl or OpenFace .csv), or - for JSON lines on stdin.", valueName: "source"))
    var source: String

    @OptionGroup var session: SessionRunOptions

    @Option(help: ArgumentHelp("ALSA output device (see `aplay -L`; ALSA's 'null' discards).", valueName: "name"))
    var device: String = "default"

    @Flag(help: "No sound card: play into a null output paced by the system clock.")
    var noSoundCard = false

    @Option(help: ArgumentHelp(
        "Also play the music on an ALSA sequencer port (CLIENT:PORT or a client's name).",
        valueName: "port"))
    var midiOut: String?

    @Option(help: "Frames per audio period (a multiple of 64).")
    var period: Int = 256

    @Option(help: "Periods the device buffers (latency = (periods − 1) × period).")
    var bufferPeriods: Int = 4

    @Option(help: ArgumentHelp(
        "Seconds before its start that a beat is composed and queued.",
        discussion: "Shorter: a decision reaches the music sooner; too short for the machine, and notes come late (counted in the summary)."))
    var lead: Double = 0.1

    func validate() throws {
        guard lead >= 0.05, lead <= 5 else { throw ValidationError("--lead must be in 0.05...5 seconds.") }
        guard period >= 64, period <= 8192, period % 64 == 0 else { throw ValidationError("--period must be a multiple of 64 in 64...8192.") }
        guard (2...16).contains(bufferPeriods) else { throw ValidationError("--buffer-periods must be in 2...16.") }
    }

    func run() throws {
        let began = Date()
        let name = session.name ?? (source == "-" ? "live" : URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent)
        let frames = source == "-" ? nil : try readLandmarks(source)
        let prepared = try prepareSession(
            options: session, name: name, source: source == "-" ? "<stdin>" : source, clock: "live", defaultPreset: nil)
        // A fresh output each time it is opened: at the start, and to reopen a failed device.
        var sink: any AudioSink = NullSink(bufferPeriods: bufferPeriods)
        let openOutput = { [self, prepared] () throws -> LiveEngine in
            sink = noSoundCard
                ? NullSink(bufferPeriods: bufferPeriods)
                : ALSASink(device: device, periodFrames: period, bufferFrames: period * bufferPeriods)
            return try LiveEngine(
                soundfontPath: prepared.soundfont, settings: prepared.audio.renderSettings, sink: sink,
                configuration: .init(periodFrames: period, ceilingDBFS: prepared.audio.ceilingDBFS))
        }

        let openMIDI: (() throws -> any ExternalMIDIOutput)? = midiOut.map { port in
            { try ALSASequencerOutput(destination: port) }
        }

        let writer = try SessionLogWriter(path: prepared.logPath)
        let loop = prepared.makeLoop(log: writer)
        let conductor = SessionConductor(
            loop: loop, music: SessionComposer(preset: prepared.loaded?.preset, seed: session.seed), log: writer, lead: lead)
        let landmarks: any LiveLandmarkSource = frames.map { RecordedLandmarkSource(frames: $0) } ?? LineLandmarkSource(handle: .standardInput)

        // A parent may have started us with these signals blocked (some process launchers do):
        // unblock them, or Ctrl-C and a supervisor's SIGTERM would never arrive.
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM] {
            sigaddset(&signals, number)
            signal(number) { caught in
                stopSignal.store(caught, ordering: .relaxed)
                signal(caught, SIG_DFL)  // a second one stops at once
            }
        }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        let output = (noSoundCard ? "a clock-paced null output" : "ALSA '\(device)'")
            + (midiOut.map { " and ALSA sequencer port '\($0)'" } ?? "")
        let length = frames?.last.map { " (\(formatTime($0.time)) of landmarks)" } ?? ""
        FileHandle.standardError.write(Data("live session \(name): \(source == "-" ? "stdin" : source)\(length) → \(output); Ctrl-C to stop\n".utf8))
        let progress = ProgressLine(label: "live", total: frames?.last?.time ?? 0)
        let outcome: LiveSession.Outcome
        do {
            outcome = try LiveSession(conductor: conductor, openMIDI: openMIDI, openOutput: openOutput).run(
                source: landmarks, stop: { stopSignal.load(ordering: .relaxed) != 0 },
                progress: { time in if let last = frames?.last?.time { progress.update(time / max(last, 1e-9)) } })
        } catch let error as EmoMusikError {
            // The output could not be opened: nothing happened, so no log is left behind.
            writer.close()
            try? FileManager.default.removeItem(atPath: prepared.logPath)
            guard error.code == .audioOutput, !noSoundCard else { throw error }
            throw EmoMusikError(
                .audioOutput, error.message,
                hint: "list devices with `aplay -L` and pass --device NAME; without a sound card, use --no-sound-card")
        }
        progress.finish()
        writer.close()
        let profileNote = try prepared.saveLearnedProfile()

        let reportPath = "\(prepared.base).html"
        try writeReport(try SessionLog.read(path: prepared.logPath), title: "\(name) (live)", to: reportPath)
        let stats = outcome.engine
        let s = outcome.summary
        let ending = switch outcome.reason {
        case "interrupted": "stopped by signal \(stopSignal.load(ordering: .relaxed)); faded out"
        default: "the source ended; the music closed and faded"
        }
        print("session: \(formatTime(s.duration)) live, \(s.frames) frames, \(s.decisions.count) decisions by \(prepared.strategyID); \(ending)")
        print("music: \(conductor.music.committedBars) bars; \(outcome.eventsQueued) events queued, \(stats.eventsLate) late, \(stats.eventsDropped) dropped"
              + (outcome.closestQueueing.map { String(format: "; closest to the audio: %.0f ms of the %.2f s lead", $0 * 1000, lead) } ?? ""))
        print(String(format: "audio: %d periods, %d underruns, worst block %.2f ms of %.2f ms (%.2f ms of it on the CPU), %d samples held at the ceiling",
                     stats.periodsRendered, stats.underruns, Double(stats.maxRenderNanoseconds) / 1e6,
                     Double(stats.periodNanoseconds) / 1e6, Double(stats.worstRenderCPUNanoseconds) / 1e6,
                     stats.clippedSamples))
        let delays = outcome.responseDelays.sorted()
        if let worst = delays.last {
            let queued = Double(sink.outputLatencyFrames) / Double(prepared.audio.sampleRate)
            let period = Double(self.period) / Double(prepared.audio.sampleRate)
            let withinBeat = zip(outcome.responseDelays, outcome.responseBeats).filter { $0 <= $1 + period }.count
            print(String(format: "response: a changed decision is heard from the next free beat: median %.2f s, max %.2f s over %d changes (incl. %.0f ms queued output); %d within their beat + one period (+ the queued output)",
                         delays[delays.count / 2] + queued, worst + queued, delays.count, queued * 1000, withinBeat))
            let bound = outcome.estimateDelays.sorted()
            print(String(format: "  from the decision before (an estimate's longest wait): median %.2f s, max %.2f s",
                         bound[bound.count / 2] + queued, (bound.last ?? 0) + queued))
        }
        if outcome.outputLag >= 0.01 {
            print(String(format: "the output lost %.2f s to underruns: the music ended that much behind the landmarks", outcome.outputLag))
        }
        if midiOut != nil {
            print("midi: \(outcome.midiEventsSent) events sent"
                  + (outcome.midiFailures > 0 ? "; the port failed \(outcome.midiFailures) time(s) and was reopened \(outcome.midiReopened) time(s) (see the log)" : ""))
        }
        if outcome.outputFailures > 0 {
            print("the audio output failed \(outcome.outputFailures) time(s) and was reopened \(outcome.outputReopened) time(s); the session went on (see the log)")
        }
        if s.faceLostSeconds > 0 { print("face lost for \(Int(s.faceLostSeconds.rounded())) s (the music went on)") }
        if let profileNote { print(profileNote) }
        print("wrote \(prepared.logPath)")
        print("wrote \(reportPath)")
        print("done in \(String(format: "%.1f", Date().timeIntervalSince(began))) s; 'emomusik session replay \(prepared.logPath)' renders the music to files")
    }
}
