import Glibc
import Synchronization

/// Where the live engine's periods go. [control] calls ``prepare(sampleRate:channels:periodFrames:)``
/// and ``close()``; [audio] calls ``write(_:frames:)`` only, between the two.
///
/// `prepare` may allocate and open devices and throws a readable error; `write` must not allocate,
/// lock, log or call Foundation. A sink is used by one engine at a time.
public protocol AudioSink: AnyObject, Sendable {
    /// [control] Opens the output for interleaved `Float` periods of `periodFrames` frames.
    func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws
    /// [audio] Hands over one period of interleaved samples (`frames × channels` values). Blocks
    /// while the output is full if the sink paces (a sound card, ``NullSink``); returns at once otherwise.
    func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult
    /// [control] Frames between handing a period over and hearing its first frame (queued output).
    var outputLatencyFrames: Int { get }
    /// [control] Closes the output; called after the audio thread has stopped.
    func close()
}

/// What happened to one period handed to a sink.
public enum SinkWriteResult: Sendable, Equatable {
    /// Accepted in time.
    case written
    /// The output ran dry before this period arrived (an underrun, xrun); the sink recovered and
    /// accepted the period. `lateNanoseconds` is how late it was, or 0 if the device cannot say.
    case underrun(lateNanoseconds: Int64)
    /// The output failed and cannot continue (the errno-style code); the engine stops.
    case failed(code: Int32)
}

/// Monotonic nanoseconds (`CLOCK_MONOTONIC`); a system call, safe on the audio thread.
@inline(__always)
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// CPU time of the calling thread in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
@inline(__always)
func threadCPUNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Sleeps until the monotonic clock reaches `deadline` (absolute nanoseconds).
@inline(__always)
func sleep(untilMonotonic deadline: Int64) {
    var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
}

/// A sink with no device, paced by the real (monotonic) clock like a sound card: it "plays" one
/// period every `periodFrames / sampleRate` seconds from the first write and holds
/// `bufferPeriods` periods, so a write blocks until a slot is free. A period that arrives after
/// its play time is an underrun: its lateness is reported and the clock re-anchored (like
/// `snd_pcm_prepare` after an xrun). The audio is discarded.
///
/// [control] `prepare`, `close` and the statistics; [audio] `write`.
public final class NullSink: AudioSink, @unchecked Sendable {
    /// Periods the simulated device buffers (2 = double buffering), at least 2.
    public let bufferPeriods: Int
    private var periodNanoseconds: Double = 0
    private var periodFrames = 0
    // Audio-thread state.
    private var anchor: Int64 = 0
    private var index: Int64 = 0
    // Published statistics.
    private let periods = Atomic<Int>(0)
    private let late = Atomic<Int>(0)
    private let maxLate = Atomic<Int>(0)
    private let maxOversleep = Atomic<Int>(0)
    /// The monotonic time at which frame 0 plays (moved on each underrun's re-anchoring); 0 before the first write.
    private let publishedAnchor = Atomic<Int>(0)
    private var sampleRate = 0

    public init(bufferPeriods: Int = 2) {
        precondition(bufferPeriods >= 2, "a paced sink needs at least two periods of buffer")
        self.bufferPeriods = bufferPeriods
    }

    public func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws {
        precondition(sampleRate > 0 && channels > 0 && periodFrames > 0, "sink format must be positive")
        self.periodFrames = periodFrames
        self.sampleRate = sampleRate
        periodNanoseconds = Double(periodFrames) * 1e9 / Double(sampleRate)
        publishedAnchor.store(0, ordering: .relaxed)
        index = 0
        anchor = 0
        periods.store(0, ordering: .relaxed)
        late.store(0, ordering: .relaxed)
        maxLate.store(0, ordering: .relaxed)
        maxOversleep.store(0, ordering: .relaxed)
    }

    public var outputLatencyFrames: Int { (bufferPeriods - 1) * periodFrames }

    /// [control] When the simulated device plays `frame` (monotonic nanoseconds, as
    /// `CLOCK_MONOTONIC`), by its clock as it stands now; nil before it has started.
    public func playTime(ofFrame frame: Int64) -> Int64? {
        let anchor = Int64(publishedAnchor.load(ordering: .acquiring))
        guard anchor != 0, sampleRate > 0 else { return nil }
        return anchor + Int64((Double(frame) * 1e9 / Double(sampleRate)).rounded())
    }

