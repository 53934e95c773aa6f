import CALSA
import EmoMusikCore
import Testing
@testable import Synth

@Suite("MIDI through the ALSA sequencer: events, fades, and a port that cannot be opened")
struct SequencerOutputTests {
    @Test("each kind of event becomes the ALSA event an external synth plays, stamped in real time on our queue")
    func eventsTranslate() {
        let on = ALSASequencerOutput.sequencerEvent(
            ScheduledEvent(sampleTime: 999, channel: 9, kind: .noteOn, data1: 38, data2: 96), at: 1.25, queue: 3, port: 1)
        #expect(on.type == snd_seq_event_type_t(SND_SEQ_EVENT_NOTEON.rawValue))
        #expect(on.data.note.channel == 9 && on.data.note.note == 38 && on.data.note.velocity == 96)
        #expect(on.time.time.tv_sec == 1 && on.time.time.tv_nsec == 250_000_000)
        #expect(on.flags & UInt8(SND_SEQ_TIME_STAMP_MASK) == UInt8(SND_SEQ_TIME_STAMP_REAL), "real time, not ticks")
        #expect(on.flags & UInt8(SND_SEQ_TIME_MODE_MASK) == UInt8(SND_SEQ_TIME_MODE_ABS), "absolute, not relative")
        #expect(on.queue == 3 && on.source.port == 1)
        #expect(on.dest.client == UInt8(SND_SEQ_ADDRESS_SUBSCRIBERS), "to whatever the port is connected to")

        let off = ALSASequencerOutput.sequencerEvent(
            ScheduledEvent(sampleTime: 0, channel: 0, kind: .noteOff, data1: 60, data2: 0), at: 2, queue: 3, port: 1)
        #expect(off.type == snd_seq_event_type_t(SND_SEQ_EVENT_NOTEOFF.rawValue))
        #expect(off.data.note.note == 60 && off.data.note.velocity == 0)
        #expect(off.time.time.tv_sec == 2 && off.time.time.tv_nsec == 0)

        let volume = ALSASequencerOutput.sequencerEvent(
            ScheduledEvent(sampleTime: 0, channel: 2, kind: .controlChange, data1: 7, data2: 100), at: 0, queue: 3, port: 1)
        #expect(volume.type == snd_seq_event_type_t(SND_SEQ_EVENT_CONTROLLER.rawValue))
        #expect(volume.data.control.channel == 2 && volume.data.control.param == 7 && volume.data.control.value == 100)

        let program = ALSASequencerOutput.sequencerEvent(
            ScheduledEvent(sampleTime: 0, channel: 1, kind: .programChange, data1: 48, data2: 0), at: 0, queue: 3, port: 1)
        #expect(program.type == snd_seq_event_type_t(SND_SEQ_EVENT_PGMCHANGE.rawValue))
        #expect(program.data.control.channel == 1 && program.data.control.value == 48)

        // A time already past (negative on the queue) sounds at once rather than wrapping around.
        let past = ALSASequencerOutput.sequencerEvent(
            ScheduledEvent(sampleTime: 0, channel: 0, kind: .noteOn, data1: 60, data2: 80), at: -0.01, queue: 3, port: 1)
        #expect(past.time.time.tv_sec == 0 && past.time.time.tv_nsec == 0)
    }

    @Test("a fade lowers every channel's expression to nothing over its length, silences every note at its end, then restores expression")
    func fadePlan() {
        let plan = ALSASequencerOutput.fadePlan(from: 10, seconds: 2, channels: [0, 9])
        #expect(plan.events.count == plan.times.count)
        #expect(zip(plan.times, plan.times.dropFirst()).allSatisfy { $0 <= $1 }, "in time order")
        #expect(plan.times.first! > 10 && plan.times.last! == 12)
        for channel: UInt8 in [0, 9] {
            let steps = zip(plan.events, plan.times).filter { $0.0.channel == channel && $0.0.data1 == 11 }
            let values = steps.map(\.0.data2)
            #expect(values.dropLast().elementsEqual(values.dropLast().sorted(by: >)), "expression only falls during the fade")
            #expect(values.dropLast().last == 0 && steps.dropLast().last?.1 == 12, "silent at the end")
            #expect(values.last == 127 && steps.last?.1 == 12, "then back to full for what plays next")
            let silenced = Set(plan.events.filter { $0.channel == channel && $0.kind == .controlChange }.map(\.data1))
            #expect(silenced.isSuperset(of: [120, 123]), "all sound off and all notes off")
        }
        #expect(plan.events.allSatisfy { $0.kind == .controlChange })
    }

    @Test("a port that cannot be opened is refused with a message naming the sequencer and a hint")
    func unopenablePortIsRefused() {
        // Here (no /dev/snd/seq) the sequencer itself cannot be opened; with one, the port is unknown.
        do {
            let output = try ALSASequencerOutput(destination: "emomusik-no-such-port")
            output.close(channels: [])
            Issue.record("opened a port that does not exist")
        } catch let error as EmoMusikError {
            #expect(error.code == .midiOutput)
            #expect(error.message.contains("ALSA sequencer"), "\(error.message)")
            #expect(error.hint?.isEmpty == false)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
