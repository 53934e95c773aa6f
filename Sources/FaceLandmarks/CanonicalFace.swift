/// A canonical frontal 68-point face in face units: the outer eye corners (36, 45) at (∓0.5, 0),
/// so the inter-ocular distance is 1; x to the image right, y downwards; the subject's right side
/// on the image left. Drawn by hand from the proportions of the iBUG mean shape; symmetric.
public enum CanonicalFace {
    /// The 68 points, in iBUG order.
    public static let points: [SIMD2<Double>] = {
        var p = [SIMD2<Double>](repeating: .zero, count: FaceLayout.count)
        // Jaw 0–16: from the right temple round the chin to the left temple, a squared ellipse.
        for i in 0...16 {
            let phi = Double.pi * Double(i) / 16
            let s = DeterministicMath.sin(phi)
            let c = DeterministicMath.cos(phi)
            // Wider at the cheeks, narrower at the chin: x shrinks a little as y grows.
            p[i] = SIMD2(-0.98 * c * (1 - 0.12 * s * s), -0.05 + 1.32 * s * (0.35 + 0.65 * s))
        }
        // Brows (right 17–21 outer→inner, left 22–26 inner→outer).
        let browX = [-0.66, -0.53, -0.38, -0.24, -0.11]
        let browY = [-0.20, -0.30, -0.34, -0.33, -0.28]
        for k in 0..<5 {
            p[17 + k] = SIMD2(browX[k], browY[k])
            p[26 - k] = SIMD2(-browX[k], browY[k])
        }
        // Nose bridge 27–30 and base 31–35.
        p[27] = SIMD2(0, -0.06)
        p[28] = SIMD2(0, 0.10)
        p[29] = SIMD2(0, 0.25)
        p[30] = SIMD2(0, 0.40)
        p[31] = SIMD2(-0.16, 0.48)
        p[32] = SIMD2(-0.08, 0.51)
        p[33] = SIMD2(0, 0.53)
        p[34] = SIMD2(0.08, 0.51)
        p[35] = SIMD2(0.16, 0.48)
        // Right eye 36–41: outer corner, two upper lid points, inner corner, two lower lid points.
        let eye: [SIMD2<Double>] = [
            SIMD2(-0.50, 0), SIMD2(-0.41, -0.065), SIMD2(-0.28, -0.065), SIMD2(-0.19, 0.005),
            SIMD2(-0.28, 0.05), SIMD2(-0.41, 0.05),
        ]
        for k in 0..<6 { p[36 + k] = eye[k] }
        // Left eye 42–47 mirrors it: inner corner, upper lid, outer corner, lower lid.
        let mirror = [39, 38, 37, 36, 41, 40]
        for k in 0..<6 { p[42 + k] = SIMD2(-eye[mirror[k] - 36].x, eye[mirror[k] - 36].y) }
        // Outer lips 48–59: right corner, upper lip to the left corner (54), lower lip back.
        let outer: [SIMD2<Double>] = [
            SIMD2(-0.31, 0.80), SIMD2(-0.20, 0.74), SIMD2(-0.08, 0.705), SIMD2(0, 0.715), SIMD2(0.08, 0.705),
            SIMD2(0.20, 0.74), SIMD2(0.31, 0.80), SIMD2(0.20, 0.875), SIMD2(0.09, 0.905), SIMD2(0, 0.91),
            SIMD2(-0.09, 0.905), SIMD2(-0.20, 0.875),
        ]
        for k in 0..<12 { p[48 + k] = outer[k] }
        // Inner lips 60–67: right corner, upper inner lip, left corner, lower inner lip (mouth closed).
        let inner: [SIMD2<Double>] = [
            SIMD2(-0.26, 0.80), SIMD2(-0.10, 0.785), SIMD2(0, 0.788), SIMD2(0.10, 0.785), SIMD2(0.26, 0.80),
            SIMD2(0.10, 0.815), SIMD2(0, 0.818), SIMD2(-0.10, 0.815),
        ]
        for k in 0..<8 { p[60 + k] = inner[k] }
        return p
    }()

    /// The template as Float points.
    public static var floatPoints: [SIMD2<Float>] { points.map { SIMD2(Float($0.x), Float($0.y)) } }
}
