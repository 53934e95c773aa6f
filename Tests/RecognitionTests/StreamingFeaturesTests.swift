import EmoMusikPlugins
import FaceLandmarks
import Recognition
import Testing

@Suite("Streaming features for live recognition")
struct StreamingFeaturesTests {
    /// The canonical face placed at `origin` with `scale` pixels per face unit.
    func face(at time: Double, origin: SIMD2<Float>, scale: Float, raise brows: Float = 0) -> LandmarkFrame {
        let points = CanonicalFace.points.enumerated().map { index, p -> SIMD2<Float> in
            var q = SIMD2<Float>(Float(p.x), Float(p.y))
            if (17...26).contains(index) { q.y -= brows }
            return origin + q * scale
        }
        return LandmarkFrame(time: time, points: points, confidence: 0.9)
    }

    /// Largest |displacement| (channels 4 and 5) over the landmarks of one frame's features.
    func largestDisplacement(_ values: [Float]) -> Float {
        (0..<68).map { node in max(abs(values[node * 6 + 4]), abs(values[node * 6 + 5])) }.max() ?? 0
    }

    @Test("a sequence's frames give the same six channels as the offline features")
    func matchesOfflineFeatures() throws {
        let sequence = SyntheticExpressions(domain: .child, frames: 40).generate(count: 7, seed: 3).sequences[2]
        let offline = NodeFeatures.tensor(sequence)
        var streaming = StreamingFeatures()
        var t = 0
        for (index, frame) in sequence.frames.enumerated() {
            guard let values = streaming.features(for: frame) else {
                #expect(frame.isMissing)
                continue
            }
            // Offline velocity spans a short gap to the previous observed frame, as streaming does.
            // Until three faces are seen, streaming measures from the mean so far.
            t += 1
            guard t > 3 else { continue }
            let expected = Array(offline.frameValues(index))
            for (a, b) in zip(values, expected) { #expect(abs(a - b) < 1e-5) }
        }
        #expect(t > 30)
        #expect(streaming.retakes == 0)
    }

    @Test("the neutral face is taken again when the face returns after a long gap, not after a short one")
    func neutralRetakenAfterGap() throws {
        var streaming = StreamingFeatures(neutralFrames: 3, retakeAfter: 2)
        // Neutral at the start, then the brows raised by 0.05 face units.
        for k in 0..<3 { _ = streaming.features(for: face(at: Double(k) / 15, origin: [320, 240], scale: 120)) }
        let raisedValues = streaming.features(for: face(at: 0.3, origin: [320, 240], scale: 120, raise: 0.05))
        let raised = try #require(raisedValues)
        #expect(abs(largestDisplacement(raised) - 0.05) < 1e-4)

        // The face is lost for 1 s (a blink of the tracker): the reference stays, so the raised
        // brows still show.
        let lost = streaming.features(for: .missing(at: 0.8))
        #expect(lost == nil)
        let afterShortGapValues = streaming.features(for: face(at: 1.3, origin: [300, 250], scale: 100, raise: 0.05))
        let afterShortGap = try #require(afterShortGapValues)
        #expect(abs(largestDisplacement(afterShortGap) - 0.05) < 1e-4)
        #expect(streaming.retakes == 0)

        // Lost for 3 s, back elsewhere with the brows still raised: the face it returns with is the
        // new reference (displacement 0, velocity 0), and later changes are measured from it.
        let afterLongGapValues = streaming.features(for: face(at: 4.3, origin: [200, 200], scale: 90, raise: 0.05))
        let afterLongGap = try #require(afterLongGapValues)
        #expect(streaming.retakes == 1)
        #expect(largestDisplacement(afterLongGap) < 1e-5)
        #expect((0..<68).allSatisfy { afterLongGap[$0 * 6 + 2] == 0 && afterLongGap[$0 * 6 + 3] == 0 })
        for k in 1..<3 { _ = streaming.features(for: face(at: 4.3 + Double(k) / 15, origin: [200, 200], scale: 90, raise: 0.05)) }
        let relaxedValues = streaming.features(for: face(at: 4.6, origin: [200, 200], scale: 90))
        let relaxed = try #require(relaxedValues)
        #expect(abs(largestDisplacement(relaxed) - 0.05) < 1e-4)
    }

    @Test("reset starts a new session: a new neutral face and no retakes")
    func resetForgets() throws {
        var streaming = StreamingFeatures(retakeAfter: 1)
        for k in 0..<3 { _ = streaming.features(for: face(at: Double(k) / 10, origin: [320, 240], scale: 120)) }
        _ = streaming.features(for: face(at: 10, origin: [320, 240], scale: 120))
        #expect(streaming.retakes == 1)
        streaming.reset()
        #expect(streaming.retakes == 0)
        let firstValues = streaming.features(for: face(at: 0, origin: [320, 240], scale: 120, raise: 0.05))
        let first = try #require(firstValues)
        #expect(largestDisplacement(first) < 1e-5)
    }
}
