import Foundation
import XCTest

@testable import StudyServer

/// The few WebDriver (W3C) calls the browser test needs, as JSON over HTTP to chromedriver.
struct WebDriver {
    struct Failure: Error, CustomStringConvertible { var description: String }
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let port: Int
    var session = ""

    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
        let data = body.map { RawHTTP.json($0) } ?? Data()
        let headers = body == nil ? [:] : ["Content-Type": "application/json"]
        let response = try RawHTTP.request(port: port, method: method, target: path, headers: headers, body: data, timeout: 60)
        let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        guard response.status == 200 else {
            throw Failure(description: "WebDriver \(method) \(path) → \(response.status): \(response.text.prefix(600))")
        }
        return object?["value"] ?? nil
    }

    mutating func startSession(binary: String, profile: URL) throws {
        let arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
            "--no-first-run", "--user-data-dir=\(profile.path)",
        ]
        let capabilities: [String: Any] = [
            "capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": ["binary": binary, "args": arguments]]]
        ]
        guard let value = try call("POST", "/session", capabilities) as? [String: Any], let id = value["sessionId"] as? String else {
            throw Failure(description: "no session id")
        }
        session = id
    }

    func go(_ url: String) throws { try call("POST", "/session/\(session)/url", ["url": url]) }

    func element(_ css: String) throws -> String {
        guard let value = try call("POST", "/session/\(session)/element", ["using": "css selector", "value": css]) as? [String: Any],
            let id = value[Self.elementKey] as? String
        else { throw Failure(description: "no element \(css)") }
        return id
    }

    func exists(_ css: String) throws -> Bool {
        let value = try call("POST", "/session/\(session)/elements", ["using": "css selector", "value": css]) as? [Any]
        return !(value ?? []).isEmpty
    }

    func click(_ css: String) throws { try call("POST", "/session/\(session)/element/\(element(css))/click", [:]) }
    func text(_ css: String) throws -> String { try call("GET", "/session/\(session)/element/\(element(css))/text") as? String ?? "" }
    func property(_ css: String, _ name: String) throws -> Any? {
        try call("GET", "/session/\(session)/element/\(element(css))/property/\(name)")
    }
    func endSession() { _ = try? call("DELETE", "/session/\(session)") }
}

/// True once `condition` holds (errors count as not yet), false after `seconds`.
func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if (try? condition()) == true { return true }
        Thread.sleep(forTimeInterval: 0.05)
    } while Date() < deadline
    return false
}

/// A rater in a real headless Chromium (Debian's chromium and chromium-driver) opens the invite,
/// hears each clip, rates every one through the page's own form, and the export holds every rating.
final class BrowserRatingTests: XCTestCase {
    func testRaterRatesEveryClipInHeadlessChromium() throws {
        let chromedriver = "/usr/bin/chromedriver"
        let binary = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard FileManager.default.isExecutableFile(atPath: chromedriver), let binary else {
            throw XCTSkip("chromium and chromium-driver are not installed (scripts/setup.sh --test installs them)")
        }
        let fixture = try StudyFixture.make(clips: 5, raters: 2)
        defer { fixture.remove() }
        let running = try RunningServer(directory: fixture.directory)
        defer { running.stop() }

        let driverPort = freePort()
        let driverProcess = Process()
        driverProcess.executableURL = URL(fileURLWithPath: chromedriver)
        driverProcess.arguments = ["--port=\(driverPort)"]
        driverProcess.standardOutput = FileHandle.nullDevice
        driverProcess.standardError = FileHandle.nullDevice
        try driverProcess.run()
        defer {
            driverProcess.terminate()
            driverProcess.waitUntilExit()
        }
        var driver = WebDriver(port: driverPort)
        let deadline = Date().addingTimeInterval(20)
        while (try? driver.call("GET", "/status")) == nil {
            guard Date() < deadline else { return XCTFail("chromedriver did not start on port \(driverPort)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let profile = fixture.directory.appendingPathComponent("chromium-profile")
        try driver.startSession(binary: binary, profile: profile)
        defer { driver.endSession() }

        let rater = fixture.manifest.raters[0]
        let invite = "http://127.0.0.1:\(running.port)/r/\(rater.token)"
        let emotions = fixture.manifest.emotions
        func answers(_ position: Int) -> (heard: String, rhythm: Int, emotion: Int) {
            (emotions[(position * 3) % emotions.count], position % 7 + 1, (position * 5) % 7 + 1)
        }
        try driver.go(invite)
        for position in 1...5 {
            if position == 3 { try driver.go(invite) }  // the rater comes back later: the page resumes at clip 3
            XCTAssertEqual(try driver.text("#position"), String(position))
            XCTAssertEqual(try driver.text("#total"), "5")
            // The browser loads and decodes the clip from the position URL.
            let loadDeadline = Date().addingTimeInterval(15)
            var readyState = 0
            while Date() < loadDeadline {
                readyState = (try driver.property("#clip", "readyState") as? Int) ?? 0
                if readyState >= 1 { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            XCTAssertGreaterThanOrEqual(readyState, 1, "clip \(position) did not load in the browser")
            let duration = try driver.property("#clip", "duration") as? Double ?? 0
            XCTAssertEqual(duration, 0.25, accuracy: 0.01, "the browser decoded the clip")
            let currentSrc = try driver.property("#clip", "currentSrc") as? String ?? ""
            XCTAssertEqual(currentSrc, "\(invite)/clip/\(position)")

            let a = answers(position)
            try driver.click("#heard_\(a.heard)")
            try driver.click("#rhythm_match_\(a.rhythm)")
            try driver.click("#emotion_match_\(a.emotion)")
            try driver.click("#submit")
            // The submit navigates (POST, 303, GET): wait for the next page before anything else,
            // or a navigation of ours could cancel the post.
            if position < 5 {
                XCTAssertTrue(
                    eventually { try driver.text("#position") == String(position + 1) },
                    "the page did not move on to clip \(position + 1)")
            }
        }
        XCTAssertTrue(eventually { try driver.exists("#done") }, "the thank-you page")
        XCTAssertFalse(try driver.exists("audio"))

        let export = try running.get("/admin/\(fixture.manifest.adminToken)/export.csv")
        let rows = export.text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.count, 5, export.text)
        let order = running.server.orders["r01"]!
        for (index, row) in rows.enumerated() {
            let a = answers(index + 1)
            XCTAssertEqual(Array(row[0..<6]), ["r01", order[index], String(index + 1), String(a.rhythm), String(a.emotion), a.heard])
        }
    }
}
