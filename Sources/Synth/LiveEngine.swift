import Dispatch
import EmoMusikCore
import Foundation
import Synchronization

/// Renders FluidSynth live, period by period, on its own audio thread, into an ``AudioSink``.
///
/// Threading contract:
/// - [control] `init`, ``start()``, ``stop(fadeSeconds:)``, ``waitUntilFinished()`` and the
///   statistics, from one control thread (or serialised by the caller).
/// - [control, single producer] ``schedule(_:)`` and ``schedule(score:startingAt:)``: exactly one
///   thread at a time pushes events (the composer / session task).
/// - [audio] The engine's own thread, created once by ``start()``, is the only thread that touches
///   FluidSynth after `start()` and the only consumer of the event ring. Its loop never allocates,
///   locks, logs or calls Foundation: it pops due events from a preallocated ``SPSCRing``, splits
///   the period at 64-frame block boundaries where events fall (exactly as ``OfflineRenderer``
///   does), renders into a preallocated buffer, applies a stop fade, writes to the sink and
///   updates atomic counters.
///
/// With a sink that does not pace (``MemorySink``) the clock is virtual and the output equals the
/// offline render of the same events, sample for sample (before the offline gain staging).
public final class LiveEngine: @unchecked Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Frames per period handed to the sink; a positive multiple of 64 (default 256).
        public var periodFrames: Int
        /// Events the control → audio ring holds (rounded up to a power of two).
        public var eventCapacity: Int
        /// The audio thread stops by itself once it has rendered this many frames (nil: run until
        /// ``stop(fadeSeconds:)``). Rounded up to whole periods.
        public var maxFrames: Int64?
        /// With ``maxFrames``: the output fades linearly to silence over this many frames, ending
        /// exactly at the last frame (a fixed-length session ends with a fade, not a cut). 0: no fade.
        public var endFadeFrames: Int
        /// A hard ceiling in dBFS: no sample leaves the engine louder (nil: none). Live output
        /// cannot be scaled after the fact as a file can, so this is the last guarantee that a
        /// preset's level limit holds; clipped samples are counted in ``Statistics/clippedSamples``.
        public var ceilingDBFS: Double?

        public init(periodFrames: Int = 256, eventCapacity: Int = 16384, maxFrames: Int64? = nil,
                    endFadeFrames: Int = 0, ceilingDBFS: Double? = nil) {
            self.periodFrames = periodFrames
            self.eventCapacity = eventCapacity
            self.maxFrames = maxFrames
            self.endFadeFrames = endFadeFrames
            self.ceilingDBFS = ceilingDBFS
        }
    }

    /// Counters published by the audio thread (and the drop count by the producer).
    public struct Statistics: Sendable, Hashable {
        public var periodsRendered: Int
        public var framesRendered: Int64
        /// Periods the sink reported as underruns (late; recovered).
        public var underruns: Int
        /// Worst lateness of a period the sink reported, in nanoseconds.
        public var maxLateNanoseconds: Int64
        /// Events refused because the ring was full.
        public var eventsDropped: Int
        /// Events pushed for a frame the audio thread had already rendered (applied at the next block).
        public var eventsLate: Int
        /// Longest time the audio thread spent rendering one period (events, synth, fade; not the
        /// sink's wait), in nanoseconds.
        public var maxRenderNanoseconds: Int64
        /// Total render time (as above) over all periods, in nanoseconds.
        public var totalRenderNanoseconds: Int64
        /// CPU time of the audio thread including the sink, in nanoseconds.
        public var audioThreadCPUNanoseconds: Int64
        /// The duration of one period, in nanoseconds.
        public var periodNanoseconds: Int64
        /// Whether the audio thread obtained real-time (SCHED_FIFO) scheduling; false without privileges.
        public var realTimeScheduling: Bool
        /// Samples held at ``Configuration/ceilingDBFS``.
        public var clippedSamples: Int = 0
        /// CPU time the audio thread spent in the period of ``maxRenderNanoseconds`` (the worst
        /// wall-clock render). Far below it means the thread was not running for most of that
        /// period (preempted, or its virtual CPU descheduled by the hypervisor), not that the
        /// rendering was slow.
        public var worstRenderCPUNanoseconds: Int64 = 0
        /// Longest CPU time the audio thread spent rendering one period, in nanoseconds.
        public var maxRenderCPUNanoseconds: Int64 = 0
        /// The first frame of that period, and how many events it applied: whether the costliest
        /// periods are the start (cold caches), busy moments, or neither.
        public var maxRenderCPUFrame: Int64 = 0
        public var maxRenderCPUEvents: Int = 0
        /// Time the audio thread spent runnable but waiting for a CPU, in nanoseconds, from the
        /// kernel's `schedstat` as the thread ends (nil while it runs, or if the kernel does not
        /// say). With SCHED_FIFO this stays small even when the machine is busy.
        public var runQueueWaitNanoseconds: Int64? = nil
    }

    /// A marker event (``markerController``) as the audio thread applied it, for latency measurement.
    public struct Marker: Sendable, Hashable {
        /// The frame the control side asked for.
        public var scheduledFrame: Int64
        /// The block boundary at which it was applied (≥ scheduledFrame, rounded up to 64).
        public var appliedFrame: Int64
        /// The first frame of the period that rendered it.
        public var periodStartFrame: Int64
        /// Monotonic time (`CLOCK_MONOTONIC`, ns) when that period was handed to the sink.
        public var handedNanoseconds: Int64
    }

    /// An undefined MIDI controller (119): events `controlChange` with this number are reported
    /// back through ``popMarker()`` when applied (FluidSynth ignores them).
    public static let markerController: UInt8 = 119

    public let configuration: Configuration
    public let sampleRate: Int
    public let sink: any AudioSink
    public static let channels = 2

    private let synth: FluidSynthEngine
    private let events: SPSCRing<ScheduledEvent>
    private let markers: SPSCRing<Marker>
    private let buffer: UnsafeMutablePointer<Float>
    private let pendingMarkers: UnsafeMutablePointer<Marker>
    private static let pendingMarkerCapacity = 64
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    private var joined = false

    // Control → audio.
    /// Fade length in frames requested by stop; -1 while running.
    private let stopFade = Atomic<Int>(-1)
    // Audio → control.
    private let framesDone = Atomic<Int>(0)
    private let periods = Atomic<Int>(0)
    private let underruns = Atomic<Int>(0)
    private let maxLate = Atomic<Int>(0)
    private let maxRender = Atomic<Int>(0)
    private let totalRender = Atomic<Int>(0)
    private let worstRenderCPU = Atomic<Int>(0)
    private let maxRenderCPU = Atomic<Int>(0)
    private let maxRenderCPUFrame = Atomic<Int>(0)
    private let maxRenderCPUEvents = Atomic<Int>(0)
    private let runQueueWait = Atomic<Int>(-1)
    private let cpu = Atomic<Int>(0)
    private let realTime = Atomic<Bool>(false)
    private let failure = Atomic<Int>(0)
    private let clipped = Atomic<Int>(0)
    // Producer-side counters.
    private let dropped = Atomic<Int>(0)
    private let late = Atomic<Int>(0)

    /// [control] Loads the SoundFont into a fresh synth and preallocates the ring and buffers.
    /// Throws `.invalidValue` for bad settings or period, `.soundfont` for an unloadable SoundFont.
    public init(soundfontPath: String, settings: RenderSettings = RenderSettings(), sink: any AudioSink,
                configuration: Configuration = Configuration()) throws {
        try settings.validate()
        guard configuration.periodFrames > 0, configuration.periodFrames % Int(EventSchedule.blockSize) == 0,
              configuration.periodFrames <= 65536 else {
            throw EmoMusikError(
                .invalidValue, "audio period \(configuration.periodFrames) frames is not a positive multiple of 64",
                hint: "use 64, 128, 256 (default), 512 or 1024 frames")
        }
        self.configuration = configuration
        sampleRate = settings.sampleRate
        self.sink = sink
        synth = try FluidSynthEngine(soundfontPath: soundfontPath, settings: settings)
        events = SPSCRing(minimumCapacity: max(configuration.eventCapacity, 1))
        markers = SPSCRing(minimumCapacity: 4096)
        buffer = .allocate(capacity: configuration.periodFrames * Self.channels)
        buffer.initialize(repeating: 0, count: configuration.periodFrames * Self.channels)
        pendingMarkers = .allocate(capacity: Self.pendingMarkerCapacity)
    }

    deinit {
        if started && !joined {
            stopFade.store(0, ordering: .releasing)
            finished.wait()
        }
        buffer.deallocate()
        pendingMarkers.deallocate()
    }

    // MARK: Control side

    /// [control] Prepares the sink and starts the audio thread (once).
    /// Throws what the sink's `prepare` throws (e.g. an ALSA device that cannot be opened).
    public func start() throws {
        precondition(!started, "a LiveEngine starts once")
        try sink.prepare(sampleRate: sampleRate, channels: Self.channels, periodFrames: configuration.periodFrames)
        started = true
        let thread = Thread { [self] in
            self.prepareAudioThread()
            self.runAudioLoop()
            self.runQueueWait.store(Self.threadRunQueueWait() ?? -1, ordering: .releasing)
            self.finished.signal()
        }
        thread.name = "emomusik.audio"
        thread.qualityOfService = .userInteractive
        self.thread = thread
        thread.start()
    }

    /// [producer] Queues one event; never blocks. Returns false (and counts a drop) if the ring is full.
    @discardableResult
    public func schedule(_ event: ScheduledEvent) -> Bool {
        if event.sampleTime < Int64(framesDone.load(ordering: .acquiring)) { late.wrappingAdd(1, ordering: .relaxed) }
        guard events.push(event) else {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// [producer] Flattens `score` onto the 64-frame grid and queues its events shifted by
    /// `startFrame` (rounded up to a block boundary). Returns how many were queued (the rest were
    /// dropped because the ring was full). Allocates (on the calling thread), never blocks.
    @discardableResult
    public func schedule(score: Score, startingAt startFrame: Int64 = 0) -> Int {
        let block = EventSchedule.blockSize
        let offset = (max(startFrame, 0) + block - 1) / block * block
        var queued = 0
        for var event in EventSchedule(score: score, sampleRate: sampleRate).events {
            event.sampleTime += offset
            if schedule(event) { queued += 1 }
        }
        return queued
    }

    /// [any] Frames the audio thread has rendered and handed to the sink (its clock).
    public var framesRendered: Int64 { Int64(framesDone.load(ordering: .acquiring)) }

    /// [control] The next applied marker, oldest first (single consumer).
    public func popMarker() -> Marker? { markers.pop() }

    /// [control] Asks the audio thread to fade out over `fadeSeconds` (0: stop after the current
    /// period) and stop, waits for it, and closes the sink. Safe to call more than once.
    public func stop(fadeSeconds: Double = 0.05) {
        guard started, !joined else { return }
        let frames = max(0, Int((fadeSeconds * Double(sampleRate)).rounded()))
        _ = stopFade.compareExchange(expected: -1, desired: frames, ordering: .acquiringAndReleasing)
        waitUntilFinished()
    }

    /// [control] Waits until the audio thread has stopped (by ``stop(fadeSeconds:)``, ``Configuration/maxFrames``
    /// or a sink failure), then closes the sink.
    public func waitUntilFinished() {
        guard started, !joined else { return }
        finished.wait()
        joined = true
        sink.close()
    }

    /// The sink's failure code if it failed (the audio thread then stopped), else nil.
    public var sinkFailure: Int32? {
        let code = failure.load(ordering: .acquiring)
        return code == 0 ? nil : Int32(code)
    }

    /// [any] A snapshot of the counters.
    public var statistics: Statistics {
        Statistics(
            periodsRendered: periods.load(ordering: .relaxed),
            framesRendered: framesRendered,
            underruns: underruns.load(ordering: .relaxed),
            maxLateNanoseconds: Int64(maxLate.load(ordering: .relaxed)),
            eventsDropped: dropped.load(ordering: .relaxed),
            eventsLate: late.load(ordering: .relaxed),
            maxRenderNanoseconds: Int64(maxRender.load(ordering: .relaxed)),
            totalRenderNanoseconds: Int64(totalRender.load(ordering: .relaxed)),
            audioThreadCPUNanoseconds: Int64(cpu.load(ordering: .relaxed)),
            periodNanoseconds: Int64(configuration.periodFrames) * 1_000_000_000 / Int64(sampleRate),
            realTimeScheduling: realTime.load(ordering: .relaxed),
            clippedSamples: clipped.load(ordering: .relaxed),
            worstRenderCPUNanoseconds: Int64(worstRenderCPU.load(ordering: .relaxed)),
            maxRenderCPUNanoseconds: Int64(maxRenderCPU.load(ordering: .relaxed)),
            maxRenderCPUFrame: Int64(maxRenderCPUFrame.load(ordering: .relaxed)),
            maxRenderCPUEvents: maxRenderCPUEvents.load(ordering: .relaxed),
            runQueueWaitNanoseconds: { let wait = runQueueWait.load(ordering: .acquiring); return wait < 0 ? nil : Int64(wait) }())
    }

    // MARK: Audio side

    /// [audio] Tries SCHED_FIFO at a middle priority; without the privilege it keeps the default
    /// policy (the `Thread` priority hints still apply).
    private func prepareAudioThread() {
        // Signals go to the control threads: a handler must never interrupt the audio thread
        // in the middle of a period.
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        var parameters = sched_param()
        parameters.sched_priority = 40
        realTime.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0, ordering: .relaxed)
    }

    /// [audio, after the loop] The calling thread's time waiting on a run queue, in nanoseconds:
    /// the second field of `/proc/thread-self/schedstat`. Nil if the file cannot be read.
    private static func threadRunQueueWait() -> Int? {
        let file = open("/proc/thread-self/schedstat", O_RDONLY)
        guard file >= 0 else { return nil }
        defer { close(file) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { bytes -> Int? in
            let count = read(file, bytes.baseAddress, bytes.count)
            guard count > 0 else { return nil }
            // "<on-CPU ns> <waiting ns> <time slices>\n"
            var field = 0
            var value = 0
            var digits = 0
            for byte in bytes[..<count] {
                if byte >= 0x30 && byte <= 0x39 {
                    value = value &* 10 &+ Int(byte - 0x30)
                    digits += 1
                } else {
                    if digits > 0 && field == 1 { return value }
                    if digits > 0 { field += 1 }
                    value = 0
                    digits = 0
                }
            }
            return nil
        }
    }

    /// [audio] The loop. No allocation, locks, logging or Foundation from here on.
    private func runAudioLoop() {
        let period = configuration.periodFrames
        let block = EventSchedule.blockSize
        let limit = configuration.maxFrames.map { ($0 + Int64(period) - 1) / Int64(period) * Int64(period) } ?? Int64.max
        var position: Int64 = 0
        // The fade: frame f ≥ fadeStart has gain max(0, fadeStart + fadeTotal - f) / fadeTotal.
        var fadeTotal: Int64 = -1  // -1 until a fade is scheduled
        var fadeStart: Int64 = 0
        if limit < Int64.max, configuration.endFadeFrames > 0 {
            fadeTotal = min(Int64(configuration.endFadeFrames), limit)
            fadeStart = limit - fadeTotal
        }
        let samples = UnsafeBufferPointer(start: buffer, count: period * Self.channels)
        let ceiling = configuration.ceilingDBFS.map { Float(pow(10, $0 / 20)) } ?? Float.infinity
        let cpuStart = threadCPUNanoseconds()

        while position < limit {
            let requested = stopFade.load(ordering: .acquiring)
            if requested >= 0 && (fadeTotal < 0 || position < fadeStart) {
                // A stop fade from here, unless an end fade already scheduled finishes sooner.
                if requested == 0 { break }
                if fadeTotal < 0 || position + Int64(requested) < fadeStart + fadeTotal {
                    fadeTotal = Int64(requested)
                    fadeStart = position
                }
            }
            let renderStart = monotonicNanoseconds()
            let renderCPUStart = threadCPUNanoseconds()
            let periodEnd = position + Int64(period)
            var pending = 0
            var applied = 0
            var blockStart = position
            var ok = true
            while blockStart < periodEnd {
                // Everything due at or before this block boundary takes effect now.
                while let event = events.pop(upTo: blockStart + 1) {
                    synth.apply(event)
                    applied += 1
                    if event.kind == .controlChange && event.data1 == Self.markerController && pending < Self.pendingMarkerCapacity {
                        pendingMarkers[pending] = Marker(
                            scheduledFrame: event.sampleTime, appliedFrame: blockStart, periodStartFrame: position,
                            handedNanoseconds: 0)
                        pending += 1
                    }
                }
                // Render up to the next event's block (rounded up onto the grid) or the period's end.
                var end = periodEnd
                if let next = events.peek() {
                    let due = (next.sampleTime + block - 1) / block * block
                    if due < end { end = max(due, blockStart + block) }
                }
                let offset = Int(blockStart - position)
                ok = synth.write(into: buffer + offset * Self.channels, frames: Int(end - blockStart)) && ok
                blockStart = end
            }
            if !ok {
                // FluidSynth refused: hand over silence rather than stale samples.
                buffer.update(repeating: 0, count: period * Self.channels)
            }
            if fadeTotal > 0 && periodEnd > fadeStart {
                let scale = 1 / Float(fadeTotal)
                let fadeEnd = fadeStart + fadeTotal
                for frame in max(0, Int(fadeStart - position))..<period {
                    let gain = Float(max(0, fadeEnd - (position + Int64(frame)))) * scale
                    buffer[frame * 2] *= gain
                    buffer[frame * 2 + 1] *= gain
                }
            }
            if ceiling < Float.infinity {
                var held = 0
                for index in 0..<(period * Self.channels) {
                    let x = buffer[index]
                    if x > ceiling { buffer[index] = ceiling; held += 1 } else if x < -ceiling { buffer[index] = -ceiling; held += 1 }
                }
                if held > 0 { clipped.wrappingAdd(held, ordering: .relaxed) }
            }
            // The CPU interval nests inside the wall interval: read inside out.
            let renderCPU = Int(threadCPUNanoseconds() - renderCPUStart)
            let renderTime = Int(monotonicNanoseconds() - renderStart)
            if renderTime > maxRender.load(ordering: .relaxed) {
                maxRender.store(renderTime, ordering: .relaxed)
                worstRenderCPU.store(renderCPU, ordering: .relaxed)
            }
            if renderCPU > maxRenderCPU.load(ordering: .relaxed) {
                maxRenderCPU.store(renderCPU, ordering: .relaxed)
                maxRenderCPUFrame.store(Int(position), ordering: .relaxed)
                maxRenderCPUEvents.store(applied, ordering: .relaxed)
            }
            totalRender.wrappingAdd(renderTime, ordering: .relaxed)

            let result = sink.write(samples, frames: period)
            let handed = monotonicNanoseconds()
            for index in 0..<pending {
                var marker = pendingMarkers[index]
                marker.handedNanoseconds = handed
                markers.push(marker)
            }
            position = periodEnd
            framesDone.store(Int(position), ordering: .releasing)
            periods.wrappingAdd(1, ordering: .relaxed)
            switch result {
            case .written: break
            case .underrun(let lateness):
                underruns.wrappingAdd(1, ordering: .relaxed)
                if Int(lateness) > maxLate.load(ordering: .relaxed) { maxLate.store(Int(lateness), ordering: .relaxed) }
            case .failed(let code):
                failure.store(Int(code == 0 ? -1 : code), ordering: .releasing)
            }
            cpu.store(Int(threadCPUNanoseconds() - cpuStart), ordering: .relaxed)
            if case .failed = result { break }
            if fadeTotal > 0 && position >= fadeStart + fadeTotal { break }
        }
        cpu.store(Int(threadCPUNanoseconds() - cpuStart), ordering: .relaxed)
    }
}
