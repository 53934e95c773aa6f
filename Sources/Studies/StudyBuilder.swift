import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Synth

/// A rendered clip before normalisation: its condition, and its loudness and peak as rendered.
public struct RenderedClip: Sendable {
    public var condition: StudyCondition
    public var loudnessLUFS: Double
    public var peakDBFS: Double
}

/// What `study create` did.
public struct StudyBuildResult: Sendable {
    public var directory: String
    public var manifest: StudyManifest
    public var key: [StudyKeyEntry]
    /// The loudness every clip was normalised to.
    public var targetLUFS: Double
    /// Why the target is what it is (the design's target, or lowered to keep peaks under −1 dBFS).
    public var targetReason: String
    /// Wall-clock seconds spent rendering (all workers) and in total.
    public var renderSeconds: Double
    public var totalSeconds: Double
    public var workers: Int
}

/// Renders a study's clips in parallel, normalises their loudness, and writes the clips, the
/// manifest and the key.
public enum StudyBuilder {
    /// The 16-bit PCM WAV every clip is written as (same format, same length: same byte size).
    public static let sampleFormat = AudioSampleFormat.pcm16
    /// Seconds of fade-out at the end of every clip, so that trimming never ends on a click.
    public static let fadeOutSeconds = 0.25
    /// Margin below the peak ceiling that absorbs 16-bit rounding.
    static let peakMarginDB = 0.01

