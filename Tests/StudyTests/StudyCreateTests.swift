import EmoMusikCore
import Foundation
import Studies
import Synth
import Testing

/// Renders small studies for real (FluidSynth, in parallel) and checks what raters could learn.
@Suite(.serialized) struct StudyCreateTests {
    static let yaml = """
        name: Small test study
        clip-length: 4s
        conditions:
          emotions: [happiness, sadness]
          strategies: [mirror]
          presets: [calm-down]
          seeds: [1, 2]
        raters: 3
        """

    @Test func createsBlindLoudnessMatchedClipsWithAManifestAndAKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(Self.yaml, to: directory + "/study.yaml")
        let design = try StudyDesign.load(path: directory + "/study.yaml", strategies: builtInStrategies, presetDirectory: presetDirectory)
        let out = directory + "/study"
        let progress = ProgressCounter()
        let result = try StudyBuilder.create(
            design: design, directory: out, registry: builtInRegistry(), defaultSoundfont: try testSoundfont(), workers: 2
        ) { done, total in progress.record(done, total) }
        let conditions = design.conditions
        #expect(conditions.count == 8)
        #expect(progress.seen == Array(1...8).map { [$0, 8] })

        // Clips: opaque ids, one file each, nothing else left behind.
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/clips").sorted()
        #expect(files.count == 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["clips", "key.csv", "manifest.json"])
        let ids = result.key.map(\.clipID)
        #expect(Set(ids).count == 8)
        #expect(files == ids.sorted().map { "\($0).wav" })
        let hex = Set("0123456789abcdef")
        for id in ids { #expect(id.count == 16 && id.allSatisfy { hex.contains($0) }, "\(id)") }
        // Ids do not sort by condition: the key lists clips in condition order, and that order is
        // not the order of their ids (1 chance in 8! of a false alarm).
        #expect(ids != ids.sorted() && ids != ids.sorted().reversed())

        // Same size, no metadata: only the fmt and data chunks, no software or condition text.
        let sizes = try files.map { try FileManager.default.attributesOfItem(atPath: out + "/clips/" + $0)[.size] as! Int }
        #expect(Set(sizes).count == 1)
        let frames = 4 * 44100
        #expect(sizes[0] == 44 + frames * 4)
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/clips/" + file))
            #expect(riffChunks(data) == ["fmt ", "data"])
            for word in ["libsndfile", "sndfile", "emomusik", "mirror", "calm", "happiness", "sadness", "seed", "LIST", "INFO"] {
                #expect(data.range(of: Data(word.utf8)) == nil, "\(file) contains \(word)")
            }
        }

        // Loudness: every clip within 0.5 LU of the common target; no peak above -1 dBFS.
        #expect(result.targetLUFS <= -23)
        let before = result.key.map(\.loudnessBeforeLUFS)
        #expect(before.max()! - before.min()! > 1, "the conditions should differ in loudness before matching: \(before)")
        for entry in result.key {
            let audio = try AudioFileReader.read(path: "\(out)/clips/\(entry.clipID).wav")
            #expect(audio.frames == frames && audio.channels == 2 && audio.sampleRate == 44100)
            let loudness = LoudnessMeter.integratedLoudness(samples: audio.samples, channels: 2, sampleRate: 44100)
            #expect(abs(loudness - result.targetLUFS) < 0.5, "\(entry.clipID): \(loudness) LUFS vs target \(result.targetLUFS)")
            #expect(LoudnessMeter.samplePeakDBFS(audio.samples) <= -1, "\(entry.clipID) peaks above -1 dBFS")
            #expect(abs(entry.gainDB - (result.targetLUFS - entry.loudnessBeforeLUFS)) < 1e-9)
        }

