/// The face graph: the 68 landmarks as nodes; edges along the facial contours plus a Delaunay
/// triangulation of the canonical face (``CanonicalFace``), united and made symmetric.
public struct FaceGraph: Sendable {
    /// Undirected edges (i < j), sorted.
    public let edges: [Edge]
    /// Dense 68 × 68 adjacency without self loops, row-major, 0 or 1.
    public let adjacency: [Float]

    public struct Edge: Hashable, Sendable, Comparable {
        public var a: Int
        public var b: Int
        public init(_ a: Int, _ b: Int) {
            precondition(a != b, "an edge needs two different nodes")
            self.a = min(a, b)
            self.b = max(a, b)
        }
        public static func < (l: Edge, r: Edge) -> Bool { (l.a, l.b) < (r.a, r.b) }
    }

    /// The standard graph: contours ∪ Delaunay(canonical face).
    /// The template is symmetric, so many of its quadruples are concyclic (every mirrored pair of
    /// pairs is an isosceles trapezoid); a fixed 1e-5 perturbation makes the triangulation unique.
    public static let standard = FaceGraph(
        edges: contourEdges.union(delaunayEdges(triangulationPoints)))

    /// The canonical face, perturbed by at most 1e-5 so that no four points are concyclic.
    public static let triangulationPoints: [SIMD2<Double>] = CanonicalFace.points.enumerated().map { i, p in
        p + SIMD2(1e-6 * Double((i * 37) % 17 - 8), 1e-6 * Double((i * 53) % 19 - 9))
    }

    public init(edges: Set<Edge>) {
        self.edges = edges.sorted()
        let n = FaceLayout.count
        var a = [Float](repeating: 0, count: n * n)
        for e in edges {
            a[e.a * n + e.b] = 1
            a[e.b * n + e.a] = 1
        }
        adjacency = a
    }

    /// D^-1/2 (A + I) D^-1/2 as a dense 68 × 68 row-major matrix, D the degree matrix of A + I.
    public var normalisedAdjacency: [Float] {
        let n = FaceLayout.count
        var withLoops = adjacency
        for i in 0..<n { withLoops[i * n + i] = 1 }
        let degree = (0..<n).map { i in withLoops[(i * n)..<((i + 1) * n)].reduce(0, +) }
        let inverseRoot = degree.map { 1 / $0.squareRoot() }
        var result = withLoops
        for i in 0..<n {
            for j in 0..<n { result[i * n + j] = inverseRoot[i] * withLoops[i * n + j] * inverseRoot[j] }
        }
        return result
    }

    /// Neighbours of each node (without itself).
    public var neighbours: [[Int]] {
        let n = FaceLayout.count
        return (0..<n).map { i in (0..<n).filter { adjacency[i * n + $0] != 0 } }
    }

    /// Chains along the jaw, brows, nose bridge and base; closed rings round each eye and each lip.
    public static let contourEdges: Set<Edge> = {
        var edges = Set<Edge>()
        func chain(_ nodes: [Int], closed: Bool) {
            for k in 0..<(nodes.count - 1) { edges.insert(Edge(nodes[k], nodes[k + 1])) }
            if closed { edges.insert(Edge(nodes[nodes.count - 1], nodes[0])) }
        }
        chain(FaceLayout.jaw, closed: false)
        chain(FaceLayout.rightBrow, closed: false)
        chain(FaceLayout.leftBrow, closed: false)
        chain(FaceLayout.noseBridge, closed: false)
        chain([30] + FaceLayout.noseBase, closed: false)  // tip to the base's right end, along the base
        edges.insert(Edge(30, 35))
        chain(FaceLayout.rightEye, closed: true)
        chain(FaceLayout.leftEye, closed: true)
        chain(FaceLayout.outerLips, closed: true)
        chain(FaceLayout.innerLips, closed: true)
        return edges
    }()

