import ArgumentParser
import Composer
import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import MIDIFile
import Presets
import Recognition
import Sessions
import Strategies
import Synth

struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Run a session from recorded landmarks, replay its log, or write its report.",
        discussion: """
            A session joins the parts: facial landmarks → the recognizer → a smoother →
            the strategy → the composer → the synthesiser, with every estimate, decision,
            musical change, warning and fault written to a session log (JSON lines).

            Examples:
              emomusik session run rec.jsonl --preset calm-down --out out --name child-3
              emomusik session live rec.jsonl --preset calm-down      # real time, to the sound card
              tracker | emomusik session live - --preset bedtime       # landmarks on stdin
              emomusik session replay out/child-3.log.jsonl -o again.wav -o again.mid
              emomusik session report out/child-3.log.jsonl -o child-3.html

            An offline session's replay is bit-identical to the original render (same
            soundfont).
            """,
        subcommands: [RunSession.self, LiveSessionCommand.self, ReplaySession.self, ReportSession.self]
    )

    struct RunSession: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a session offline (on a virtual clock) from a landmark recording.",
            discussion: """
                The recording is JSON lines ({"t": 1.25, "points": [[x, y], ... 68 pairs],
                "confidence": 0.9}, "points": [] when the face is lost) or OpenFace CSV.
                Writes <out>/<name>.wav, .mid, .log.jsonl and .html.

                Examples:
                  emomusik session run rec.jsonl            # iso-principle, no preset
                  emomusik session run rec.jsonl --preset calm-down --name child-3
                  emomusik session run rec.csv --strategy mirror --seed 7 --out sessions
                """)

        @Argument(help: ArgumentHelp("The landmark recording (.jsonl or OpenFace .csv).", valueName: "file"))
        var recording: String

        @OptionGroup var session: SessionRunOptions

        func run() throws {
            let name = session.name ?? URL(fileURLWithPath: recording).deletingPathExtension().lastPathComponent
            let result = try runRecordedSession(recording: recording, name: name, options: session, defaultPreset: nil)
            printSessionSummary(result)
        }
    }

    struct ReplaySession: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Re-render a session from its log: the same music, bit for bit for an offline session.",
            discussion: """
                Rebuilds the composer's targets from the logged decisions, with the logged
                preset (its text is in the log), seed and audio settings, and renders them
                again.

                Examples:
                  emomusik session replay out/demo.log.jsonl   # out/demo.replay.wav, .mid
                  emomusik session replay out/demo.log.jsonl -o a.wav -o a.mid
                  emomusik session replay old.log.jsonl --soundfont other.sf2  # not identical
                """)

        @Argument(help: ArgumentHelp("The session log.", valueName: "log"))
        var log: String

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write these files (.wav, .flac, .mid); repeatable.", valueName: "file"))
        var outputs: [String] = []

        @Option(help: ArgumentHelp("Use this soundfont instead of the logged one.", valueName: "file"))
        var soundfont: String?

        func validate() throws {
            if !outputs.isEmpty { _ = try OutputPlan(paths: outputs) }
        }

        func run() throws {
            let contents = try SessionLog.read(path: log)
            if let line = contents.truncatedLine {
                warn("\(log):\(line): the last line was cut short (a session stopped mid-write); replaying without it")
            }
            guard let start = contents.start else { throw EmoMusikError(.malformedFile, "\(log) has no session-start") }
            let lastDecision = contents.decisions.last.map { $0.t + (start.decidesAtBeats == true ? 0 : start.decisionInterval) }
            let duration = contents.end?.duration ?? lastDecision ?? 0
            if contents.end == nil { warn("\(log): no session-end line (the session was interrupted); the music ends at \(formatTime(duration))") }
            let preset = try Preset.fromLog(start)
            let music = try SessionMusic.replay(contents, duration: duration, preset: preset, seed: start.seed)
            let base = replayBase(log)
            let plan = try OutputPlan(paths: outputs.isEmpty ? ["\(base).replay.wav", "\(base).replay.mid"] : outputs)
            try plan.checkWritable()
            let font = try soundfont.map { try AudioOptions.locateSoundfont(explicit: $0) } ?? loggedSoundfont(start)
            let written = try renderSessionMusic(music.score, audio: start.audio, soundfont: font, plan: plan, showProgress: true)
            print("replayed \(contents.decisions.count) decisions, \(formatTime(music.score.duration)) of music")
            for file in written { print("wrote \(file)") }
        }

        func loggedSoundfont(_ start: SessionStart) throws -> String? {
            guard let logged = start.soundfont else { return nil }
            guard FileManager.default.fileExists(atPath: logged) else {
                throw EmoMusikError(
                    .soundfont, "the logged soundfont '\(logged)' is not there",
                    hint: "pass --soundfont FILE (the audio will differ unless it is the same soundfont)")
            }
            return logged
        }
    }

    struct ReportSession: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write a self-contained HTML report of a session for the therapist.",
            discussion: """
                The child's affect over time beside the music's tempo, mode and loudness, the
                strategy's decisions with their reasons, faults and warnings, and a summary.
                One file with inline SVG: no network, no scripts.

                Examples:
                  emomusik session report out/demo.log.jsonl                    # out/demo.html
                  emomusik session report out/demo.log.jsonl -o ~/child-3.html
                """)

        @Argument(help: ArgumentHelp("The session log.", valueName: "log"))
        var log: String

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The HTML file (default: next to the log).", valueName: "file"))
        var output: String?

        func run() throws {
            let contents = try SessionLog.read(path: log)
            if let line = contents.truncatedLine { warn("\(log):\(line): the last line was cut short and is left out") }
            let path = output ?? replayBase(log) + ".html"
            try writeReport(contents, title: URL(fileURLWithPath: log).lastPathComponent, to: path)
            print("wrote \(path)")
        }
    }
}

