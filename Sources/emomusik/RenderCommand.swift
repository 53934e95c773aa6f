import ArgumentParser
import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Sessions

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render music that follows an emotion timeline.",
        discussion: """
            A timeline is a CSV file: each row is a time in seconds and then either an
            emotion name, a valence,arousal pair, or seven class probabilities (neutral,
            happiness, sadness, anger, fear, surprise, disgust). Each row holds until the
            next; the piece ends at the last row. Between rows the music moves musically:
            tempo ramps over beats, keys change at bar lines through a pivot chord,
            loudness changes by bounded steps.

              0,anger
              20,-0.3,0.3
              40,0.05,0.7,0.05,0,0,0.2,0
              60,happiness

            Examples:
              emomusik render --timeline examples/timeline.csv   # out/timeline.wav, .mid
              emomusik render --timeline t.csv --out clips --name child-3 --format flac
              emomusik render --timeline t.csv -o t.mid --json
              emomusik render --timeline child.csv --strategy iso-principle
              emomusik render --timeline child.csv --preset calm-down

            With --strategy or --preset the timeline describes the child, and the strategy
            decides what the music expresses (a preset names its strategy, target and lead
            rate). A preset's safety envelope is applied to every event last.
            """
    )

    @Option(help: ArgumentHelp("The emotion timeline (CSV).", valueName: "file"))
    var timeline: String

    @Option(help: ArgumentHelp("Directory for the default outputs <name>.wav and <name>.mid.", valueName: "dir"))
    var out: String = "out"

    @Option(help: "Base name of the default outputs (default: the timeline's file name).")
    var name: String?

    @Option(help: "Audio file type of the default outputs: wav or flac.")
    var format: AudioFormatChoice = .wav

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write exactly these files instead (.wav, .flac, .mid); repeatable.", valueName: "file"))
    var outputs: [String] = []

    @Option(help: "Seed of the composer's random choices.")
    var seed: UInt64 = 1

    @OptionGroup(title: "Strategy") var strategy: StrategyOptions
    @OptionGroup(title: "Preset") var preset: PresetOptions
    @OptionGroup(title: "Audio") var audio: AudioOptions
    @OptionGroup var summary: SummaryOptions

    enum AudioFormatChoice: String, ExpressibleByArgument, CaseIterable { case wav, flac }

    func validate() throws {
        if !outputs.isEmpty { _ = try OutputPlan(paths: outputs) }
    }

    func run() throws {
        let parsed = try AffectTimeline.load(path: timeline)
        let plan: OutputPlan
        if outputs.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw EmoMusikError(
                    .writeFailed, "cannot create output directory '\(out)'", hint: "choose another --out directory")
            }
            let base = name ?? URL(fileURLWithPath: timeline).deletingPathExtension().lastPathComponent
            let directory = out.hasSuffix("/") ? out : out + "/"
            plan = try OutputPlan(paths: ["\(directory)\(base).\(format.rawValue)", "\(directory)\(base).mid"])
        } else {
            plan = try OutputPlan(paths: outputs)
        }
        try plan.checkWritable()
        let registry = standardRegistry()
        var loaded = try preset.load(registry: registry)
        let configuration = loaded?.preset.composerConfiguration(seed: seed) ?? ComposerConfiguration(seed: seed)
        let composer = Composer(configuration: configuration)
        var composition: Composition
        if let id = strategy.strategy ?? loaded?.preset.strategy.id {
            // The preset's strategy options, unless --strategy names another strategy; --strategy-option wins.
            var options = strategy.strategy == nil ? loaded?.preset.strategy.options ?? [:] : [:]
            options.merge(try strategy.parsedOptions()) { _, given in given }
            let goal = loaded?.preset.goal ?? SessionGoal(target: .neutral)
            let targets = try strategyTargets(child: parsed, strategyID: id, options: options, goal: goal, registry: registry)
            composition = composer.compose(targets: targets)
        } else {
            composition = composer.compose(timeline: parsed)
        }
        if let current = loaded {
            (composition.score, loaded!.adjustments) = current.preset.enforce(composition)
        }
        let result = try writeOutputs(
            composition, seed: seed, plan: plan, audio: audio, preset: loaded, showProgress: !summary.json)
        try printSummary(result, json: summary.json)
    }
}