        // The manifest: exactly the documented fields, nothing about conditions.
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        #expect(Set(manifest.keys) == ["format", "study", "scale", "emotions", "clips", "raters", "adminToken"])
        // It passes the rating server's checks (one manifest type serves both sides).
        #expect(throws: Never.self) { try StudyManifest.load(directory: out).validate() }
        #expect(manifest["format"] as? Int == 1 && manifest["study"] as? String == "Small test study")
        #expect(manifest["emotions"] as? [String] == Emotion.allCases.map(\.rawValue))
        let scale = try #require(manifest["scale"] as? [String: Int])
        #expect(scale == ["min": 1, "max": 7])
        let clips = try #require(manifest["clips"] as? [[String: Any]])
        #expect(clips.map { Set($0.keys) } == Array(repeating: ["id", "file", "seconds"], count: 8))
        #expect(clips.map { $0["id"] as! String } == ids.sorted())
        #expect(clips.allSatisfy { $0["file"] as! String == "clips/\($0["id"] as! String).wav" && $0["seconds"] as! Double == 4 })
        let raters = try #require(manifest["raters"] as? [[String: String]])
        #expect(raters.map { $0["id"]! } == ["r01", "r02", "r03"])
        let tokens = raters.map { $0["token"]! } + [manifest["adminToken"] as! String]
        #expect(Set(tokens).count == 4)
        for token in tokens { #expect(token.count == 32 && token.allSatisfy { hex.contains($0) }) }
        let manifestText = String(decoding: manifestData, as: UTF8.self)
        for word in ["mirror", "calm", "iso-principle", "seed", "strategy", "preset", "loudness", "gain"] {
            #expect(!manifestText.contains(word), "the manifest mentions \(word)")
        }

        // The key maps every clip to its condition.
        let key = try StudyKey.load(directory: out)
        #expect(key.map(\.clipID) == result.key.map(\.clipID))
        for (read, made) in zip(key, result.key) {
            #expect(read.intended == made.intended && read.strategy == made.strategy && read.preset == made.preset && read.seed == made.seed)
            #expect(abs(read.loudnessBeforeLUFS - made.loudnessBeforeLUFS) <= 0.0005 && abs(read.gainDB - made.gainDB) <= 0.0005)
        }
        let keyText = try String(contentsOfFile: out + "/key.csv", encoding: .utf8)
        #expect(keyText.hasPrefix("clip_id,intended_emotion,strategy,preset,seed,loudness_before_lufs,gain_db\n"))
        #expect(Set(key.map(\.clipID)) == Set(clips.map { $0["id"] as! String }))
        let described = Set(key.map { "\($0.intended) \($0.strategy) \($0.preset) \($0.seed)" })
        let designed = Set(conditions.map { "\($0.emotion) \($0.arm.strategyID) \($0.arm.presetName) \($0.seed)" })
        #expect(described == designed)
        #expect(key.filter { $0.preset == "calm-down" }.allSatisfy { $0.strategy == "iso-principle" })

        // A clip is its condition's render, scaled: re-render one and compare.
        let entry = key[5]
        let condition = try #require(conditions.first { "\($0.emotion) \($0.arm.strategyID) \($0.arm.presetName) \($0.seed)" == "\(entry.intended) \(entry.strategy) \(entry.preset) \(entry.seed)" })
        let again = try StudyBuilder.renderClip(condition, design: design, registry: builtInRegistry(), soundfont: try testSoundfont())
        #expect(abs(LoudnessMeter.integratedLoudness(samples: again, channels: 2, sampleRate: 44100) - entry.loudnessBeforeLUFS) < 0.001)
        let written = try AudioFileReader.read(path: "\(out)/clips/\(entry.clipID).wav").samples
        let gain = Float(pow(10, entry.gainDB / 20))
        let worst = zip(again, written).map { abs($0 * gain - $1) }.max()!
        #expect(worst < 3.0 / 32768, "the file differs from its condition's render by \(worst)")

        // An existing study is never overwritten.
        #expect(throws: EmoMusikError.self) {
            try StudyBuilder.create(design: design, directory: out, registry: builtInRegistry(), defaultSoundfont: try testSoundfont())
        }
    }

    /// One worker or two, the same conditions give the same audio (each render has its own synth).
    @Test func parallelRenderingMatchesOneWorker() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let design = try StudyDesign.parse(
            yaml: "name: p\nclip-length: 2\nconditions: {emotions: [anger, fear], strategies: [iso-principle], seeds: [4, 5]}\nraters: 1\nsample-rate: 48000\n",
            file: directory + "/p.yaml", strategies: builtInStrategies)
        var runs: [[String: [Float]]] = []
        for workers in [1, 2] {
            let out = directory + "/w\(workers)"
            let result = try StudyBuilder.create(
                design: design, directory: out, registry: builtInRegistry(), defaultSoundfont: try testSoundfont(), workers: workers)
            #expect(result.workers == workers)
            var byCondition: [String: [Float]] = [:]
            for entry in result.key {
                let audio = try AudioFileReader.read(path: "\(out)/clips/\(entry.clipID).wav")
                #expect(audio.sampleRate == 48000 && audio.frames == 96000)
                byCondition["\(entry.intended) \(entry.seed)"] = audio.samples
            }
            runs.append(byCondition)
        }
        #expect(runs[0].count == 4)
        #expect(runs[0] == runs[1])
    }

    @Test func idsAndTokensAreRandomHex() {
        let ids = StudySecrets.clipIDs(2000)
        #expect(Set(ids).count == 2000)
        // Each hex digit appears about equally often at the first position (a weak check of uniformity).
        var counts: [Character: Int] = [:]
        for id in ids { counts[id.first!, default: 0] += 1 }
        #expect(counts.count == 16 && counts.values.allSatisfy { $0 > 60 && $0 < 200 }, "\(counts)")
        let token = StudySecrets.token()
        #expect(token.count == 32 && token == token.lowercased() && UInt64(token.prefix(16), radix: 16) != nil)
    }
}

/// Progress calls from worker threads, in order of arrival.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[Int]] = []
    func record(_ done: Int, _ total: Int) {
        lock.lock()
        calls.append([done, total])
        lock.unlock()
    }
    var seen: [[Int]] {
        lock.lock()
        defer { lock.unlock() }
        return calls.sorted { $0[0] < $1[0] }
    }
}
