import Foundation
import Testing

/// Bad input gets a clear message and a non-zero exit, never a crash.
@Suite("CLI: bad input")
struct CLIErrorTests {
    @Test("an unknown emotion lists the valid ones")
    func unknownEmotion() throws {
        let result = try CLI.run(["compose", "--emotion", "hapiness", "-o", "/tmp/x.mid"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains(
                "Unknown emotion 'hapiness'. Did you mean 'happiness'? Known: neutral, happiness, sadness, anger, fear, surprise, disgust."))
    }

    @Test("valence out of range is refused before any work")
    func valenceOutOfRange() throws {
        let result = try CLI.run(["compose", "--valence", "1.5", "--arousal", "0", "-o", "/tmp/x.mid"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("valence 1.5 is out of range"))
        #expect(result.stderr.contains("valence and arousal go from -1 to 1"))
    }

    @Test("compose needs something to express and somewhere to write")
    func composeNeedsTargetAndOutput() throws {
        let none = try CLI.run(["compose", "-o", "/tmp/x.mid"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("Say what to express: --emotion NAME, or --valence V --arousal A (or --preset NAME for its target)."))
        let noOutput = try CLI.run(["compose", "--emotion", "sadness"])
        #expect(noOutput.status != 0)
        #expect(noOutput.stderr.contains("Name at least one output file with -o"))
        let badExtension = try CLI.run(["compose", "--emotion", "sadness", "-o", "x.mp3"])
        #expect(badExtension.stderr.contains("Cannot tell what to write to 'x.mp3': use a .wav, .flac or .mid file name."))
    }

    @Test("a malformed timeline row is named by file and line")
    func malformedTimeline() throws {
        let dir = try TemporaryDirectory()
        let timeline = try dir.write("t.csv", "0,neutral\n10,happiness\n20,0.3\n")
        let result = try CLI.run(["render", "--timeline", timeline, "-o", dir.path("t.mid")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(timeline):3:2 (emotion): unknown emotion '0.3'"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("t.mid")))
    }

    @Test("a missing timeline file is named")
    func missingTimeline() throws {
        let result = try CLI.run(["render", "--timeline", "/nonexistent/t.csv"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot read timeline '/nonexistent/t.csv'"))
    }

    @Test("a missing soundfont given with --soundfont is named, not silently replaced")
    func missingSoundfont() throws {
        let dir = try TemporaryDirectory()
        let result = try CLI.run([
            "compose", "--emotion", "happiness", "--bars", "2", "--soundfont", "/nonexistent/gm.sf2", "-o", dir.path("a.wav"),
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/gm.sf2"))
    }

    @Test("a corrupt soundfont is refused with its path")
    func corruptSoundfont() throws {
        let dir = try TemporaryDirectory()
        let bogus = try dir.write("broken.sf2", String(repeating: "not a soundfont ", count: 64))
        let result = try CLI.run(["compose", "--emotion", "happiness", "--bars", "2", "--soundfont", bogus, "-o", dir.path("a.wav")])
        #expect(result.status != 0)
        #expect(result.stderr.contains(bogus))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("an unwritable output path is refused before rendering")
    func unwritableOutput() throws {
        let result = try CLI.run(["compose", "--emotion", "fear", "--bars", "2", "-o", "/nonexistent-dir/out.wav"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot write '/nonexistent-dir/out.wav': directory '/nonexistent-dir' does not exist"))
    }

    @Test("a file that is not MIDI is refused by analyze with its name")
    func analyzeNotMIDI() throws {
        let dir = try TemporaryDirectory()
        let text = try dir.write("notes.mid", "this is not a MIDI file")
        let result = try CLI.run(["analyze", text])
        #expect(result.status != 0)
        #expect(result.stderr.contains(text))
    }

    @Test("experiment transfer refuses an --ensemble-select outside its pool, naming the option")
    func ensembleSelectOutsidePool() throws {
        let tooMany = try CLI.run([
            "experiment", "transfer", "--ensemble-select", "3", "--ensemble-cache", "/nonexistent/pre-2027.safetensors",
        ])
        #expect(tooMany.status != 0)
        #expect(
            tooMany.stderr.contains(
                "--ensemble-select must be from 1 to 2, the networks of this run (its own and 1 from --ensemble-cache), not 3. Add --ensemble-cache FILE for a larger pool."))
        let zero = try CLI.run(["experiment", "transfer", "--ensemble-select", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--ensemble-select must be from 1 to 1"))
        let word = try CLI.run(["experiment", "transfer", "--ensemble-select", "best"])
        #expect(word.status != 0)
        #expect(word.stderr.contains("The value 'best' is invalid for '--ensemble-select <k>'"))
    }

    @Test("experiment transfer refuses bad self-training, label and checkpoint values, naming the option")
    func selfTrainingValues() throws {
        let cases: [([String], String)] = [
            (["--self-train", "6"], "--self-train must be from 0 (none) to 5 rounds, not 6."),
            (["--self-train", "many"], "The value 'many' is invalid for '--self-train <rounds>'"),
            (["--self-train", "1", "--pseudo-confidence", "0"], "--pseudo-confidence must be a probability above 0 and at most 1, not 0.0."),
            (["--self-train", "1", "--pseudo-confidence", "1.5"], "--pseudo-confidence must be a probability above 0 and at most 1, not 1.5."),
            (["--self-train", "1", "--pseudo-per-class", "0"], "--pseudo-per-class must be at least 1, not 0."),
            (["--pseudo-confidence", "0.8"], "--pseudo-confidence applies to self-training only; add --self-train ROUNDS (at least 1)."),
            (["--pseudo-per-class", "20"], "--pseudo-per-class applies to self-training only; add --self-train ROUNDS (at least 1)."),
            (["--pseudo-windows", "all"], "--pseudo-windows applies to self-training only; add --self-train ROUNDS (at least 1)."),
            (["--pseudo-true-labels"], "--pseudo-true-labels applies to self-training only; add --self-train ROUNDS (at least 1)."),
            (["--self-train", "1", "--pseudo-windows", "middle"], "The value 'middle' is invalid for '--pseudo-windows <apex|all>'"),
            (["--label-selection", "hardest"], "The value 'hardest' is invalid for '--label-selection <random|margin|margin-per-class>'"),
            (["--label-selection", "margin", "--align-class-priors"], "--align-class-priors needs --label-selection random"),
            (["--pretrain-checkpoint", "average-last-0"],
             "The value 'average-last-0' is invalid for '--pretrain-checkpoint <best|last|average-last-K>'"),
            (["--pretrain-checkpoint", "average-last-30"],
             "--pretrain-checkpoint average-last-30 averages more epochs than --pretrain-epochs runs (20)."),
            (["--fine-tune-checkpoint", "average-last-61"],
             "--fine-tune-checkpoint average-last-61 averages more epochs than --fine-tune-epochs runs (60)."),
            (["--compare-default-fine-tuning", "--fine-tune-checkpoint", "best"],
             "--compare-best-epoch compares with nothing here: (b) already keeps the best validation epoch."),
            (["--train-on-validation-labels", "--hold-out-validation-labels"],
             "--train-on-validation-labels and --hold-out-validation-labels contradict each other; give one."),
            (["--train-on-validation-labels", "--fine-tune-checkpoint", "best"],
             "--train-on-validation-labels needs --fine-tune-checkpoint last or average-last-K: with best, those children choose the epoch."),
            (["--train-on-validation-labels", "--fine-tune-checkpoint", "last", "--ensemble-select", "1"],
             "--train-on-validation-labels cannot be used with --ensemble-select, which chooses networks on those children."),
            (["--target-only-runs", "0"], "--target-only-runs must be from 1 to 10, not 0."),
            (["--target-only-runs", "3", "--skip-target-only"],
             "--target-only-runs applies to arm (a), which --skip-target-only leaves out; give one of them."),
            (["--interpolate-pretrained", "0.5", "--interpolate-pretrained", "1.5"],
             "--interpolate-pretrained takes a fraction from 0 (the pre-trained network) to 1 (the fine-tuned one), not 1.5."),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(["experiment", "transfer"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("help teaches each subcommand by example")
    func helpHasExamples() throws {
        for command in ["compose", "render", "analyze"] {
            let result = try CLI.run(["help", command])
            #expect(result.status == 0)
            #expect(result.stdout.contains("Examples:"))
            #expect(result.stdout.contains("emomusik \(command) "))
        }
    }
}
