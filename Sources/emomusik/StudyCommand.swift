import ArgumentParser
import EmoMusikCore
import Foundation
import Statistics
import Studies

/// `emomusik study create|analyze`: blind rating studies of rendered clips.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Blind expert rating studies: render the clips, then analyse the ratings.",
        discussion: """
            A study (YAML, see examples/study.yaml) crosses intended emotions with
            strategies or presets and seeds. 'study create' renders every clip with opaque
            random names and matched loudness, and writes manifest.json (for the rating
            server; nothing about conditions) and key.csv (the condition of every clip).
            'study analyze' joins the server's ratings export with the key.

            Examples:
              emomusik study create examples/study.yaml --out studies/pilot
              emomusik study analyze studies/pilot --ratings export.csv
              emomusik study analyze studies/pilot --ratings export.csv --json
            """,
        subcommands: [StudyCreate.self, StudyAnalyze.self, StudyServe.self, StudyExport.self]
    )
}

struct StudyCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Render a study's clips (in parallel), match their loudness, write the manifest and the key.",
        discussion: """
            Each clip plays the intended emotion as the child's affect through the strategy
            or preset, exactly as 'emomusik render --timeline ... --strategy/--preset' does,
            then is cut or padded to the clip length (with a 0.25 s fade-out). Integrated
            loudness (ITU-R BS.1770-4 / EBU R 128) is measured per clip and every clip is
            scaled to a common target: the study's loudness-target (default -23 LUFS), or
            lower if some clip would otherwise peak above -1 dBFS. Clips are 16-bit WAV
            files named by 16 random hex characters, all the same size.

            Output in DIR: clips/<id>.wav, manifest.json (for the server), key.csv
            (clip_id,intended_emotion,strategy,preset,seed,loudness_before_lufs,gain_db).
            Keep key.csv away from raters.

            Examples:
              emomusik study create examples/study.yaml --out studies/pilot
              emomusik study create study.yaml --out studies/s2 --jobs 1
            """)

    @Argument(help: ArgumentHelp("The study design (YAML).", valueName: "STUDY.yaml"))
    var file: String

    @Option(help: ArgumentHelp("The new study directory (must not hold a study already).", valueName: "DIR"))
    var out: String

    @Option(help: "Clips rendered at once, one synth each (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs \(jobs) must be at least 1") }
    }

    func run() throws {
        let registry = standardRegistry()
        let strategies = registry.entries.filter { $0.kind == .strategy }.map(\.descriptor)
        let design = try StudyDesign.load(path: file, strategies: strategies)
        // The default soundfont, needed unless the study (or every preset) names one.
        let defaultSoundfont = design.soundfont == nil ? try AudioOptions.locateSoundfont(explicit: nil) : nil
        let total = design.conditions.count
        FileHandle.standardError.write(Data(
            "rendering \(total) clips (\(design.emotions.count) emotions × \(design.arms.count) arms × \(design.seeds.count) seeds, \(formatSeconds(design.clipSeconds)) each) on \(min(jobs, total)) core(s)\n".utf8))
        let onTerminal = isatty(STDERR_FILENO) == 1
        let result = try StudyBuilder.create(
            design: design, directory: out, registry: registry, defaultSoundfont: defaultSoundfont, workers: jobs
        ) { done, all in
            let text = onTerminal ? "\rrendered \(done)/\(all)" + (done == all ? "\n" : "") : "rendered \(done)/\(all)\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
        let audioSeconds = Double(total) * design.clipSeconds
        print("study \"\(design.name)\": \(total) clips of \(formatSeconds(design.clipSeconds)), \(design.raters) rater(s), scale \(design.scale.lowerBound)–\(design.scale.upperBound)")
        print(String(format: "rendered in %.1f s on %d core(s) (%.1f× real time); total %.1f s", result.renderSeconds, result.workers,
                     audioSeconds / max(result.renderSeconds, 1e-9), result.totalSeconds))
        let before = result.key.map(\.loudnessBeforeLUFS)
        print(String(format: "loudness %.1f…%.1f LUFS before, all %.1f LUFS after", before.min()!, before.max()!, result.targetLUFS) + " (\(result.targetReason))")
        print("wrote \(out)/clips/ (\(total) files), \(out)/\(StudyManifest.fileName), \(out)/\(StudyKey.fileName) (keep the key from raters)")
        print("invites (paths on the rating server, 'emomusik study serve \(out)'):")
        for rater in result.manifest.raters { print("  \(rater.id): /r/\(rater.token)") }
        print("  admin export: /admin/\(result.manifest.adminToken)/export.csv")
    }

    func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

struct StudyAnalyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Agreement (six ICC forms), matching accuracy and per-condition means of a study's ratings.",
        discussion: """
            Joins the ratings (the server's export,
            rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at) with
            DIR/key.csv. For rhythm_match and emotion_match: all six Shrout & Fleiss ICC
            forms with F, df, p and CIs over clips × raters; when some rater did not rate
            some clip, the missing ratings are listed and the ICC uses the largest complete
            subset found (said so in the report). Matching accuracy (heard emotion =
            intended) overall and per intended emotion, strategy and preset, and means per
            condition, each with a bootstrap interval (BCa; percentile when BCa cannot be
            formed) resampling whole raters by default.

            Examples:
              emomusik study analyze studies/pilot                  # DIR/ratings.csv
              emomusik study analyze studies/pilot --ratings export.csv --json
              emomusik study analyze studies/pilot --resampling clips --seed 7
            """)

    @Argument(help: ArgumentHelp("The study directory.", valueName: "DIR"))
    var directory: String

    @Option(help: ArgumentHelp("The ratings CSV (default DIR/ratings.csv).", valueName: "FILE.csv"))
    var ratings: String?

    @Option(help: "What the bootstrap resamples: raters, clips or ratings.")
    var resampling: ResamplingChoice = .raters

    @Option(help: "Bootstrap resamples.")
    var resamples = 2000

    @Option(help: "Seed of the bootstrap (SplitMix64).")
    var seed: UInt64 = 1

    @Option(help: "Confidence level of the intervals, between 0 and 1.")
    var level: Double = 0.95

    @Flag(help: "Print JSON instead of text.")
    var json = false

    enum ResamplingChoice: String, ExpressibleByArgument, CaseIterable {
        case raters, clips, ratings
        var unit: ResamplingUnit { ResamplingUnit(rawValue: rawValue)! }
    }

    func validate() throws {
        guard resamples >= 100 else { throw ValidationError("--resamples \(resamples) is too few; use at least 100, e.g. 2000") }
        guard level > 0 && level < 1 else { throw ValidationError("--level \(level) must lie strictly between 0 and 1") }
    }

    func run() throws {
        let analysis = try StudyAnalysis.analyze(
            directory: directory, ratingsPath: ratings, bootstrap: Bootstrap(resamples: resamples, seed: seed, level: level),
            resampling: resampling.unit)
        print(json ? try analysis.jsonText() : analysis.text(), terminator: "")
    }
}
