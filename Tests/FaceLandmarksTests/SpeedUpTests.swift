import EmoMusikPlugins
@testable import FaceLandmarks
import Testing

@Suite("Sped-up landmark sequences (a pre-training augmentation)")
struct SpeedUpTests {
    /// `count` frames at 25 fps whose one point moves along x as `x(t)` (frame index t).
    func ramp(_ count: Int, missing: Set<Int> = [], x: (Int) -> Float = { Float($0) }) -> LandmarkSequence {
        LandmarkSequence(
            frames: (0..<count).map { t in
                missing.contains(t)
                    ? .missing(at: Double(t) / 25)
                    : LandmarkFrame(time: Double(t) / 25, points: [SIMD2(x(t), 1)], confidence: 1)
            },
            label: .anger, subject: "s1", domain: "posed-adult")
    }

    @Test("twice as fast: half the frames, the source's first and last frames, linear in between")
    func doubleSpeed() throws {
        let source = ramp(49)
        let fast = source.spedUp(by: 2)
        #expect(fast.frames.count == 25)
        #expect(fast.frames.first == source.frames.first)
        #expect(fast.frames.last?.points == source.frames.last?.points)
        for (i, frame) in fast.frames.enumerated() {
            #expect(abs(frame.points[0].x - Float(2 * i)) < 1e-5)
            #expect(abs(frame.time - Double(i) / 25) < 1e-9)
        }
        #expect(fast.label == .anger && fast.subject == "s1" && fast.domain == "posed-adult")

        // 48 frames: 24, frame i at source frame i·47/23 (between frames, interpolated).
        let even = ramp(48, x: { Float($0 * $0) })
        let fastEven = even.spedUp(by: 2)
        #expect(fastEven.frames.count == 24)
        #expect(fastEven.frames.last?.points == even.frames.last?.points)
        let u = 5.0 * 47 / 23, lower = Float(Int(u))
        let expected = lower * lower + Float(u - Double(lower)) * ((lower + 1) * (lower + 1) - lower * lower)
        #expect(abs(fastEven.frames[5].points[0].x - expected) < 1e-3)
    }

    @Test("speed 1 changes nothing; 1.5 keeps two thirds of the frames; a missing face stays missing nearby")
    func otherSpeeds() {
        let source = ramp(30, missing: [10])
        #expect(source.spedUp(by: 1) == source)
        let faster = source.spedUp(by: 1.5)
        #expect(faster.frames.count == 20)
        #expect(faster.frames.last?.points == source.frames.last?.points)
        // Frame 7 sits at source frame 7·29/19 ≈ 10.68: between the missing frame 10 and frame 11,
        // nearer 11, so it takes frame 11's face; frame 6 (≈ 9.16) is nearer frame 9.
        #expect(faster.frames[7].points == source.frames[11].points)
        #expect(faster.frames[6].points == source.frames[9].points)
        #expect(!faster.frames.contains { $0.isMissing })
    }
}
