import EmoMusikCore
import Foundation

/// Rendered audio: interleaved samples plus the loudness figures of the gain staging.
public struct RenderedAudio: Sendable, Equatable {
    public var sampleRate: Int
    /// Always 2 (stereo) from ``OfflineRenderer``.
    public var channels: Int
    /// Interleaved, `frames × channels` values, nominally -1...1.
    public var samples: [Float]
    public var frames: Int
    /// Highest absolute sample after gain staging, in dBFS (`-infinity` for silence).
    public var peakDBFS: Double
    /// Gain applied after rendering to keep the peak at or below the ceiling, in dB (0 or negative).
    public var appliedGainDB: Double

    /// `frames` is derived from `samples.count / channels`.
    public init(sampleRate: Int, channels: Int, samples: [Float], peakDBFS: Double, appliedGainDB: Double) {
        precondition(channels > 0 && samples.count % channels == 0, "samples must hold whole frames")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
        self.frames = samples.count / channels
        self.peakDBFS = peakDBFS
        self.appliedGainDB = appliedGainDB
    }

    /// Seconds of audio.
    public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// [control] Renders a ``Score`` to stereo audio with FluidSynth, faster than real time; use from
/// one thread at a time (the class is not `Sendable`; give each worker its own renderer).
///
/// Events are applied from our own loop on FluidSynth's 64-frame block grid (see ``EventSchedule``),
/// so renders are bit-identical: each render after the first uses a freshly created synth, and no
/// state (voices, reverb and chorus lines, LFO phases) leaks from one render into the next.
public final class OfflineRenderer {
    public let soundfontPath: String
    public let settings: RenderSettings
    /// Created in `init` (validating the SoundFont); consumed by the first render.
    private var freshEngine: FluidSynthEngine?
    /// Frames rendered per `fluid_synth_write_float` call at most when no event intervenes
    /// (a multiple of 64; bounds the progress-callback granularity, not the speed).
    static let maxChunkFrames = 8192
    /// Seconds of render work between progress calls, at least.
    static let progressInterval = Duration.milliseconds(50)

    /// Validates `settings` and loads the SoundFont.
    /// Throws `.invalidValue` for bad settings and `.soundfont` naming the file if it is not a
    /// loadable SoundFont.
    public init(soundfontPath: String, settings: RenderSettings = RenderSettings()) throws {
        try settings.validate()
        self.soundfontPath = soundfontPath
        self.settings = settings
        freshEngine = try FluidSynthEngine(soundfontPath: soundfontPath, settings: settings)
    }

    /// Renders `score` from tick 0 to its `endTick` plus ``RenderSettings/tailSeconds``, then scales
    /// the result down if its peak exceeds ``RenderSettings/ceilingDBFS`` (quiet audio is never boosted).
    ///
    /// - Parameter progress: called on the calling thread with the fraction done (0...1), at most
    ///   about 20 times per second of render work, and once with 1 at the end.
    public func render(_ score: Score, progress: ((Double) -> Void)? = nil) throws -> RenderedAudio {
        let engine = try freshEngine ?? FluidSynthEngine(soundfontPath: soundfontPath, settings: settings)
        freshEngine = nil
        let schedule = EventSchedule(score: score, sampleRate: settings.sampleRate)
        let totalFrames = Int(schedule.frameCount(tailSeconds: settings.tailSeconds))
        var samples = [Float](repeating: 0, count: totalFrames * 2)

        let clock = ContinuousClock()
        var lastReport = clock.now
        progress?(0)
        let ok = samples.withUnsafeMutableBufferPointer { output -> Bool in
            schedule.events.withUnsafeBufferPointer { events -> Bool in
                guard let base = output.baseAddress else { return true }  // zero frames
                var position = 0
                var index = 0
                while position < totalFrames {
                    while index < events.count && events[index].sampleTime <= Int64(position) {
                        engine.apply(events[index])
                        index += 1
                    }
                    var end = min(totalFrames, position + Self.maxChunkFrames)
                    if index < events.count { end = min(end, Int(events[index].sampleTime)) }
                    guard engine.write(into: base + 2 * position, frames: end - position) else { return false }
                    position = end
                    if let progress, clock.now - lastReport >= Self.progressInterval {
                        lastReport = clock.now
                        progress(Double(position) / Double(totalFrames))
                    }
                }
                return true
            }
        }
        guard ok else {
            throw EmoMusikError(.synth, "FluidSynth failed while rendering with SoundFont '\(soundfontPath)'")
        }
        let staged = Self.stage(&samples, ceilingDBFS: settings.ceilingDBFS)
        progress?(1)
        return RenderedAudio(
            sampleRate: settings.sampleRate, channels: 2, samples: samples, peakDBFS: staged.peakDBFS,
            appliedGainDB: staged.gainDB)
    }

    /// Measures the peak of `samples`; if it is above `ceilingDBFS`, scales everything so the peak
    /// lands on the ceiling (never above it after float rounding). Never boosts.
    static func stage(_ samples: inout [Float], ceilingDBFS: Double) -> (peakDBFS: Double, gainDB: Double) {
        let peak = samples.withUnsafeBufferPointer { buffer -> Float in
            var peak: Float = 0
            for x in buffer { peak = max(peak, abs(x)) }
            return peak
        }
        let ceiling = Float(pow(10, ceilingDBFS / 20))
        guard peak > ceiling else { return (decibels(Double(peak)), 0) }
        var gain = ceiling / peak
        // Rounding is monotonic, so the loudest sample after scaling is peak × gain: keep it ≤ ceiling.
        while peak * gain > ceiling { gain = gain.nextDown }
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] *= gain }
        }
        return (decibels(Double(peak * gain)), decibels(Double(gain)))
    }

    static func decibels(_ amplitude: Double) -> Double {
        amplitude > 0 ? 20 * log10(amplitude) : -.infinity
    }
}
