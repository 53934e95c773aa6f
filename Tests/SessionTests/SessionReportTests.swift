import EmoMusikCore
import Foundation
import Sessions
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Session report: a self-contained HTML page with SVG plots")
struct SessionReportTests {
    final class Checker: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            for (key, value) in attributes where key == "href" || key == "src" { text += "[external \(value)]" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    @Test("the report holds the plots, the decision reasons, the faults and warnings, and parses as XML")
    func report() throws {
        let memory = MemoryLogSink()
        _ = try SessionLogTests.runSession(to: memory, duration: 30)
        let html = SessionReport(contents: SessionLog.Contents(events: memory.events), title: "test <session> & co").html

        let checker = Checker()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = checker
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        #expect(checker.elements["svg", default: 0] == 4)  // affect, tempo, mode, loudness
        #expect(checker.elements["polyline", default: 0] >= 6)
        #expect(checker.elements["script"] == nil && checker.elements["link"] == nil && checker.elements["img"] == nil)
        #expect(!checker.text.contains("[external"))
        for heading in ["Summary", "The strategy's decisions", "Faults and warnings", "Child's affect", "Tempo (BPM)", "Mode", "Loudness"] {
            #expect(checker.text.contains(heading), "missing \(heading)")
        }
        for reason in ["matching the child", "leading toward target"] { #expect(checker.text.contains(reason)) }
        #expect(checker.text.contains("recognizer-threw"))
        #expect(checker.text.contains("face-lost"))
        #expect(checker.text.contains("test <session> & co"))  // escaped in the page, text again when parsed
        #expect(checker.text.contains("Calm down"))
    }

    @Test("an empty session still gives a readable page")
    func emptySession() throws {
        let start = try SessionFixtures.start(preset: nil, presetFile: nil, strategy: "mirror")
        let html = SessionReport(contents: SessionLog.Contents(events: [.start(start)]), title: "empty").html
        let parser = XMLParser(data: Data(html.utf8))
        #expect(parser.parse())
        #expect(html.contains("No face was seen."))
        #expect(html.contains("No decisions were logged."))
    }
}
