import CALSA
import EmoMusikCore
import Glibc
import Synchronization

extension EmoMusikError.Code {
    /// The live audio output (an ALSA device) could not be opened or configured.
    public static let audioOutput = EmoMusikError.Code(rawValue: "audio-output")
}

/// Plays periods on an ALSA PCM device with blocking, interleaved `snd_pcm_writei`.
///
/// [control] `init`, `prepare` (opens and configures the device: access, format, channels,
/// rate, period and buffer size), `close` and the statistics; [audio] `write` only. An underrun
/// (`-EPIPE`) or suspend (`-ESTRPIPE`) is counted and recovered with `snd_pcm_recover`, and the
/// period is written again; any other error is reported as ``SinkWriteResult/failed(code:)``.
///
/// ALSA's `null` device accepts audio without pacing it: a loop writing to it spins a core.
public final class ALSASink: AudioSink, @unchecked Sendable {
    /// How samples reach the device.
    public enum SampleFormat: String, Sendable, CaseIterable {
        /// 32-bit float, little-endian (the engine's own format; no conversion).
        case float32
        /// 16-bit signed integer, little-endian; converted with clipping in `write`.
        case int16
    }

    public let device: String
    public let format: SampleFormat
    /// Requested period and buffer size in frames (ALSA may pick the nearest it supports; see
    /// ``negotiated``). A nil period follows the engine's period; a nil buffer is two periods.
    public let requestedPeriodFrames: Int?
    public let requestedBufferFrames: Int?

    private var pcm: OpaquePointer?
    private var channels = 2
    private var conversion: UnsafeMutablePointer<Int16>?
    private var conversionCapacity = 0
    private var periodFrames = 0
    private var bufferFrames = 0
    private var rate = 0
    private let underruns = Atomic<Int>(0)
    private let periods = Atomic<Int>(0)

    public init(device: String = "default", format: SampleFormat = .float32, periodFrames: Int? = nil, bufferFrames: Int? = nil) {
        self.device = device
        self.format = format
        requestedPeriodFrames = periodFrames
        requestedBufferFrames = bufferFrames
    }

    deinit {
        close()
    }

    /// What the device agreed to after `prepare`: rate, period and buffer in frames.
    public var negotiated: (sampleRate: Int, periodFrames: Int, bufferFrames: Int) { (rate, periodFrames, bufferFrames) }

    /// Periods written and underruns recovered so far.
    public var statistics: (periods: Int, underruns: Int) {
        (periods.load(ordering: .relaxed), underruns.load(ordering: .relaxed))
    }

    public var outputLatencyFrames: Int { max(bufferFrames - periodFrames, 0) }

    public func prepare(sampleRate: Int, channels: Int, periodFrames enginePeriod: Int) throws {
        close()
        self.channels = channels
        var handle: OpaquePointer?
        var status = snd_pcm_open(&handle, device, SND_PCM_STREAM_PLAYBACK, 0)
        guard status >= 0, let handle else {
            throw failure("could not open ALSA device '\(device)'", status,
                          hint: "list devices with `aplay -L`; on a machine without a sound card use --device null")
        }
        pcm = handle
        var hardware: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hardware) >= 0, let hardware else {
            close()
            throw EmoMusikError(.audioOutput, "could not allocate ALSA hardware parameters")
        }
        defer { snd_pcm_hw_params_free(hardware) }
        var rateValue = UInt32(sampleRate)
        var direction: Int32 = 0
        var period = snd_pcm_uframes_t(requestedPeriodFrames ?? enginePeriod)
        var buffer = snd_pcm_uframes_t(requestedBufferFrames ?? 2 * Int(period))
        let alsaFormat = format == .float32 ? SND_PCM_FORMAT_FLOAT_LE : SND_PCM_FORMAT_S16_LE
        let steps: [(String, () -> Int32)] = [
            ("read the device's configuration space", { snd_pcm_hw_params_any(handle, hardware) }),
            ("select interleaved read/write access", { snd_pcm_hw_params_set_access(handle, hardware, SND_PCM_ACCESS_RW_INTERLEAVED) }),
            ("select sample format \(format.rawValue)", { snd_pcm_hw_params_set_format(handle, hardware, alsaFormat) }),
            ("select \(channels) channels", { snd_pcm_hw_params_set_channels(handle, hardware, UInt32(channels)) }),
            ("select \(sampleRate) Hz", { snd_pcm_hw_params_set_rate_near(handle, hardware, &rateValue, &direction) }),
            ("select a period of \(period) frames", { snd_pcm_hw_params_set_period_size_near(handle, hardware, &period, &direction) }),
            ("select a buffer of \(buffer) frames", { snd_pcm_hw_params_set_buffer_size_near(handle, hardware, &buffer) }),
            ("apply the hardware parameters", { snd_pcm_hw_params(handle, hardware) }),
            ("prepare the device", { snd_pcm_prepare(handle) }),
        ]
        for (what, step) in steps {
            status = step()
            guard status >= 0 else {
                close()
                throw failure("ALSA device '\(device)' could not \(what)", status,
                              hint: "try another --period, --buffer or --format, or another device")
            }
        }
        guard Int(rateValue) == sampleRate else {
            close()
            throw EmoMusikError(.audioOutput, "ALSA device '\(device)' runs at \(rateValue) Hz, not \(sampleRate) Hz",
                                hint: "use --sample-rate \(rateValue), or the `plug`/`default` device which resamples")
        }
        rate = Int(rateValue)
        periodFrames = Int(period)
        bufferFrames = Int(buffer)
        if format == .int16 {
            conversionCapacity = enginePeriod * channels
            conversion = .allocate(capacity: conversionCapacity)
        }
        underruns.store(0, ordering: .relaxed)
        periods.store(0, ordering: .relaxed)
    }

    public func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
        guard let pcm, let source = buffer.baseAddress else { return .failed(code: -EBADF) }
        var data = UnsafeRawPointer(source)
        if format == .int16, let conversion {
            let count = min(frames * channels, conversionCapacity)
            for index in 0..<count {
                let scaled = source[index] * 32767
                conversion[index] = Int16(max(-32768, min(32767, scaled.isNaN ? 0 : scaled.rounded())))
            }
            data = UnsafeRawPointer(conversion)
        }
        let bytesPerFrame = channels * (format == .float32 ? 4 : 2)
        var written = 0
        var result = SinkWriteResult.written
        while written < frames {
            let count = snd_pcm_writei(pcm, data + written * bytesPerFrame, snd_pcm_uframes_t(frames - written))
            if count >= 0 {
                written += count
                continue
            }
            let error = Int32(count)
            if error == -EAGAIN { continue }
            if error == -EPIPE || error == -ESTRPIPE || error == -EINTR {
                if error != -EINTR {
                    underruns.wrappingAdd(1, ordering: .relaxed)
                    result = .underrun(lateNanoseconds: 0)
                }
                if snd_pcm_recover(pcm, error, 1) >= 0 { continue }
            }
            return .failed(code: error)
        }
        periods.wrappingAdd(1, ordering: .relaxed)
        return result
    }

    /// [control] Drops pending audio and closes the device; safe to call more than once.
    public func close() {
        if let pcm {
            snd_pcm_drop(pcm)
            snd_pcm_close(pcm)
            self.pcm = nil
        }
        conversion?.deallocate()
        conversion = nil
    }

    private func failure(_ message: String, _ status: Int32, hint: String) -> EmoMusikError {
        let reason = snd_strerror(status).map { String(cString: $0) } ?? "error \(status)"
        return EmoMusikError(.audioOutput, "\(message): \(reason)", hint: hint)
    }
}
