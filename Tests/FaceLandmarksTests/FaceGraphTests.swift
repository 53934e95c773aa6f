import FaceLandmarks
import Testing

@Suite("Face graph")
struct FaceGraphTests {
    let graph = FaceGraph.standard
    let n = 68

    @Test func adjacencyIsSymmetricWithoutSelfLoopsAndHoldsTheContours() {
        for i in 0..<n {
            #expect(graph.adjacency[i * n + i] == 0)
            for j in 0..<n { #expect(graph.adjacency[i * n + j] == graph.adjacency[j * n + i]) }
        }
        for e in FaceGraph.contourEdges { #expect(graph.adjacency[e.a * n + e.b] == 1) }
        // Closed rings: eyes and both lips; open chains: jaw ends are not joined by the contours.
        for (a, b) in [(36, 41), (42, 47), (48, 59), (60, 67), (16, 15), (26, 25)] {
            #expect(FaceGraph.contourEdges.contains(FaceGraph.Edge(a, b)))
        }
        #expect(!FaceGraph.contourEdges.contains(FaceGraph.Edge(0, 16)))
        #expect(graph.edges.count == Set(graph.edges).count)
    }

    @Test func graphIsOneComponent() {
        var seen = Set([0])
        var queue = [0]
        let neighbours = graph.neighbours
        while let node = queue.popLast() {
            for m in neighbours[node] where seen.insert(m).inserted { queue.append(m) }
        }
        #expect(seen.count == n)
        #expect(neighbours.allSatisfy { $0.count >= 2 })
    }

    @Test func normalisedAdjacencySanity() {
        let a = graph.normalisedAdjacency
        #expect(a.count == n * n)
        let degree = (0..<n).map { i in Float(graph.neighbours[i].count + 1) }  // rows of A + I
        for i in 0..<n {
            #expect(abs(a[i * n + i] - 1 / degree[i]) < 1e-6)  // the self loop, scaled
            for j in 0..<n {
                #expect(a[i * n + j] == a[j * n + i])
                #expect(a[i * n + j] >= 0 && a[i * n + j] <= 1)
            }
        }
        // D^1/2 · 1 is an eigenvector with eigenvalue 1, the largest: Â v = v.
        let v = degree.map { $0.squareRoot() }
        for i in 0..<n {
            var sum: Float = 0
            for j in 0..<n { sum += a[i * n + j] * v[j] }
            #expect(abs(sum - v[i]) < 1e-4)
        }
        // Power iteration from an unrelated start: the spectral radius is 1 (within tolerance).
        var x = (0..<n).map { Float(($0 * 7) % 11) - 5 }
        var norm: Float = 0
        for _ in 0..<300 {
            var y = [Float](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { y[i] += a[i * n + j] * x[j] } }
            norm = y.map { $0 * $0 }.reduce(0, +).squareRoot()
            x = y.map { $0 / norm }
        }
        #expect(abs(norm - 1) < 1e-3)
    }

    @Test func bowyerWatsonGivesAValidDelaunayTriangulation() {
        let points = FaceGraph.triangulationPoints
        let triangles = FaceGraph.delaunayTriangles(points)
        let hull = convexHull(points)
        // A triangulation of n points with h on the hull has 2n − 2 − h triangles...
        #expect(triangles.count == 2 * points.count - 2 - hull.count)
        // ...covering the hull exactly once.
        func area(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD2<Double>) -> Double {
            ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)) / 2
        }
        let covered = triangles.map { abs(area(points[$0.0], points[$0.1], points[$0.2])) }.reduce(0, +)
        let hullArea = (1..<(hull.count - 1)).map { abs(area(points[hull[0]], points[hull[$0]], points[hull[$0 + 1]])) }.reduce(0, +)
        #expect(abs(covered - hullArea) < 1e-9)
        // The empty-circumcircle property.
        for t in triangles {
            let (a, b, c) = (points[t.0], points[t.1], points[t.2])
            let d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y))
            let centre = SIMD2(
                ((a.x * a.x + a.y * a.y) * (b.y - c.y) + (b.x * b.x + b.y * b.y) * (c.y - a.y) + (c.x * c.x + c.y * c.y) * (a.y - b.y)) / d,
                ((a.x * a.x + a.y * a.y) * (c.x - b.x) + (b.x * b.x + b.y * b.y) * (a.x - c.x) + (c.x * c.x + c.y * c.y) * (b.x - a.x)) / d)
            let r2 = (a - centre).x * (a - centre).x + (a - centre).y * (a - centre).y
            for (k, p) in points.enumerated() where ![t.0, t.1, t.2].contains(k) {
                let q = p - centre
                #expect(q.x * q.x + q.y * q.y >= r2 * (1 - 1e-9), "point \(k) inside the circumcircle of \(t)")
            }
        }
        // A square's triangulation has two triangles and five edges.
        let square = FaceGraph.delaunayEdges([SIMD2(0, 0), SIMD2(1, 0), SIMD2(1, 1.01), SIMD2(0, 1)])
        #expect(square.count == 5)
    }

    /// Andrew's monotone chain; indices of the hull's vertices.
    func convexHull(_ p: [SIMD2<Double>]) -> [Int] {
        let order = p.indices.sorted { (p[$0].x, p[$0].y) < (p[$1].x, p[$1].y) }
        func cross(_ o: Int, _ a: Int, _ b: Int) -> Double {
            (p[a].x - p[o].x) * (p[b].y - p[o].y) - (p[a].y - p[o].y) * (p[b].x - p[o].x)
        }
        var lower: [Int] = []
        for i in order {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], i) <= 0 { lower.removeLast() }
            lower.append(i)
        }
        var upper: [Int] = []
        for i in order.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], i) <= 0 { upper.removeLast() }
            upper.append(i)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
