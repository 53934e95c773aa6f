import ArgumentParser
import EmoMusikCore
import FaceLandmarks
import Foundation

/// `emomusik dataset synth`: synthetic facial-expression datasets in a real landmark format.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Make landmark datasets for training and evaluating the emotion recognizer.",
        discussion: """
            A dataset is a directory with one OpenFace 2.0 CSV per sequence and an index,
            labels.csv (file,emotion,subject,domain). Training reads it exactly as it
            would read a real dataset converted to that format.

            Examples:
              emomusik dataset synth --domain posed-adult --count 700 --seed 1 --out adult
              emomusik dataset synth --domain child --count 700 --seed 2 --out child
            """,
        subcommands: [Synth.self]
    )
}

extension DatasetCommand {
    enum DomainChoice: String, ExpressibleByArgument, CaseIterable {
        case posedAdult = "posed-adult"
        case child

        var domain: SyntheticDomain { self == .posedAdult ? .posedAdult : .child }
    }

    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate seeded synthetic facial-expression sequences (FACS action units).",
            discussion: """
                Each sequence shows one of the seven classes (neutral, happiness, sadness,
                anger, fear, surprise, disgust) rising from a neutral face to its apex, built
                from FACS action units (happiness AU6+AU12, surprise AU1+AU2+AU5+AU26, ...),
                on a subject's own face, with head pose, tracker jitter and dropped frames
                (success = 0 rows). Classes are balanced; about seven sequences share a
                subject.

                Domains:
                  posed-adult  the source: full-intensity posed expressions, steady
                               heads, little jitter
                  child        the target: subtler, more varied and faster expressions,
                               other face proportions, more pose, jitter and drops

                The same seed gives the same files on every machine.

                Examples:
                  emomusik dataset synth --domain posed-adult --count 700 --seed 1 --out adult
                  emomusik dataset synth --domain child --count 140 --seed 2 --out child
                  emomusik dataset synth --domain child --count 14 --seed 3 --out c --frames 32
                """)

        @Option(help: "Which faces: posed-adult (source) or child (target).")
        var domain: DomainChoice

        @Option(help: "How many sequences to write.")
        var count: Int

        @Option(help: "Random seed (a whole number ≥ 0).")
        var seed: UInt64

        @Option(help: ArgumentHelp("Output directory (created if needed).", valueName: "dir"))
        var out: String

        @Option(help: "Frames per sequence, at 30 frames per second.")
        var frames: Int = 48

        func validate() throws {
            guard count > 0 else { throw ValidationError("--count must be at least 1, got \(count). Try --count 700.") }
            guard frames >= 8 else {
                throw ValidationError("--frames must be at least 8 (a neutral start, an onset and an apex), got \(frames).")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ValidationError("--out \(out) is a file; give a directory.")
            }
        }

        func run() throws {
            let generator = SyntheticExpressions(domain: domain.domain, frames: frames)
            let dataset = generator.generate(count: count, seed: seed)
            let step = count >= 200 ? max(1, count / 10) : Int.max
            try dataset.write(to: out) { done, total in
                if done % step == 0 || (done == total && total >= 200) {
                    FileHandle.standardError.write(Data("  \(done)/\(total) sequences written\n".utf8))
                }
            }
            let missing = dataset.samples.map { $0.sequence.frames.count { $0.isMissing } }.reduce(0, +)
            let perClass = zip(Emotion.allCases, dataset.classCounts).map { "\($0.rawValue) \($1)" }.joined(separator: ", ")
            print("""
                Wrote \(count) \(domain.rawValue) sequences of \(frames) frames (seed \(seed)) to \(out)
                  classes: \(perClass)
                  subjects: \(dataset.subjects.count); dropped frames: \(missing) of \(count * frames)
                  index: \((out as NSString).appendingPathComponent(LandmarkDataset.indexName))
                """)
        }
    }
}
