import EmoMusikCore
import Testing
@testable import Synth

@Suite struct ScheduleTests {
    @Test func timesAreRoundedOntoTheNearestBlock() {
        // Tick 500 at 120 BPM = 0.520833 s = 22968.75 frames → 22969 → nearest block 22976.
        let schedule = EventSchedule(score: singleNoteScore(tick: 500), sampleRate: 44100)
        let on = schedule.events.first { $0.kind == .noteOn }!
        #expect(on.sampleTime == 22976)
        #expect(schedule.events.allSatisfy { $0.sampleTime % 64 == 0 })
        #expect(EventSchedule.quantise(31) == 0)
        #expect(EventSchedule.quantise(32) == 64)
        #expect(EventSchedule.quantise(95) == 64)
        // Tick 980 (end) = 1.0208 s = 45018.75 → 45019 → 44992.
        #expect(schedule.events.last { $0.kind == .noteOff }!.sampleTime == 44992)
        #expect(schedule.endSample == 44992)
        #expect(schedule.frameCount(tailSeconds: 2) == (44992 + 88200 + 63) / 64 * 64)
    }

    @Test func tempoChangesMoveLaterEvents() {
        // 100 BPM for 960 ticks (1.2 s), then 140 BPM: tick 1440 is 1.2 + 60/140 s.
        let schedule = EventSchedule(score: phraseScore(), sampleRate: 48000)
        let seconds = 1.2 + 60.0 / 140
        let expected = EventSchedule.quantise(Int64((seconds * 48000).rounded()))
        let onsets = schedule.events.filter { $0.kind == .noteOn && $0.channel == 0 }.map(\.sampleTime)
        #expect(onsets.count == 8)
        #expect(onsets[6] == expected)
        #expect(onsets == onsets.sorted())
    }

    @Test func equalTimesOrderControllersProgramsOffsThenOns() {
        let track = Track(
            name: "t", channel: 2, program: 5, programChanges: [ProgramChange(tick: 480, program: 7)],
            notes: [Note(tick: 0, duration: 480, pitch: 60, velocity: 80), Note(tick: 480, duration: 480, pitch: 60, velocity: 90)],
            controls: [ControlChange(tick: 480, controller: 7, value: 10), ControlChange(tick: 480, controller: 7, value: 99)])
        let schedule = EventSchedule(score: Score(tempoMap: TempoMap(bpm: 120), tracks: [track]), sampleRate: 44100)
        let atHalf = schedule.events.filter { $0.sampleTime == EventSchedule.quantise(22050) }
        #expect(atHalf.map(\.kind) == [.controlChange, .controlChange, .programChange, .noteOff, .noteOn])
        // Two values of one controller at one time keep their written order: the last wins.
        #expect(atHalf.prefix(2).map(\.data2) == [10, 99])
        #expect(atHalf[4].data2 == 90)
        #expect(schedule.events.first == ScheduledEvent(sampleTime: 0, channel: 2, kind: .programChange, data1: 5, data2: 0))
    }

    @Test func aNoteShorterThanABlockIsReleasedOneBlockLater() {
        let schedule = EventSchedule(score: singleNoteScore(tick: 0, duration: 1), sampleRate: 44100)
        let on = schedule.events.first { $0.kind == .noteOn }!
        let off = schedule.events.first { $0.kind == .noteOff }!
        #expect(off.sampleTime == on.sampleTime + 64)
    }

    @Test func cursorReadsEventsBeforeAFrameInOrder() {
        let schedule = EventSchedule(score: phraseScore(), sampleRate: 44100)
        var cursor = EventSchedule.Cursor()
        var read: [ScheduledEvent] = []
        var frame: Int64 = 0
        while cursor.nextTime(in: schedule) != nil {
            frame += 256
            while let event = cursor.next(before: frame, in: schedule) {
                #expect(event.sampleTime < frame)
                read.append(event)
            }
        }
        #expect(read == schedule.events)
    }

    @Test func eventsAreFixedSizePlainData() {
        #expect(_isPOD(ScheduledEvent.self))
        #expect(MemoryLayout<ScheduledEvent>.size <= 16)
    }

    @Test func flatteningIsDeterministic() {
        #expect(EventSchedule(score: loudDenseScore(), sampleRate: 44100) == EventSchedule(score: loudDenseScore(), sampleRate: 44100))
    }
}
