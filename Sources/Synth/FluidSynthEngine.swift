import CFluidSynth
import EmoMusikCore
import Foundation

/// Owns one FluidSynth `fluid_settings_t` and `fluid_synth_t` with a loaded SoundFont; frees both
/// in `deinit`. No audio driver is created.
///
/// [control] Create and destroy on a control thread. ``apply(_:)`` and ``write(into:frames:)`` may
/// then be called from one thread at a time only (the audio thread in a live session): FluidSynth
/// is configured without its API mutex (`synth.threadsafe-api` 0).
final class FluidSynthEngine {
    private let settingsHandle: OpaquePointer
    private let synth: OpaquePointer
    let sampleRate: Int

    /// Creates a synth for `settings` and loads `soundfontPath`.
    /// Throws `.soundfont` naming the file if it is not a SoundFont or fails to load.
    init(soundfontPath: String, settings: RenderSettings) throws {
        Self.logSilenced
        Self.libraryInitialised
        try SoundfontFile.checkStructure(soundfontPath)
        guard let settingsHandle = new_fluid_settings() else {
            throw EmoMusikError(.synth, "FluidSynth could not allocate its settings", hint: "the machine may be out of memory")
        }
        self.settingsHandle = settingsHandle
        sampleRate = settings.sampleRate
        fluid_settings_setnum(settingsHandle, "synth.sample-rate", Double(settings.sampleRate))
        fluid_settings_setint(settingsHandle, "synth.cpu-cores", 1)
        fluid_settings_setint(settingsHandle, "synth.threadsafe-api", 0)
        fluid_settings_setnum(settingsHandle, "synth.gain", settings.gain)
        fluid_settings_setint(settingsHandle, "synth.polyphony", Int32(settings.polyphony))
        fluid_settings_setint(settingsHandle, "synth.reverb.active", settings.reverb ? 1 : 0)
        fluid_settings_setnum(settingsHandle, "synth.reverb.room-size", settings.reverbRoomSize)
        fluid_settings_setnum(settingsHandle, "synth.reverb.level", settings.reverbLevel)
        fluid_settings_setint(settingsHandle, "synth.chorus.active", settings.chorus ? 1 : 0)
        guard let synth = new_fluid_synth(settingsHandle) else {
            delete_fluid_settings(settingsHandle)
            throw EmoMusikError(.synth, "FluidSynth could not create a synthesiser at \(settings.sampleRate) Hz")
        }
        self.synth = synth
        // From here on deinit frees both handles if loading throws.
        let loaded = Self.withGlibMessagesSilenced { fluid_synth_sfload(synth, soundfontPath, 1) }
        guard loaded != FLUID_FAILED else {
            throw EmoMusikError(
                .soundfont, "SoundFont '\(soundfontPath)' could not be loaded (corrupt, truncated or unreadable)",
                hint: "check the file, or use another with --soundfont; " + SoundfontLocator.installHint)
        }
    }

    deinit {
        delete_fluid_synth(synth)
        delete_fluid_settings(settingsHandle)
    }

    /// Sends one event to the synth; it takes effect at the start of the next rendered block.
    @inline(__always)
    func apply(_ event: ScheduledEvent) {
        let channel = Int32(event.channel)
        switch event.kind {
        case .noteOn: fluid_synth_noteon(synth, channel, Int32(event.data1), Int32(event.data2))
        case .noteOff: fluid_synth_noteoff(synth, channel, Int32(event.data1))
        case .controlChange: fluid_synth_cc(synth, channel, Int32(event.data1), Int32(event.data2))
        case .programChange: fluid_synth_program_change(synth, channel, Int32(event.data1))
        }
    }

    /// Renders `frames` (a multiple of 64 to stay on the block grid) into interleaved stereo at
    /// `buffer`. Returns false if FluidSynth refuses.
    @inline(__always)
    func write(into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Bool {
        fluid_synth_write_float(synth, Int32(frames), buffer, 0, 2, buffer, 1, 2) == FLUID_OK
    }

    /// Runs `body` with glib's messages for the default (unnamed) log domain discarded.
    ///
    /// When FluidSynth's SoundFont loader refuses a file, Debian's build hands it to libinstpatch's
    /// DLS loader, which reports through glib (`** CRITICAL **` lines on stderr) rather than
    /// FluidSynth's log. glib is already loaded as FluidSynth's dependency; its handler functions are
    /// looked up at run time (no glib module is imported), and the handler is removed afterwards.
    /// If glib is not present the body just runs.
    static func withGlibMessagesSilenced<T>(_ body: () -> T) -> T {
        typealias LogFunction = @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void
        typealias SetHandler = @convention(c) (UnsafePointer<CChar>?, Int32, LogFunction?, UnsafeMutableRawPointer?) -> UInt32
        typealias RemoveHandler = @convention(c) (UnsafePointer<CChar>?, UInt32) -> Void
        // RTLD_DEFAULT is the null handle on glibc: search every loaded library.
        guard let setSymbol = dlsym(nil, "g_log_set_handler"), let removeSymbol = dlsym(nil, "g_log_remove_handler") else {
            return body()
        }
        let setHandler = unsafeBitCast(setSymbol, to: SetHandler.self)
        let removeHandler = unsafeBitCast(removeSymbol, to: RemoveHandler.self)
        // G_LOG_LEVEL_CRITICAL | WARNING | MESSAGE | INFO | DEBUG (errors stay fatal in glib anyway).
        let levels: Int32 = 0xF8
        let discard: LogFunction = { _, _, _, _ in }
        let id = setHandler(nil, levels, discard, nil)
        defer { removeHandler(nil, id) }
        return body()
    }

    /// Creates and frees one synth before any other, exactly once, with other threads waiting.
    ///
    /// `new_fluid_synth` fills FluidSynth's process-wide tables (interpolation coefficients,
    /// conversions) on first use behind an atomic flag only: a second synth created on another
    /// thread meanwhile can render its first samples from half-filled tables (seen as live and
    /// offline renders differing in the first frames when tests create synths in parallel).
    /// A Swift `static let` runs its initialiser once and blocks concurrent readers until done.
    static let libraryInitialised: Void = {
        guard let settings = new_fluid_settings() else { return }
        if let synth = new_fluid_synth(settings) { delete_fluid_synth(synth) }
        delete_fluid_settings(settings)
    }()

    /// Turns off FluidSynth's own logging (it prints to stderr) so the CLI's output is ours alone.
    /// FluidSynth's log configuration is process-wide; this runs once, thread-safely, on first use.
    static let logSilenced: Void = {
        for level in 0..<Int32(LAST_LOG_LEVEL.rawValue) {
            _ = fluid_set_log_function(level, nil, nil)
        }
    }()
}
