import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Testing

/// Fixtures live beside this file (not declared as resources): found from `#filePath`.
func fixture(_ name: String, filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A fresh temporary directory, removed by the caller with `cleanUp`.
func temporaryDirectory(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("FaceLandmarksTests-\(safe)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func cleanUp(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// The canonical face in pixels, with a little deterministic asymmetry so that no test passes by symmetry.
func sampleFace(offset: Float = 0) -> [SIMD2<Float>] {
    CanonicalFace.floatPoints.enumerated().map { i, p in
        SIMD2(300 + 120 * p.x + Float(i % 5) * 0.37 + offset, 200 + 120 * p.y + Float(i % 3) * 0.29 - offset)
    }
}

/// A short sequence: faces moving a little, with a missing frame in the middle.
func sampleSequence(frames: Int = 6, missingAt: Int? = 3) -> LandmarkSequence {
    LandmarkSequence(
        frames: (0..<frames).map { t in
            if t == missingAt { return LandmarkFrame.missing(at: Double(t) / 30) }
            return LandmarkFrame(time: Double(t) / 30, points: sampleFace(offset: Float(t) * 0.731), confidence: 0.9 - Double(t) * 0.01)
        })
}

/// Runs `body` and returns the EmoMusikError it throws (the test fails if it throws nothing else).
func landmarkError(_ body: () throws -> Void) -> EmoMusikError? {
    do {
        try body()
        Issue.record("expected an EmoMusikError, nothing was thrown")
        return nil
    } catch let error as EmoMusikError {
        return error
    } catch {
        Issue.record("expected an EmoMusikError, got \(error)")
        return nil
    }
}

func expectClose(_ a: [Float], _ b: [Float], tolerance: Float, _ comment: Comment? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, comment, sourceLocation: sourceLocation)
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
    #expect(worst <= tolerance, "largest difference \(worst) > \(tolerance)", sourceLocation: sourceLocation)
}