    /// Renders every condition of `design` into `directory` (created; it must not already hold a study).
    ///
    /// - Parameters:
    ///   - registry: where strategies come from (the host passes its plugin registry).
    ///   - defaultSoundfont: used when neither the study nor an arm's preset names one.
    ///   - workers: renders at once (one FluidSynth synth each); default all cores.
    ///   - progress: called from worker threads with (clips done, clips in all) after each render.
    public static func create(
        design: StudyDesign, directory: String, registry: PluginRegistry, defaultSoundfont: String?,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> StudyBuildResult {
        let clock = ContinuousClock()
        let start = clock.now
        let conditions = design.conditions
        guard !conditions.isEmpty else {
            throw EmoMusikError(.invalidValue, "the study '\(design.file)' has no conditions")
        }
        try prepare(directory: directory)
        let scratch = (directory as NSString).appendingPathComponent(".render")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // Every soundfont resolved up front, so a missing one fails before any render.
        let soundfonts = try conditions.map { condition -> String in
            if let soundfont = design.soundfont { return soundfont }
            if case .preset(_, let path, let preset) = condition.arm, let own = preset.soundfont {
                return own.hasPrefix("/") ? own : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(own).path
            }
            guard let defaultSoundfont else {
                throw EmoMusikError(.soundfont, "no soundfont for \(condition)", hint: SoundfontLocator.installHint)
            }
            return defaultSoundfont
        }

        // Pass 1: render, trim to length, measure (in parallel); keep the float audio on disk.
        let workerCount = max(1, min(workers, conditions.count))
        let results = ParallelResults<RenderedClip>(count: conditions.count)
        let renderStart = clock.now
        DispatchQueue.concurrentPerform(iterations: workerCount) { _ in
            while let index = results.claim() {
                do {
                    let samples = try renderClip(conditions[index], design: design, registry: registry, soundfont: soundfonts[index])
                    let clip = RenderedClip(
                        condition: conditions[index],
                        loudnessLUFS: LoudnessMeter.integratedLoudness(samples: samples, channels: 2, sampleRate: design.sampleRate),
                        peakDBFS: LoudnessMeter.samplePeakDBFS(samples))
                    try AudioFileWriter.write(
                        samples: samples, sampleRate: design.sampleRate, channels: 2,
                        to: (scratch as NSString).appendingPathComponent("\(index).wav"), container: .wav, sampleFormat: .float32)
                    let done = results.finish(index, with: clip)
                    progress?(done, conditions.count)
                } catch {
                    results.fail(index, with: error)
                }
            }
        }
        let rendered = try results.values()
        let renderSeconds = seconds(clock.now - renderStart)

        // The common target: the design's, lowered if some clip would otherwise peak above the ceiling.
        for clip in rendered where !clip.loudnessLUFS.isFinite {
            throw EmoMusikError(
                .synth, "the clip for \(clip.condition) is silent, so its loudness cannot be matched",
                hint: "check the soundfont and the preset's instruments")
        }
        let ceiling = StudyDesign.peakCeilingDBFS - peakMarginDB
        let highestSafe = rendered.map { $0.loudnessLUFS + ceiling - $0.peakDBFS }.min()!
        let target = min(design.loudnessTarget, highestSafe)
        let reason = target < design.loudnessTarget
            ? String(format: "lowered from %.1f LUFS so that no clip peaks above %.0f dBFS", design.loudnessTarget, StudyDesign.peakCeilingDBFS)
            : "the study's target"

        // Pass 2: opaque ids, gain, final files written in id order (their times say nothing either).
        let ids = StudySecrets.clipIDs(conditions.count)
        let clipsDirectory = (directory as NSString).appendingPathComponent("clips")
        try FileManager.default.createDirectory(atPath: clipsDirectory, withIntermediateDirectories: true)
        let frames = frameCount(design)
        for index in ids.indices.sorted(by: { ids[$0] < ids[$1] }) {
            let scratchFile = (scratch as NSString).appendingPathComponent("\(index).wav")
            var samples = try AudioFileReader.read(path: scratchFile).samples
            precondition(samples.count == frames * 2, "a clip must be exactly the clip length")
            let gain = Float(pow(10, (target - rendered[index].loudnessLUFS) / 20))
            for i in samples.indices { samples[i] *= gain }
            try AudioFileWriter.write(
                samples: samples, sampleRate: design.sampleRate, channels: 2,
                to: (clipsDirectory as NSString).appendingPathComponent("\(ids[index]).wav"), container: .wav,
                sampleFormat: sampleFormat)
            try FileManager.default.removeItem(atPath: scratchFile)
        }

        let key = conditions.indices.map { i in
            StudyKeyEntry(
                clipID: ids[i], intended: conditions[i].emotion, strategy: conditions[i].arm.strategyID,
                preset: conditions[i].arm.presetName, seed: conditions[i].seed,
                loudnessBeforeLUFS: rendered[i].loudnessLUFS, gainDB: target - rendered[i].loudnessLUFS)
        }
        let width = max(2, String(design.raters).count)
        let manifest = StudyManifest(
            format: StudyManifest.currentFormat, study: design.name,
            scale: .init(min: design.scale.lowerBound, max: design.scale.upperBound),
            emotions: Emotion.allCases.map(\.rawValue),
            clips: ids.sorted().map { .init(id: $0, file: "clips/\($0).wav", seconds: design.clipSeconds) },
            raters: (1...design.raters).map { n in
                .init(id: "r" + String(repeating: "0", count: width - String(n).count) + String(n), token: StudySecrets.token())
            },
            adminToken: StudySecrets.token())
        // The key first, the manifest last: a manifest means the study is complete.
        try write(Data(StudyKey.csv(key).utf8), to: (directory as NSString).appendingPathComponent(StudyKey.fileName))
        try write(try manifest.jsonData(), to: (directory as NSString).appendingPathComponent(StudyManifest.fileName))
        return StudyBuildResult(
            directory: directory, manifest: manifest, key: key, targetLUFS: target, targetReason: reason,
            renderSeconds: renderSeconds, totalSeconds: seconds(clock.now - start), workers: workerCount)
    }

    /// Frames in every clip.
    public static func frameCount(_ design: StudyDesign) -> Int {
        Int((design.clipSeconds * Double(design.sampleRate)).rounded())
    }

    /// One clip exactly as `emomusik render --timeline CHILD --strategy ID` (or `--preset NAME`)
    /// renders it, where CHILD holds the intended emotion from 0 to the clip length; then padded
    /// or trimmed to the clip length with a short fade-out. Interleaved stereo floats.
    public static func renderClip(
        _ condition: StudyCondition, design: StudyDesign, registry: PluginRegistry, soundfont: String
    ) throws -> [Float] {
        let emotion = condition.emotion
        let child = try AffectTimeline(keyframes: [
            .init(time: 0, affect: emotion.affect, emotion: emotion),
            .init(time: design.clipSeconds, affect: emotion.affect, emotion: emotion),
        ])
        var settings = RenderSettings(sampleRate: design.sampleRate)
        let configuration: ComposerConfiguration
        let options: [String: PluginOptionValue]
        let goal: SessionGoal
        var preset: Preset?
        switch condition.arm {
        case .strategy:
            configuration = ComposerConfiguration(seed: condition.seed)
            options = [:]
            goal = SessionGoal(target: .neutral)
        case .preset(_, _, let chosen):
            preset = chosen
            configuration = chosen.composerConfiguration(seed: condition.seed)
            options = chosen.strategy.options
            goal = chosen.goal
            settings.ceilingDBFS = min(settings.ceilingDBFS, chosen.safety.maxLevelDBFS)
        }
        let strategy = try registry.makeStrategy(id: condition.arm.strategyID, options: options)
        let decisions = OfflineSession().decisions(following: child, strategy: strategy, goal: goal)
        var composition = Composer(configuration: configuration).compose(
            targets: OfflineSession.targets(for: decisions, duration: child.duration))
        if let preset { composition.score = preset.enforce(composition).score }
        let rendered = try OfflineRenderer(soundfontPath: soundfont, settings: settings).render(composition.score)
        return fitted(rendered.samples, frames: frameCount(design), sampleRate: design.sampleRate)
    }

    /// Stereo `samples` padded with silence or cut to exactly `frames`, with a raised-cosine
    /// fade over the last ``fadeOutSeconds``.
    static func fitted(_ samples: [Float], frames: Int, sampleRate: Int) -> [Float] {
        var out = Array(samples.prefix(frames * 2))
        if out.count < frames * 2 { out += [Float](repeating: 0, count: frames * 2 - out.count) }
        let fade = min(frames, Int(fadeOutSeconds * Double(sampleRate)))
        for i in 0..<fade {
            let frame = frames - fade + i
            let gain = Float(0.5 * (1 + cos(Double.pi * Double(i + 1) / Double(fade))))
            out[2 * frame] *= gain
            out[2 * frame + 1] *= gain
        }
        return out
    }

    /// Refuses a directory that already holds a study (its key would be lost), else creates it.
    static func prepare(directory: String) throws {
        let fm = FileManager.default
        for name in [StudyManifest.fileName, StudyKey.fileName, "clips"] {
            let path = (directory as NSString).appendingPathComponent(name)
            if fm.fileExists(atPath: path) {
                throw EmoMusikError(
                    .writeFailed, "'\(directory)' already holds a study ('\(path)' exists)",
                    hint: "choose a new --out directory; an existing study's key is never overwritten")
            }
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EmoMusikError(.writeFailed, "cannot create '\(directory)'", hint: "choose another --out directory")
        }
    }

    static func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EmoMusikError(.writeFailed, "cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// Work items claimed by index from several threads, with their results or the first error.
final class ParallelResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private var results: [Value?]
    private var error: (any Error)?

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// The next unclaimed index, or nil when all are claimed or a task has failed.
    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < results.count else { return nil }
        next += 1
        return next - 1
    }

    /// Stores a result; returns how many are done.
    func finish(_ index: Int, with value: Value) -> Int {
        lock.lock()
        defer { lock.unlock() }
        results[index] = value
        done += 1
        return done
    }

    func fail(_ index: Int, with error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }

    /// Every result in order, or the first error.
    func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        if let error { throw error }
        return results.map { $0! }
    }
}
