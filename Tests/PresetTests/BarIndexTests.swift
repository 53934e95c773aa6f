import EmoMusikCore
import Testing

@testable import Presets

@Suite("Bar index: bars counted as a score counts them, without listing them")
struct BarIndexTests {
    @Test("bar starts and the bar of a tick agree with Score.barStartTicks, time signatures changing on and off bar lines",
          arguments: 0..<30)
    func agreesWithBarStartTicks(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let meters: [Meter] = [.commonTime, .waltz, Meter(beatsPerBar: 6, beatUnit: 8), Meter(beatsPerBar: 5, beatUnit: 4),
                               Meter(beatsPerBar: 7, beatUnit: 16)]
        var signatures = [TimeSignatureChange(tick: 0, meter: meters[random.next(in: 0...4)])]
        for _ in 0..<random.next(in: 0...4) {
            // Anywhere, also inside a bar (it then takes effect at the next bar line) or two in one bar.
            signatures.append(TimeSignatureChange(tick: signatures.last!.tick + random.next(in: 1...6000), meter: meters[random.next(in: 0...4)]))
        }
        let score = Score(tempoMap: TempoMap(bpm: 100), timeSignatures: signatures, endTick: 40_000)
        let starts = score.barStartTicks
        let index = BarIndex(score)
        for (bar, start) in starts.enumerated() {
            #expect(index.start(of: bar) == start, "seed \(seed), bar \(bar + 1)")
        }
        for _ in 0..<200 {
            let tick = random.next(in: 0...39_999)
            #expect(index.bar(atTick: tick) == starts.lastIndex { $0 <= tick }, "seed \(seed), tick \(tick)")
        }
    }
}