/// Options of a session run from a recording (`session run` and `demo`).
struct SessionRunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory for <name>.wav, .mid, .log.jsonl and .html.", valueName: "dir"))
    var out: String = "out"

    @Option(help: "Base name of the outputs (default: the recording's file name).")
    var name: String?

    @Option(help: "Seed of the composer's random choices.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp(
        "The child's profile: a learning strategy (adaptive) starts from it and saves what it learned at the end.",
        valueName: "id"))
    var child: String?

    @Option(help: ArgumentHelp("Where child profiles live (default: $XDG_DATA_HOME/emomusik/profiles or ~/.local/share/emomusik/profiles).", valueName: "dir"))
    var profiles: String?

    @Option(help: ArgumentHelp(
        "Decide every this many seconds instead of before every beat.",
        discussion: "By default the strategy decides just before each beat is fixed, so a change in the child reaches the music at the next beat; a fixed interval (the sessions of earlier versions used 2) gives the strategy fewer, evenly spaced decisions.",
        valueName: "seconds"))
    var decisionInterval: Double?

    @Option(help: ArgumentHelp("The recognizer plugin (see 'emomusik plugins list').", valueName: "id"))
    var recognizer: String = EmoMusikNetRecognizer.descriptor.id

    @Option(help: ArgumentHelp("The recognizer's model file (emomusik-net).", valueName: "file"))
    var model: String?

    @OptionGroup(title: "Strategy") var strategy: StrategyOptions
    @OptionGroup(title: "Preset") var preset: PresetOptions
    @OptionGroup(title: "Audio") var audio: AudioOptions

    func validate() throws {
        if let decisionInterval, !(0.25...60).contains(decisionInterval) {
            throw ValidationError("--decision-interval must be in 0.25...60 seconds.")
        }
    }
}

/// What a session run wrote, for its summary.
struct SessionRunResult {
    var summary: SessionLoop.Summary
    var music: SessionMusic
    var files: [String]
    var seconds: Double
    var presetName: String?
    var strategy: String
    var profileNote: String?
}

/// Everything a session needs before its first frame: the plugins, the preset, the audio
/// settings, the output directory and the log's first line.
struct PreparedSession {
    var loaded: LoadedPreset?
    var strategyID: String
    var strategy: any RecommenderStrategy
    var recognizer: any EmotionRecognizer
    var soundfont: String
    var audio: SessionAudioSettings
    var goal: SessionGoal
    /// `<out>/<name>`: the outputs are this plus .wav, .mid, .log.jsonl, .html.
    var base: String
    var start: SessionStart
    var settings: SessionLoop.Settings
    var profile: ChildProfile
    /// Where the child's profile is saved after the session (nil: no child named).
    var profileStore: ChildProfileStore?

    var logPath: String { "\(base).log.jsonl" }

    func makeLoop(log: any SessionLogSink) -> SessionLoop {
        SessionLoop(recognizer: recognizer, strategy: strategy, goal: goal, profile: profile, settings: settings, log: log, start: start)
    }

    /// After the session: saves what a learning strategy learned about the child (atomically).
    /// Returns a line for the summary, or nil when there is nothing to save.
    func saveLearnedProfile() throws -> String? {
        guard let store = profileStore else { return nil }
        guard let learning = strategy as? any LearningStrategy else {
            return "child profile '\(profile.id)' unchanged (\(strategyID) does not learn)"
        }
        let learned = learning.learnedProfile
        guard learned.id == profile.id else { return nil }  // the strategy never ran
        try store.save(learned)
        return "saved child profile \(try store.path(for: learned.id))"
    }
}

