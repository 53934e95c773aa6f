import ArgumentParser
import Composer
import EmoMusikCore
import Sessions

struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose",
        abstract: "Compose music for one emotion or one valence/arousal point.",
        discussion: """
            The music is written at the MIDI level by EmoMusik's composer: mode follows
            valence (major when pleasant, minor when not), tempo, loudness, density and
            articulation follow arousal, register follows valence. The same seed always
            gives the same music.

            Examples:
              emomusik compose --emotion happiness -o happy.wav -o happy.mid
              emomusik compose --valence -0.6 --arousal -0.4 --seed 7 -o calm.flac
              emomusik compose --emotion anger --json -o anger.mid
              emomusik compose --preset calm-down -o audition.wav  # a preset's target
            """
    )

    @Option(
        name: .customLong("emotion"),
        help: ArgumentHelp(
            "The emotion to express: neutral, happiness, sadness, anger, fear, surprise or disgust.",
            valueName: "name"))
    var emotionName: String?

    @Option(parsing: .unconditional, help: "Valence, -1 (unpleasant) to 1 (pleasant). Use with --arousal.")
    var valence: Double?

    @Option(parsing: .unconditional, help: "Arousal, -1 (calm) to 1 (excited). Use with --valence.")
    var arousal: Double?

    @Option(help: "Length in bars.")
    var bars: Int = 16

    @Option(help: "Seed of the composer's random choices.")
    var seed: UInt64 = 1

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("A file to write: .wav, .flac or .mid. Repeat for several.", valueName: "file"))
    var outputs: [String] = []

    @OptionGroup(title: "Preset") var preset: PresetOptions
    @OptionGroup(title: "Audio") var audio: AudioOptions
    @OptionGroup var summary: SummaryOptions

    /// The emotion named by `--emotion`, if any (checked in `validate()`).
    var emotion: Emotion? { emotionName.flatMap { Emotion(name: $0) } }

    func validate() throws {
        if let emotionName, Emotion(name: emotionName) == nil {
            throw ValidationError(
                "Unknown emotion '\(emotionName)'. "
                    + (Emotion.closest(to: emotionName).map { "Did you mean '\($0)'? " } ?? "")
                    + "Known: \(Emotion.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        switch (emotionName, valence, arousal) {
        case (.some, nil, nil), (nil, .some, .some): break
        case (.some, _, _):
            throw ValidationError("Give either --emotion or --valence with --arousal, not both.")
        case (nil, nil, nil):
            guard preset.preset != nil else {
                throw ValidationError("Say what to express: --emotion NAME, or --valence V --arousal A (or --preset NAME for its target).")
            }
        default:
            throw ValidationError("--valence and --arousal go together; give both.")
        }
        if let valence, let arousal { _ = try Affect.validated(valence: valence, arousal: arousal) }
        guard (1...1000).contains(bars) else { throw ValidationError("--bars \(bars) must be between 1 and 1000.") }
        guard !outputs.isEmpty else {
            throw ValidationError("Name at least one output file with -o, e.g. -o music.wav -o music.mid.")
        }
        _ = try OutputPlan(paths: outputs)
    }

    func run() throws {
        var loaded = try preset.load(registry: standardRegistry())
        let given = emotion?.affect ?? valence.map { Affect(valence: $0, arousal: arousal!) }
        guard let affect = given ?? loaded?.preset.target.affect else {
            throw ValidationError("Say what to express: --emotion NAME, or --valence V --arousal A.")
        }
        let plan = try OutputPlan(paths: outputs)
        try plan.checkWritable()
        let configuration = loaded?.preset.composerConfiguration(seed: seed) ?? ComposerConfiguration(seed: seed)
        var composition = Composer(configuration: configuration).compose(affect: affect, bars: bars)
        if let current = loaded {
            (composition.score, loaded!.adjustments) = current.preset.enforce(composition)
        }
        let result = try writeOutputs(
            composition, seed: seed, plan: plan, audio: audio, preset: loaded, showProgress: !summary.json)
        try printSummary(result, json: summary.json)
    }
}
