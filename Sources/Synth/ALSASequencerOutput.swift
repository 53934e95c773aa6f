import CALSA
import EmoMusikCore
import Glibc

extension EmoMusikError.Code {
    /// The external MIDI output (an ALSA sequencer port) could not be opened or written.
    public static let midiOutput = EmoMusikError.Code(rawValue: "midi-output")
}

/// A MIDI destination outside the process (an external or software synthesiser), fed events
/// ahead of time, each stamped with when it is to sound on the output's own clock.
///
/// [control] Every method is called from one control thread (a live session's). Nothing here
/// runs on the audio thread.
public protocol ExternalMIDIOutput: AnyObject {
    /// A name for messages ("ALSA sequencer port 128:0").
    var name: String { get }
    /// Seconds on the output's clock, which starts at 0 when the output is opened.
    func currentTime() throws -> Double
    /// Queues `events` (their ``ScheduledEvent/sampleTime`` is ignored) to sound at `times`
    /// (seconds on the output's clock, one per event, not decreasing); a time already past
    /// sounds at once. Throws if the destination has gone.
    func send(_ events: [ScheduledEvent], at times: [Double]) throws
    /// Fades every channel out over `fadeSeconds` from now, drops what was queued after the fade,
    /// and silences every note at its end. Does not wait.
    func fadeOut(seconds fadeSeconds: Double, channels: [UInt8]) throws
    /// Sends "all notes off" to `channels` at once and closes the output. Events still queued are
    /// dropped, so a caller waits for the music to end before closing.
    func close(channels: [UInt8])
}

/// MIDI through the ALSA sequencer: a port of our own (`EmoMusik:out`), connected to a
/// destination port, with every event scheduled on an ALSA queue in real time
/// (`SND_SEQ_TIME_STAMP_REAL`, absolute), so the kernel delivers it on time whatever the
/// session thread is doing.
///
/// The destination is what `aconnect -o` lists: `CLIENT:PORT` numbers (`128:0`) or a client's
/// name (`"FLUID Synth"`, `"Midi Through"`).
public final class ALSASequencerOutput: ExternalMIDIOutput {
    public let destination: String
    public var name: String { "ALSA sequencer port '\(destination)'" }

    private var sequencer: OpaquePointer?
    private var port: Int32 = 0
    private var queue: Int32 = 0
    private var status: OpaquePointer?

    /// Opens the sequencer, creates our port, connects it to `destination` and starts a queue.
    /// Throws ``EmoMusikError/Code/midiOutput`` naming the step that failed.
    public init(destination: String, clientName: String = "EmoMusik") throws {
        self.destination = destination
        var handle: OpaquePointer?
        var result = snd_seq_open(&handle, "default", Int32(SND_SEQ_OPEN_OUTPUT), 0)
        guard result >= 0, let handle else {
            throw Self.failure(
                "could not open the ALSA sequencer", result,
                hint: "the sequencer needs /dev/snd/seq (the kernel's snd-seq module: `sudo modprobe snd-seq`)")
        }
        sequencer = handle
        do {
            _ = snd_seq_set_client_name(handle, clientName)
            // Room for several beats of events in the kernel's queue (the default is 500).
            _ = snd_seq_set_client_pool_output(handle, 4000)
            result = snd_seq_create_simple_port(
                handle, "out", UInt32(SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ),
                UInt32(SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION))
            guard result >= 0 else { throw Self.failure("could not create an ALSA sequencer port", result, hint: nil) }
            port = result
            var address = snd_seq_addr_t()
            result = snd_seq_parse_address(handle, &address, destination)
            guard result >= 0 else {
                throw Self.failure(
                    "no ALSA sequencer port '\(destination)'", result,
                    hint: "list the ports with `aconnect -o` and pass CLIENT:PORT (e.g. 128:0) or a client's name")
            }
            result = snd_seq_connect_to(handle, port, Int32(address.client), Int32(address.port))
            guard result >= 0 else {
                throw Self.failure("could not connect to ALSA sequencer port '\(destination)'", result,
                                   hint: "list the ports with `aconnect -o`; the port must accept writes")
            }
            result = snd_seq_alloc_named_queue(handle, "\(clientName) music")
            guard result >= 0 else { throw Self.failure("could not allocate an ALSA sequencer queue", result, hint: nil) }
            queue = result
            var statusPointer: OpaquePointer?
            guard snd_seq_queue_status_malloc(&statusPointer) >= 0, let statusPointer else {
                throw EmoMusikError(.midiOutput, "could not allocate an ALSA queue status")
            }
            status = statusPointer
            result = snd_seq_control_queue(handle, queue, Int32(SND_SEQ_EVENT_START.rawValue), 0, nil)
            if result >= 0 { result = snd_seq_drain_output(handle) }
            guard result >= 0 else { throw Self.failure("could not start the ALSA sequencer queue", result, hint: nil) }
        } catch {
            release()
            throw error
        }
    }

