import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Testing

/// Rotates by `degrees`, scales and translates every point of every frame.
func transformed(_ sequence: LandmarkSequence, degrees: Float, scale: Float, shift: SIMD2<Float>) -> LandmarkSequence {
    let a = degrees * .pi / 180
    let (c, s) = (cos(a), sin(a))
    var result = sequence
    for t in result.frames.indices {
        result.frames[t].points = result.frames[t].points.map { p in
            SIMD2(c * p.x - s * p.y, s * p.x + c * p.y) * scale + shift
        }
    }
    return result
}

@Suite("Normalisation and node features")
struct NormalisationTests {
    @Test func normalisedFaceHasUnitHorizontalEyeLineAndNasionAtOrigin() {
        let points = LandmarkNormalisation.normalise(transformed(
            LandmarkSequence(frames: [LandmarkFrame(time: 0, points: sampleFace(), confidence: 1)]), degrees: 31, scale: 2.3,
            shift: SIMD2(-40, 17)).frames[0].points)
        let eye = points[45] - points[36]
        #expect(abs(eye.x - 1) < 1e-5)
        #expect(abs(eye.y) < 1e-5)
        #expect(points[27] == .zero)
        // y keeps the image convention: the chin (8) is below the nasion, the brows above.
        #expect(points[8].y > 1)
        #expect(points[19].y < 0)
    }

    @Test(arguments: [(0 as Float, 1 as Float, SIMD2<Float>(0, 0)), (23, 1.7, SIMD2(50, -30)), (-170, 0.4, SIMD2(-300, 900)), (90, 3, SIMD2(1, 1))])
    func featuresAreInvariantToTranslationScaleAndRotation(degrees: Float, scale: Float, shift: SIMD2<Float>) {
        let original = sampleSequence(frames: 8, missingAt: 5)
        let moved = transformed(original, degrees: degrees, scale: scale, shift: shift)
        let a = NodeFeatures.tensor(original)
        let b = NodeFeatures.tensor(moved)
        #expect(a.mask == b.mask)
        expectClose(a.values, b.values, tolerance: 1e-4)
        expectClose(apexVector(original), apexVector(moved), tolerance: 1e-4)
    }

    @Test func featureLayoutVelocityDisplacementAndMissingFrames() {
        let sequence = sampleSequence(frames: 6, missingAt: 3)
        let f = NodeFeatures.tensor(sequence, neutralFrames: 3)
        #expect(f.frames == 6 && f.nodes == 68 && f.channels == 6)
        #expect(f.values.count == 6 * 68 * 6)
        #expect(f.mask == [true, true, true, false, true, true])
        let normalised = sequence.frames.map { $0.isMissing ? [] : LandmarkNormalisation.normalise($0.points) }
        for node in [0, 30, 48, 67] {
            // Position.
            #expect(f[1, node, 0] == normalised[1][node].x)
            #expect(f[1, node, 1] == normalised[1][node].y)
            // Velocity: 0 at the first frame, then the difference to the previous valid frame.
            #expect(f[0, node, 2] == 0 && f[0, node, 3] == 0)
            #expect(f[2, node, 2] == normalised[2][node].x - normalised[1][node].x)
            // The missing frame carries frame 2 forward with zero velocity...
            #expect(f[3, node, 0] == f[2, node, 0] && f[3, node, 1] == f[2, node, 1])
            #expect(f[3, node, 2] == 0 && f[3, node, 3] == 0)
            // ...and the frame after it moves relative to frame 2, the previous valid one.
            #expect(f[4, node, 3] == normalised[4][node].y - normalised[2][node].y)
            // Displacement from the neutral face, the mean of the first three valid frames.
            let neutral = (normalised[0][node] + normalised[1][node] + normalised[2][node]) / 3
            #expect(abs(f[5, node, 4] - (normalised[5][node].x - neutral.x)) < 1e-6)
            #expect(abs(f[5, node, 5] - (normalised[5][node].y - neutral.y)) < 1e-6)
        }
    }

    @Test func leadingMissingFramesTakeTheFirstValidOne() {
        var sequence = sampleSequence(frames: 4, missingAt: nil)
        sequence.frames[0] = .missing(at: 0)
        let f = NodeFeatures.tensor(sequence)
        #expect(f.mask == [false, true, true, true])
        #expect(Array(f.frameValues(0)).enumerated().allSatisfy { i, v in i % 6 == 2 || i % 6 == 3 || v == f.frameValues(1)[f.frameValues(1).startIndex + i] })
        let empty = NodeFeatures.tensor(LandmarkSequence(frames: [.missing(at: 0), .missing(at: 0.1)]))
        #expect(empty.mask == [false, false])
        #expect(empty.values.allSatisfy { $0 == 0 })
    }

