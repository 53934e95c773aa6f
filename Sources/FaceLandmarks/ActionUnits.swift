import EmoMusikCore

/// FACS action units used by the synthetic generator, each a displacement field on the landmarks of
/// the canonical face (``CanonicalFace``, face units: inter-ocular distance 1, y downwards) at full
/// intensity. Fields are given for the subject's right side (image left) and mirrored.
public enum ActionUnit: Int, CaseIterable, Sendable, CustomStringConvertible {
    case au1 = 1, au2 = 2, au4 = 4, au5 = 5, au6 = 6, au7 = 7, au9 = 9, au12 = 12, au15 = 15, au16 = 16,
        au20 = 20, au23 = 23, au26 = 26

    public var description: String { "AU\(rawValue)" }

    /// The FACS name.
    public var name: String {
        switch self {
        case .au1: "inner brow raiser"
        case .au2: "outer brow raiser"
        case .au4: "brow lowerer"
        case .au5: "upper lid raiser"
        case .au6: "cheek raiser"
        case .au7: "lid tightener"
        case .au9: "nose wrinkler"
        case .au12: "lip corner puller"
        case .au15: "lip corner depressor"
        case .au16: "lower lip depressor"
        case .au20: "lip stretcher"
        case .au23: "lip tightener"
        case .au26: "jaw drop"
        }
    }

    /// Displacements at full intensity for the right half and the midline: (landmark, dx, dy).
    /// Right-half entries are mirrored to the left (dx negated); midline entries apply once.
    /// Up is −y; outward on the right half is −x.
    public var rightHalfField: [(Int, Double, Double)] {
        switch self {
        case .au1: [(21, 0, -0.11), (20, 0, -0.08), (19, 0, -0.04), (18, 0, -0.015)]
        case .au2: [(17, 0, -0.09), (18, 0, -0.10), (19, 0, -0.06), (20, 0, -0.02)]
        case .au4:
            [(17, 0, 0.03), (18, 0.01, 0.05), (19, 0.02, 0.07), (20, 0.04, 0.08), (21, 0.06, 0.08),
             (37, 0, 0.012), (38, 0, 0.012)]
        case .au5: [(37, 0, -0.04), (38, 0, -0.045)]
        case .au6: [(40, 0, -0.02), (41, 0, -0.025), (1, -0.01, -0.015), (2, -0.01, -0.015), (48, -0.01, -0.015), (17, 0, 0.015)]
        case .au7: [(40, 0, -0.025), (41, 0, -0.03), (37, 0, 0.01), (38, 0, 0.012), (39, -0.005, 0)]
        case .au9:
            [(31, 0.01, -0.05), (32, 0, -0.045), (33, 0, -0.04), (29, 0, -0.02), (30, 0, -0.03),
             (21, 0.02, 0.05), (20, 0.01, 0.03), (49, 0, -0.03), (50, 0, -0.035), (51, 0, -0.035),
             (61, 0, -0.03), (62, 0, -0.03), (40, 0, -0.015), (41, 0, -0.015)]
        case .au12:
            [(48, -0.07, -0.08), (60, -0.06, -0.07), (49, -0.03, -0.035), (59, -0.035, -0.04),
             (61, -0.01, -0.02), (67, -0.01, -0.02), (50, 0, -0.01), (58, 0, -0.01), (41, 0, -0.01)]
        case .au15:
            [(48, -0.015, 0.07), (60, -0.01, 0.06), (49, 0, 0.025), (59, 0, 0.03), (61, 0, 0.01), (67, 0, 0.015)]
        case .au16: [(57, 0, 0.07), (58, 0, 0.065), (59, -0.005, 0.045), (66, 0, 0.06), (67, 0, 0.05)]
        case .au20:
            [(48, -0.09, 0.015), (60, -0.08, 0.01), (49, -0.04, 0.005), (59, -0.045, 0), (61, -0.02, 0),
             (67, -0.02, 0), (4, -0.01, 0), (5, -0.01, 0)]
        case .au23:
            [(48, 0.04, 0), (60, 0.035, 0), (49, 0.015, 0.02), (50, 0, 0.025), (51, 0, 0.025), (59, 0.015, -0.02),
             (58, 0, -0.025), (57, 0, -0.025), (61, 0, 0.005), (62, 0, 0.005), (67, 0, -0.005), (66, 0, -0.005)]
        case .au26:
            [(59, 0, 0.18), (58, 0, 0.20), (57, 0, 0.21), (67, 0, 0.19), (66, 0, 0.20), (48, 0.01, 0.08),
             (60, 0.01, 0.08), (49, 0, 0.01), (61, 0, 0.01), (8, 0, 0.22), (7, 0, 0.21), (6, 0.01, 0.18),
             (5, 0.01, 0.14), (4, 0.01, 0.09), (3, 0.005, 0.05), (2, 0, 0.02)]
        }
    }

    /// The full displacement field, 68 vectors, at intensity 1.
    public var field: [SIMD2<Double>] {
        var d = [SIMD2<Double>](repeating: .zero, count: FaceLayout.count)
        for (i, dx, dy) in rightHalfField {
            d[i] += SIMD2(dx, dy)
            let m = FaceLayout.mirror[i]
            if m != i { d[m] += SIMD2(-dx, dy) }
        }
        return d
    }

    /// ``field`` for every unit, computed once.
    static let fields: [ActionUnit: [SIMD2<Double>]] = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.field) })
}

extension FaceLayout {
    /// The landmark's mirror image across the face's midline (midline points map to themselves).
    public static let mirror: [Int] = {
        var m = Array(0..<count)
        func pair(_ a: Int, _ b: Int) {
            m[a] = b
            m[b] = a
        }
        for i in 0...7 { pair(i, 16 - i) }
        for k in 0...4 { pair(17 + k, 26 - k) }
        pair(31, 35)
        pair(32, 34)
        for (a, b) in [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)] { pair(a, b) }
        for (a, b) in [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)] { pair(a, b) }
        for (a, b) in [(60, 64), (61, 63), (65, 67)] { pair(a, b) }
        return m
    }()
}

extension Emotion {
    /// The prototypical action units of the class (DESIGN.md section 6); none for neutral.
    public var actionUnits: [ActionUnit] {
        switch self {
        case .neutral: []
        case .happiness: [.au6, .au12]
        case .sadness: [.au1, .au4, .au15]
        case .surprise: [.au1, .au2, .au5, .au26]
        case .fear: [.au1, .au2, .au4, .au5, .au20, .au26]
        case .anger: [.au4, .au5, .au7, .au23]
        case .disgust: [.au9, .au15, .au16]
        }
    }

    /// The unit the child domain never drops from a partial expression (nil for neutral).
    public var keyActionUnit: ActionUnit? {
        switch self {
        case .neutral: nil
        case .happiness: .au12
        case .sadness: .au15
        case .surprise: .au26
        case .fear: .au20
        case .anger: .au4
        case .disgust: .au9
        }
    }
}