    /// Periods written, periods that arrived late, and the worst lateness in nanoseconds.
    public var statistics: (periods: Int, latePeriods: Int, maxLateNanoseconds: Int64) {
        (periods.load(ordering: .relaxed), late.load(ordering: .relaxed), Int64(maxLate.load(ordering: .relaxed)))
    }

    /// The longest the audio thread woke after the moment it slept until (a free buffer slot), in
    /// nanoseconds: the scheduler's wake-up latency, which a period's lateness includes.
    public var maxOversleepNanoseconds: Int64 { Int64(maxOversleep.load(ordering: .relaxed)) }

    public func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
        let now = monotonicNanoseconds()
        if index == 0 {
            anchor = now
            publishedAnchor.store(Int(anchor), ordering: .releasing)
        }
        // Period n plays from anchor + n × period; it must arrive by then.
        let playTime = anchor + Int64((Double(index) * periodNanoseconds).rounded())
        var result = SinkWriteResult.written
        if now > playTime {
            let lateness = now - playTime
            late.wrappingAdd(1, ordering: .relaxed)
            if Int(lateness) > maxLate.load(ordering: .relaxed) { maxLate.store(Int(lateness), ordering: .relaxed) }
            // Recover: restart the device clock so this period plays now.
            anchor = now - Int64((Double(index) * periodNanoseconds).rounded())
            publishedAnchor.store(Int(anchor), ordering: .releasing)
            result = .underrun(lateNanoseconds: lateness)
        } else {
            // Block while the buffer is full: period n gets a slot when period n - bufferPeriods
            // has finished playing, at anchor + (n - bufferPeriods + 1) × period.
            let slotFree = anchor + Int64((Double(index - Int64(bufferPeriods) + 1) * periodNanoseconds).rounded())
            if slotFree > now {
                sleep(untilMonotonic: slotFree)
                let oversleep = Int(monotonicNanoseconds() - slotFree)
                if oversleep > maxOversleep.load(ordering: .relaxed) { maxOversleep.store(oversleep, ordering: .relaxed) }
            }
        }
        index += 1
        periods.wrappingAdd(1, ordering: .relaxed)
        return result
    }

    public func close() {}
}

/// A sink that records what it is given into a preallocated buffer (for tests). It never paces
/// unless made `realTime`, in which case it also plays like a ``NullSink`` (a period every
/// `periodFrames / sampleRate` seconds), so a control thread can act while it records.
/// Frames beyond the capacity are counted and dropped.
///
/// [control] `prepare`, `close`, ``samples``; [audio] `write`. Read ``samples`` only after the
/// engine has stopped.
public final class MemorySink: AudioSink, @unchecked Sendable {
    public let capacityFrames: Int
    private var storage: UnsafeMutableBufferPointer<Float> = .init(start: nil, count: 0)
    private var channels = 2
    private let recorded = Atomic<Int>(0)
    private let overflow = Atomic<Int>(0)
    private let pacer: NullSink?

    public init(capacityFrames: Int, realTime: Bool = false) {
        precondition(capacityFrames >= 0, "capacity must not be negative")
        self.capacityFrames = capacityFrames
        pacer = realTime ? NullSink() : nil
    }

    deinit { storage.deallocate() }

    public func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws {
        storage.deallocate()
        self.channels = channels
        storage = .allocate(capacity: capacityFrames * channels)
        storage.initialize(repeating: 0)
        recorded.store(0, ordering: .relaxed)
        overflow.store(0, ordering: .relaxed)
        try pacer?.prepare(sampleRate: sampleRate, channels: channels, periodFrames: periodFrames)
    }

    public var outputLatencyFrames: Int { pacer?.outputLatencyFrames ?? 0 }

    /// Frames recorded so far (safe to poll from any thread).
    public var framesRecorded: Int { recorded.load(ordering: .acquiring) }
    /// Frames dropped because the buffer was full.
    public var framesDropped: Int { overflow.load(ordering: .relaxed) }

    /// [control] A copy of the recorded interleaved samples.
    public var samples: [Float] { Array(storage[0..<(framesRecorded * channels)]) }

    public func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
        let start = recorded.load(ordering: .relaxed)
        let taken = min(frames, capacityFrames - start)
        if taken > 0, let source = buffer.baseAddress, let target = storage.baseAddress {
            (target + start * channels).update(from: source, count: taken * channels)
            recorded.store(start + taken, ordering: .releasing)
        }
        if taken < frames { overflow.add(frames - max(taken, 0), ordering: .relaxed) }
        return pacer?.write(buffer, frames: frames) ?? .written
    }

    public func close() {}
}
