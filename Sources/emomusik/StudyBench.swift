import ArgumentParser
import EmoMusikCore
import Foundation
import Studies

/// `emomusik bench study`: how much faster a study's clips render on all cores than on one.
struct StudyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Study rendering: the same study on one core and on all cores, and the speed-up.",
        discussion: """
            Renders the study (default examples/study.yaml) into temporary directories,
            alternating one worker and all cores --repeat times, and prints the best time of
            each, audio seconds per second, and the speed-up (the design target is at least
            1.8× on 2 cores). Run it on a quiet machine: other work on the cores lowers the
            speed-up, not the one-core time.

            Examples:
              .build/release/emomusik bench study
              .build/release/emomusik bench study my-study.yaml --repeat 3
            """)

    @Argument(help: ArgumentHelp("The study file.", valueName: "study.yaml"))
    var file: String = "examples/study.yaml"

    @Option(help: "Runs of each (the best is kept).")
    var `repeat`: Int = 2

    func validate() throws {
        guard (1...10).contains(`repeat`) else { throw ValidationError("--repeat must be in 1...10.") }
    }

    func run() throws {
        let registry = standardRegistry()
        let design = try StudyDesign.load(path: file, strategies: registry.entries.filter { $0.kind == .strategy }.map(\.descriptor))
        let soundfont = design.soundfont == nil ? try AudioOptions.locateSoundfont(explicit: nil) : nil
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let audio = Double(design.conditions.count) * design.clipSeconds
        print("study \"\(design.name)\": \(design.conditions.count) clips × \(formatTime(design.clipSeconds)) = \(formatTime(audio)) of audio; \(cores) core(s)")
        var best: [Int: Double] = [:]
        for run in 1...`repeat` {
            for workers in [1, cores] {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-bench-study-\(getpid())-\(run)-\(workers)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let result = try StudyBuilder.create(
                    design: design, directory: directory, registry: registry, defaultSoundfont: soundfont, workers: workers)
                best[workers] = min(best[workers] ?? .infinity, result.totalSeconds)
                print(String(format: "run %d, %d worker(s): %.2f s (render %.2f s)", run, workers, result.totalSeconds, result.renderSeconds))
            }
        }
        let one = best[1]!, all = best[cores]!
        print(String(format: "one core: %.2f s (%.0f× real time); %d cores: %.2f s (%.0f× real time); speed-up %.2f× (target ≥ 1.8× on 2 cores)",
                     one, audio / one, cores, all, audio / all, one / all))
    }
}