func prepareSession(options: SessionRunOptions, name: String, source: String, clock: String, defaultPreset: String?) throws -> PreparedSession {
    let registry = standardRegistry()
    var presetOptions = options.preset
    if presetOptions.preset == nil { presetOptions.preset = defaultPreset }
    let loaded = try presetOptions.load(registry: registry)
    let strategyID = options.strategy.strategy ?? loaded?.preset.strategy.id ?? StrategyChoice.defaultID
    var strategyOptions = options.strategy.strategy == nil ? loaded?.preset.strategy.options ?? [:] : [:]
    strategyOptions.merge(try options.strategy.parsedOptions()) { _, given in given }
    let strategy = try registry.makeStrategy(id: strategyID, options: strategyOptions)
    var recognizerOptions: [String: PluginOptionValue] = [:]
    if options.recognizer == EmoMusikNetRecognizer.descriptor.id {
        recognizerOptions["model"] = .string(try resolveModel(options.model))
    } else if let model = options.model {
        recognizerOptions["model"] = .string(model)
    }
    let recognizer = try registry.makeRecognizer(id: options.recognizer, options: recognizerOptions)

    let directory = options.out.hasSuffix("/") ? String(options.out.dropLast()) : options.out
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw EmoMusikError(.writeFailed, "cannot create output directory '\(directory)'", hint: "choose another --out directory")
    }
    let soundfont = try options.audio.resolveSoundfont(presetSoundfont: loaded?.soundfont)
    var audio = SessionAudioSettings(options.audio)
    if let loaded { audio.ceilingDBFS = min(audio.ceilingDBFS, loaded.preset.safety.maxLevelDBFS) }
    let goal = loaded?.preset.goal ?? SessionGoal(target: .neutral)
    let settings = options.decisionInterval.map { SessionLoop.Settings(decisionInterval: $0) }
        ?? SessionLoop.Settings(decidesAtBeats: true)
    let store = options.child.map { _ in options.profiles.map { ChildProfileStore(directory: $0) } ?? ChildProfileStore() }
    let profile = try options.child.map { try store!.load(id: $0) } ?? .anonymous
    var start = SessionStart(
        clock: clock, source: source, seed: options.seed, presetName: loaded?.preset.name, presetFile: loaded?.path,
        presetYAML: try loaded.map { try String(contentsOfFile: $0.path, encoding: .utf8) }, strategy: strategyID,
        strategyOptions: strategyOptions, recognizer: options.recognizer, recognizerOptions: recognizerOptions,
        soundfont: soundfont, audio: audio, decisionInterval: settings.decisionInterval, smoother: .standard, goal: goal)
    start.child = options.child
    if settings.decidesAtBeats { start.decidesAtBeats = true }
    return PreparedSession(
        loaded: loaded, strategyID: strategyID, strategy: strategy, recognizer: recognizer, soundfont: soundfont, audio: audio,
        goal: goal, base: "\(directory)/\(name)", start: start, settings: settings, profile: profile, profileStore: store)
}

/// Runs a recorded session offline and writes its audio, MIDI, log and report.
func runRecordedSession(recording: String, name: String, options: SessionRunOptions, defaultPreset: String?) throws -> SessionRunResult {
    let began = Date()
    let frames = try readLandmarks(recording)
    guard let last = frames.last else {
        throw EmoMusikError(.malformedFile, "\(recording) holds no frames", hint: "record at least a few seconds of landmarks")
    }
    let prepared = try prepareSession(options: options, name: name, source: recording, clock: "offline", defaultPreset: defaultPreset)
    let plan = try OutputPlan(paths: ["\(prepared.base).wav", "\(prepared.base).mid"])
    try plan.checkWritable()

    let writer = try SessionLogWriter(path: prepared.logPath)
    let loop = prepared.makeLoop(log: writer)
    let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: prepared.loaded?.preset, seed: options.seed), log: writer)
    let progress = ProgressLine(label: "listening", total: last.time)
    for (index, frame) in frames.enumerated() {
        conductor.process(frame)
        if index % 15 == 0 { progress.update(frame.time / max(last.time, 1e-9)) }
    }
    progress.finish()
    let summary = conductor.finish()
    writer.close()
    guard let music = conductor.music.music else { throw EmoMusikError(.malformedFile, "\(recording): the session made no music") }
    let profileNote = try prepared.saveLearnedProfile()

    var files = try renderSessionMusic(music.score, audio: prepared.audio, soundfont: prepared.soundfont, plan: plan, showProgress: true)
    files.append(prepared.logPath)
    let reportPath = "\(prepared.base).html"
    try writeReport(try SessionLog.read(path: prepared.logPath), title: "\(name) (\(URL(fileURLWithPath: recording).lastPathComponent))", to: reportPath)
    files.append(reportPath)
    return SessionRunResult(
        summary: summary, music: music, files: files, seconds: Date().timeIntervalSince(began), presetName: prepared.loaded?.preset.name,
        strategy: prepared.strategyID, profileNote: profileNote)
}