    /// Edges of the Delaunay triangulation of `points` (Bowyer–Watson).
    public static func delaunayEdges(_ points: [SIMD2<Double>]) -> Set<Edge> {
        var edges = Set<Edge>()
        for t in delaunayTriangles(points) {
            edges.insert(Edge(t.0, t.1))
            edges.insert(Edge(t.1, t.2))
            edges.insert(Edge(t.2, t.0))
        }
        return edges
    }

    /// Triangles (counter-clockwise in a y-up frame) of the Delaunay triangulation of `points`, by
    /// Bowyer–Watson: start from a super-triangle holding every point, insert the points one by
    /// one, remove the triangles whose circumcircle holds the new point, and re-triangulate the
    /// hole's boundary from the new point; finally drop triangles touching the super-triangle.
    public static func delaunayTriangles(_ points: [SIMD2<Double>]) -> [(Int, Int, Int)] {
        precondition(points.count >= 3, "a triangulation needs at least 3 points")
        var minP = points[0]
        var maxP = points[0]
        for p in points {
            minP = SIMD2(min(minP.x, p.x), min(minP.y, p.y))
            maxP = SIMD2(max(maxP.x, p.x), max(maxP.y, p.y))
        }
        let span = max(maxP.x - minP.x, maxP.y - minP.y)
        let mid = (minP + maxP) / 2
        var all = points
        let n = points.count
        all.append(SIMD2(mid.x - 20 * span, mid.y - span))
        all.append(SIMD2(mid.x, mid.y + 20 * span))
        all.append(SIMD2(mid.x + 20 * span, mid.y - span))

        struct Triangle {
            var a: Int, b: Int, c: Int
            var centre: SIMD2<Double>
            var radius2: Double
        }
        func make(_ a: Int, _ b: Int, _ c: Int) -> Triangle {
            var (a, b, c) = (a, b, c)
            if cross(all[b] - all[a], all[c] - all[a]) < 0 { swap(&b, &c) }
            let (centre, r2) = circumcircle(all[a], all[b], all[c])
            return Triangle(a: a, b: b, c: c, centre: centre, radius2: r2)
        }
        var triangles = [make(n, n + 1, n + 2)]
        for i in 0..<n {
            let p = all[i]
            var bad: [Triangle] = []
            var keep: [Triangle] = []
            for t in triangles {
                let d = p - t.centre
                if d.x * d.x + d.y * d.y < t.radius2 * (1 - 1e-12) { bad.append(t) } else { keep.append(t) }
            }
            // Boundary of the hole: edges of bad triangles that no other bad triangle shares.
            var count: [Edge: Int] = [:]
            var directed: [(Int, Int)] = []
            for t in bad {
                for (u, v) in [(t.a, t.b), (t.b, t.c), (t.c, t.a)] {
                    count[Edge(u, v), default: 0] += 1
                    directed.append((u, v))
                }
            }
            for (u, v) in directed where count[Edge(u, v)] == 1 { keep.append(make(u, v, i)) }
            triangles = keep
        }
        return triangles.filter { $0.a < n && $0.b < n && $0.c < n }.map { ($0.a, $0.b, $0.c) }
    }

    private static func cross(_ u: SIMD2<Double>, _ v: SIMD2<Double>) -> Double { u.x * v.y - u.y * v.x }

    private static func circumcircle(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD2<Double>) -> (SIMD2<Double>, Double) {
        let d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y))
        let a2 = a.x * a.x + a.y * a.y
        let b2 = b.x * b.x + b.y * b.y
        let c2 = c.x * c.x + c.y * c.y
        let centre = SIMD2(
            (a2 * (b.y - c.y) + b2 * (c.y - a.y) + c2 * (a.y - b.y)) / d,
            (a2 * (c.x - b.x) + b2 * (a.x - c.x) + c2 * (b.x - a.x)) / d)
        let r = a - centre
        return (centre, r.x * r.x + r.y * r.y)
    }
}