    @Test func windowsCoverTheSequenceAndPadShortOnes() {
        let f = NodeFeatures.tensor(sampleSequence(frames: 7, missingAt: 3))
        let windows = f.window(length: 4, stride: 2)
        #expect(windows.count == 3)  // starts 0, 2 and 3 (the last one ends on the last frame)
        #expect(windows.allSatisfy { $0.frames == 4 && $0.values.count == 4 * 68 * 6 })
        #expect(Array(windows[1].frameValues(0)) == Array(f.frameValues(2)))
        #expect(Array(windows[2].frameValues(3)) == Array(f.frameValues(6)))
        #expect(windows[1].mask == [true, false, true, true])
        let even = NodeFeatures.tensor(sampleSequence(frames: 6, missingAt: nil)).window(length: 4, stride: 2)
        #expect(even.count == 2)
        let short = NodeFeatures.tensor(sampleSequence(frames: 3, missingAt: nil))
        let padded = short.window(length: 5, stride: 1)
        #expect(padded.count == 1)
        #expect(padded[0].frames == 5)
        for t in 0..<3 { #expect(Array(padded[0].frameValues(t)) == Array(short.frameValues(0))) }
        #expect(Array(padded[0].frameValues(4)) == Array(short.frameValues(2)))
        #expect(f.window(length: 32, stride: 8).count == 1)
    }

    @Test func apexVectorIsTheMostDisplacedFrame() {
        var sequence = sampleSequence(frames: 6, missingAt: nil)
        // Frame 4: the mouth opens (jaw drop), much more than the small drift of the others.
        for i in [8, 57, 58, 56, 66] { sequence.frames[4].points[i].y += 30 }
        let vector = apexVector(sequence)
        #expect(vector.count == 136)
        let expected = LandmarkNormalisation.normalise(sequence.frames[4].points).flatMap { [$0.x, $0.y] }
        #expect(vector == expected)
        #expect(apexVector(LandmarkSequence(frames: [.missing(at: 0)])) == [Float](repeating: 0, count: 136))
    }
}

@Suite("Augmentation")
struct AugmentationTests {
    @Test func seededAndWithinBounds() {
        let sequence = sampleSequence(frames: 10, missingAt: 4)
        let augment = LandmarkAugmentation(jitter: 0.01, maxRotationDegrees: 10, maxScale: 0.1, dropProbability: 0.2)
        let a = augment.apply(to: sequence, seed: 9)
        #expect(a == augment.apply(to: sequence, seed: 9))
        #expect(a != augment.apply(to: sequence, seed: 10))
        #expect(a.frames[4].isMissing)
        #expect(a.frames.filter(\.isMissing).count >= 1)
        for seed in UInt64(0)..<20 {
            let rigid = LandmarkAugmentation(jitter: 0, dropProbability: 0).apply(to: sequence, seed: seed)
            let before = sequence.frames[0].points[45] - sequence.frames[0].points[36]
            let after = rigid.frames[0].points[45] - rigid.frames[0].points[36]
            let angle = abs(atan2(after.y, after.x) - atan2(before.y, before.x)) * 180 / .pi
            let ratio = (after.x * after.x + after.y * after.y).squareRoot() / (before.x * before.x + before.y * before.y).squareRoot()
            #expect(angle <= 10.001)
            #expect(ratio >= 0.899 && ratio <= 1.101)
            // A whole-sequence rotation and scale leave the normalised features unchanged.
            expectClose(NodeFeatures.tensor(rigid).values, NodeFeatures.tensor(sequence).values, tolerance: 1e-4)
        }
        let allDropped = LandmarkAugmentation(dropProbability: 1).apply(to: sequence, seed: 1)
        #expect(allDropped.frames.allSatisfy { $0.isMissing })
        let jittered = LandmarkAugmentation(jitter: 0.05, maxRotationDegrees: 0, maxScale: 0, dropProbability: 0).apply(to: sequence, seed: 3)
        #expect(jittered.frames[0].points != sequence.frames[0].points)
    }
}