func printSessionSummary(_ result: SessionRunResult) {
    let s = result.summary
    let bars = result.music.barRecords
    print("session: \(formatTime(s.duration)) of landmarks, \(s.frames) frames, \(s.decisions.count) decisions by \(result.strategy)"
        + (result.presetName.map { " (preset \($0))" } ?? ""))
    if let first = bars.first, let last = bars.last {
        print("music: \(bars.count) bars, \(rounded(first.tempo, places: 10)) → \(rounded(last.tempo, places: 10)) BPM, \(first.key) → \(last.key)")
    }
    var notes: [String] = []
    if s.faceLostSeconds > 0 { notes.append("face lost for \(Int(s.faceLostSeconds.rounded())) s (the music went on)") }
    notes.append(s.faults == 0 ? "no faults" : "\(s.faults) faults (see the report)")
    if !result.music.adjustments.isEmpty {
        let count = result.music.adjustments.count
        notes.append("the safety envelope adjusted \(count) thing\(count == 1 ? "" : "s")")
    }
    print(notes.joined(separator: "; "))
    if let note = result.profileNote { print(note) }
    for file in result.files { print("wrote \(file)") }
    print("done in \(String(format: "%.1f", result.seconds)) s; open \(result.files.last ?? "the report") in a browser")
}

/// Renders a session's score to the planned files with the logged audio settings: the one path
/// both a session and its replay take, so that the same score gives the same bytes.
func renderSessionMusic(_ score: Score, audio: SessionAudioSettings, soundfont: String?, plan: OutputPlan, showProgress: Bool) throws -> [String] {
    let settings = audio.renderSettings
    let font = plan.needsAudio ? try soundfont ?? AudioOptions.locateSoundfont(explicit: nil) : nil
    return try writeScore(
        score, plan: plan, settings: settings, sampleFormat: AudioSampleFormat(bitDepth: audio.bitDepth) ?? .pcm16,
        soundfont: font, showProgress: showProgress).files
}

func writeReport(_ contents: SessionLog.Contents, title: String, to path: String) throws {
    let html = SessionReport(contents: contents, title: title).html
    do {
        try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw EmoMusikError(.writeFailed, "cannot write the report '\(path)'", hint: "choose a directory you can write to")
    }
}

/// Landmark frames from a JSON-lines or OpenFace CSV file, by extension.
func readLandmarks(_ path: String) throws -> [LandmarkFrame] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw EmoMusikError(.fileNotFound, "landmark recording '\(path)' not found", hint: "check the path (the demo's is examples/demo-session.jsonl)")
    }
    let sequence = path.lowercased().hasSuffix(".csv") ? try OpenFaceCSV.read(path: path) : try JSONLinesFormat.read(path: path)
    return sequence.frames
}

/// The model file: as given, else the shipped model in the working directory or next to the build.
func resolveModel(_ given: String?) throws -> String {
    if let given { return given }
    let local = EmoMusikNetRecognizer.defaultModelPath
    if FileManager.default.fileExists(atPath: local) { return local }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let checkout = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let bundled = checkout.appendingPathComponent(local).path
    if FileManager.default.fileExists(atPath: bundled) { return bundled }
    throw EmoMusikError(
        .fileNotFound, "the recognizer's model '\(local)' is not here",
        hint: "run from the project directory, or pass --model FILE (scripts/train-default-model.sh trains one)")
}

/// `out/demo.log.jsonl` → `out/demo`.
func replayBase(_ log: String) -> String {
    for suffix in [".log.jsonl", ".jsonl", ".log"] where log.hasSuffix(suffix) { return String(log.dropLast(suffix.count)) }
    return log
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

extension SessionAudioSettings {
    /// The synthesiser's settings these logged settings stand for.
    var renderSettings: RenderSettings {
        RenderSettings(
            sampleRate: sampleRate, reverb: reverb, reverbRoomSize: reverbRoomSize, reverbLevel: reverbLevel,
            chorus: chorus, gain: gain, tailSeconds: tailSeconds, ceilingDBFS: ceilingDBFS)
    }

    init(_ options: AudioOptions) {
        let settings = options.settings
        self.init(
            sampleRate: settings.sampleRate, reverb: settings.reverb, reverbRoomSize: settings.reverbRoomSize,
            reverbLevel: settings.reverbLevel, chorus: settings.chorus, gain: settings.gain, ceilingDBFS: settings.ceilingDBFS,
            tailSeconds: settings.tailSeconds, bitDepth: options.bitDepth.rawValue)
    }
}