    deinit {
        release()
    }

    public func currentTime() throws -> Double {
        guard let sequencer, let status else { throw EmoMusikError(.midiOutput, "\(name) is closed") }
        let result = snd_seq_get_queue_status(sequencer, queue, status)
        guard result >= 0 else { throw Self.failure("\(name) stopped answering", result, hint: nil) }
        guard let time = snd_seq_queue_status_get_real_time(status) else { return 0 }
        return Double(time.pointee.tv_sec) + Double(time.pointee.tv_nsec) / 1e9
    }

    public func send(_ events: [ScheduledEvent], at times: [Double]) throws {
        precondition(events.count == times.count, "one time per event")
        guard let sequencer else { throw EmoMusikError(.midiOutput, "\(name) is closed") }
        for (event, time) in zip(events, times) {
            var record = Self.sequencerEvent(event, at: time, queue: UInt8(truncatingIfNeeded: queue), port: UInt8(truncatingIfNeeded: port))
            let result = snd_seq_event_output(sequencer, &record)
            guard result >= 0 else { throw Self.failure("could not send to \(name)", result, hint: nil) }
        }
        let result = snd_seq_drain_output(sequencer)
        guard result >= 0 else { throw Self.failure("could not send to \(name)", result, hint: nil) }
    }

    public func fadeOut(seconds fadeSeconds: Double, channels: [UInt8]) throws {
        guard let sequencer else { throw EmoMusikError(.midiOutput, "\(name) is closed") }
        let now = try currentTime()
        let end = now + max(fadeSeconds, 0)
        // Whatever was queued to sound after the fade is dropped, in the kernel and in our buffer.
        var remove: OpaquePointer?
        if snd_seq_remove_events_malloc(&remove) >= 0, let remove {
            var stamp = snd_seq_timestamp_t()
            stamp.time = Self.realTime(end)
            snd_seq_remove_events_set_condition(remove, UInt32(SND_SEQ_REMOVE_OUTPUT | SND_SEQ_REMOVE_TIME_AFTER))
            snd_seq_remove_events_set_queue(remove, queue)
            snd_seq_remove_events_set_time(remove, &stamp)
            _ = snd_seq_remove_events(sequencer, remove)
            snd_seq_remove_events_free(remove)
        }
        let plan = Self.fadePlan(from: now, seconds: fadeSeconds, channels: channels)
        try send(plan.events, at: plan.times)
    }

    public func close(channels: [UInt8]) {
        guard let sequencer else { return }
        _ = snd_seq_drop_output(sequencer)
        for channel in channels {
            for controller in Self.silencingControllers {
                var record = Self.sequencerEvent(
                    ScheduledEvent(sampleTime: 0, channel: channel, kind: .controlChange, data1: controller, data2: 0),
                    at: 0, queue: UInt8(SND_SEQ_QUEUE_DIRECT), port: UInt8(truncatingIfNeeded: port))
                _ = snd_seq_event_output_direct(sequencer, &record)
            }
        }
        release()
    }

    // MARK: - Events

    /// "All sound off" (120) and "all notes off" (123): what a fade ends with and a close sends.
    static let silencingControllers: [UInt8] = [120, 123]
    /// Expression (11): the fade's controller. The composer leaves it alone (it sets volume, pan
    /// and reverb), so a fade scales whatever volume each channel has.
    static let expressionController: UInt8 = 11

