import Foundation
import Testing

/// The directory of this file's fixtures, found from the source path (not bundled as resources).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func fixturePath(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// The reference numbers written by scripts/reference_stats.py.
var reference: [String: Any] {
    let data = FileManager.default.contents(atPath: fixturePath("reference.json"))!
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}

func referenceList(_ key: String) -> [[String: Any]] { reference[key] as! [[String: Any]] }

func double(_ object: [String: Any], _ key: String) -> Double { (object[key] as! NSNumber).doubleValue }

/// |actual − expected| ≤ relative · |expected| + absolute.
func expectClose(
    _ actual: Double, _ expected: Double, relative: Double = 0, absolute: Double = 0,
    _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    let tolerance = relative * abs(expected) + absolute
    #expect(abs(actual - expected) <= tolerance,
            "\(what()): \(actual) vs expected \(expected) (tolerance \(tolerance))", sourceLocation: sourceLocation)
}
