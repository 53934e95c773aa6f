import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Testing

@Suite("On-disk dataset")
struct DatasetTests {
    @Test func synthWriteLoadRoundTripGivesTheSameSequences() throws {
        let dir = temporaryDirectory()
        defer { cleanUp(dir) }
        let dataset = SyntheticExpressions(domain: .child, frames: 20).generate(count: 15, seed: 4)
        var progress: [Int] = []
        try dataset.write(to: dir) { done, total in
            #expect(total == 15)
            progress.append(done)
        }
        #expect(progress == Array(1...15))
        let index = try String(contentsOfFile: dir + "/labels.csv", encoding: .utf8).split(separator: "\n")
        #expect(index[0] == "file,emotion,subject,domain")
        #expect(index.count == 16)
        #expect(index[1].hasPrefix("child-00001.csv,"))
        #expect(index[1].hasSuffix(",child-s001,child"))
        let loaded = try LandmarkDataset.load(directory: dir)
        #expect(loaded == dataset)
        #expect(loaded.samples.contains { $0.sequence.frames.contains(where: \.isMissing) })
    }

    @Test func loadErrorsNameTheFile() throws {
        let dir = temporaryDirectory()
        defer { cleanUp(dir) }
        try SyntheticExpressions(domain: .posedAdult, frames: 10).generate(count: 3, seed: 1).write(to: dir)
        let broken = dir + "/posed-adult-00002.csv"
        let text = try String(contentsOfFile: broken, encoding: .utf8)
        try String(text.dropLast(200)).write(toFile: broken, atomically: true, encoding: .utf8)
        let error = landmarkError { _ = try LandmarkDataset.load(directory: dir) }
        #expect(error?.location?.file == broken)
        #expect(error?.location?.line == 11)
        #expect(error?.message.hasPrefix("truncated file: the last row has ") == true)

        try text.write(toFile: broken, atomically: true, encoding: .utf8)
        let index = try String(contentsOfFile: dir + "/labels.csv", encoding: .utf8)
        let lines = index.split(separator: "\n").map { line -> String in
            line.hasPrefix("posed-adult-00003.csv") ? "posed-adult-00003.csv,happyness,adult-s001,posed-adult" : String(line)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        let labelError = landmarkError { _ = try LandmarkDataset.load(directory: dir) }
        #expect(labelError?.description.hasPrefix("\(dir)/labels.csv:4:23 (emotion): unknown emotion 'happyness'\n  hint: did you mean 'happiness'?") == true)

        let missing = landmarkError { _ = try LandmarkDataset.load(directory: dir + "/nowhere") }
        #expect(missing?.message == "no labels.csv in \(dir)/nowhere")
    }

    @Test func splitBySubjectNeverSharesASubject() {
        let dataset = SyntheticExpressions(domain: .posedAdult, frames: 8).generate(count: 70, seed: 8)
        #expect(dataset.subjects.count == 10)
        for seed in UInt64(0)..<5 {
            let (train, test) = dataset.split(byFraction: 0.7, seed: seed)
            #expect(Set(train.subjects).isDisjoint(with: Set(test.subjects)))
            #expect(train.subjects.count == 7 && test.subjects.count == 3)
            #expect(train.samples.count + test.samples.count == 70)
            #expect(Set(train.samples.map(\.id)).union(test.samples.map(\.id)) == Set(dataset.samples.map(\.id)))
        }
        #expect(dataset.split(byFraction: 0.7, seed: 1).train == dataset.split(byFraction: 0.7, seed: 1).train)
        #expect(dataset.split(byFraction: 0.5, seed: 1).train != dataset.split(byFraction: 0.5, seed: 2).train)
        // Extreme fractions still leave a subject on each side.
        #expect(dataset.split(byFraction: 0.01, seed: 3).train.subjects.count == 1)
        #expect(dataset.split(byFraction: 0.99, seed: 3).test.subjects.count == 1)
    }
}