    /// The events of a fade over `seconds` from `start`: expression down in 16 steps on every
    /// channel, then every note silenced, then expression back to full for whatever plays next.
    public static func fadePlan(from start: Double, seconds: Double, channels: [UInt8]) -> (events: [ScheduledEvent], times: [Double]) {
        let steps = 16
        var events: [ScheduledEvent] = [], times: [Double] = []
        func add(_ channel: UInt8, _ controller: UInt8, _ value: UInt8, _ time: Double) {
            events.append(ScheduledEvent(sampleTime: 0, channel: channel, kind: .controlChange, data1: controller, data2: value))
            times.append(time)
        }
        for step in 1...steps {
            let fraction = Double(step) / Double(steps)
            let value = UInt8((127 * (1 - fraction)).rounded())
            for channel in channels { add(channel, expressionController, value, start + max(seconds, 0) * fraction) }
        }
        let end = start + max(seconds, 0)
        for channel in channels {
            for controller in silencingControllers { add(channel, controller, 0, end) }
        }
        for channel in channels { add(channel, expressionController, 127, end) }
        return (events, times)
    }

    /// `event` as an ALSA sequencer event from our `port` to its subscribers, scheduled on `queue`
    /// at `seconds` of real time (absolute), or sent at once when `queue` is `SND_SEQ_QUEUE_DIRECT`.
    public static func sequencerEvent(_ event: ScheduledEvent, at seconds: Double, queue: UInt8, port: UInt8) -> snd_seq_event_t {
        var record = snd_seq_event_t()
        switch event.kind {
        case .noteOn:
            record.type = snd_seq_event_type_t(SND_SEQ_EVENT_NOTEON.rawValue)
            record.data.note.channel = event.channel & 0x0F
            record.data.note.note = event.data1 & 0x7F
            record.data.note.velocity = event.data2 & 0x7F
        case .noteOff:
            record.type = snd_seq_event_type_t(SND_SEQ_EVENT_NOTEOFF.rawValue)
            record.data.note.channel = event.channel & 0x0F
            record.data.note.note = event.data1 & 0x7F
        case .controlChange:
            record.type = snd_seq_event_type_t(SND_SEQ_EVENT_CONTROLLER.rawValue)
            record.data.control.channel = event.channel & 0x0F
            record.data.control.param = UInt32(event.data1 & 0x7F)
            record.data.control.value = Int32(event.data2 & 0x7F)
        case .programChange:
            record.type = snd_seq_event_type_t(SND_SEQ_EVENT_PGMCHANGE.rawValue)
            record.data.control.channel = event.channel & 0x0F
            record.data.control.value = Int32(event.data1 & 0x7F)
        }
        record.flags = UInt8(SND_SEQ_TIME_STAMP_REAL | SND_SEQ_TIME_MODE_ABS | SND_SEQ_EVENT_LENGTH_FIXED)
        record.queue = queue
        record.time.time = realTime(seconds)
        record.source.port = port
        record.dest.client = UInt8(SND_SEQ_ADDRESS_SUBSCRIBERS)
        record.dest.port = UInt8(SND_SEQ_ADDRESS_UNKNOWN)
        return record
    }

    /// `seconds` (negative: 0) as ALSA's real time, to the nanosecond.
    static func realTime(_ seconds: Double) -> snd_seq_real_time_t {
        let nanoseconds = UInt64((max(seconds, 0) * 1e9).rounded())
        return snd_seq_real_time_t(tv_sec: UInt32(nanoseconds / 1_000_000_000), tv_nsec: UInt32(nanoseconds % 1_000_000_000))
    }

    // MARK: - Helpers

    private func release() {
        if let status { snd_seq_queue_status_free(status) }
        status = nil
        if let sequencer { snd_seq_close(sequencer) }  // frees our port and queue
        sequencer = nil
    }

    private static func failure(_ message: String, _ status: Int32, hint: String?) -> EmoMusikError {
        let reason = snd_strerror(status).map { String(cString: $0) } ?? "error \(status)"
        return EmoMusikError(.midiOutput, "\(message): \(reason)", hint: hint)
    }
}
