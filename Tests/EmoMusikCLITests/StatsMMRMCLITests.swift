import Foundation
import Testing

/// `emomusik stats mmrm`: the tables, the JSON, and errors a user can act on.
@Suite("CLI: stats mmrm")
struct StatsMMRMCLITests {
    static let tiny = """
        subject,group,visit,score
        b1,control,pre,1.2
        b1,control,post,1.5
        b2,control,pre,1.6
        b2,control,post,1.7
        b3,control,pre,1.1
        b3,control,post,1.6
        a1,music,pre,1.0
        a1,music,post,2.4
        a2,music,pre,1.3
        a2,music,post,2.5
        a3,music,pre,1.54
        a3,music,post,2.72

        """

    @Test("the table reports the fit, contrasts and percent improvement")
    func table() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("tiny.csv", Self.tiny)
        let result = try CLI.run(["stats", "mmrm", path])
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("MMRM: 6 subjects (control 3, music 3), 12 observations at 2 visits (pre: 6, post: 6)"))
        #expect(out.contains("music − control at post"))
        #expect(out.contains("+98.44 %"))  // 1.280 → 2.540
        #expect(out.contains("4.00"))  // the closed-form Satterthwaite df
    }

    @Test("JSON carries every section with the same numbers")
    func json() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("tiny.csv", Self.tiny)
        let result = try CLI.run(["stats", "mmrm", path, "--json", "--level", "0.9"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["groups"] as? [String] == ["control", "music"])
        #expect(object["level"] as? Double == 0.9)
        let fit = try #require(object["fit"] as? [String: Any])
        #expect(fit["converged"] as? Bool == true && (fit["iterations"] as? Int ?? 0) >= 1)
        let covariance = try #require(object["covariance"] as? [[Double]])
        #expect(abs(covariance[0][0] - 0.0716) < 1e-9 && abs(covariance[0][1] - 0.0313) < 1e-9)
        let contrasts = try #require(object["groupContrasts"] as? [[String: Any]])
        let post = try #require(contrasts.last)
        #expect(abs((post["estimate"] as! Double) - 0.94) < 1e-12 && abs((post["df"] as! Double) - 4) < 1e-8)
        let percents = try #require(object["percentImprovement"] as? [[String: Any]])
        let music = try #require(percents.first { $0["group"] as? String == "music" })
        #expect(abs((music["observedPercent"] as! Double) - 98.4375) < 1e-10)
        for key in ["fixedEffects", "lsMeans", "changes", "changeDifferences", "correlation"] {
            #expect(object[key] != nil, "\(key)")
        }
    }

    @Test("bad rows are all reported with file and line, and nothing is printed on stdout")
    func badRows() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.csv", "subject,group,visit,score\ns1,a,pre,1\ns1,a,post,n/a\ns1,a,pre,2\ns2,b,pre,1\ns2,b,post,2\n")
        let result = try CLI.run(["stats", "mmrm", path])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("\(path):3:4 (score): 'score' value 'n/a' is not a number"))
        #expect(result.stderr.contains("\(path):4:3 (visit): subject 's1' has visit 'pre' twice (first on line 2)"))
        #expect(result.stderr.contains("group 'a' has 1 subject(s) (s1)"))
        #expect(result.stderr.contains("group 'b' has 1 subject(s) (s2)"))
    }

    @Test("column names and options")
    func options() throws {
        let dir = try TemporaryDirectory()
        let renamed = Self.tiny.replacingOccurrences(of: "subject,group,visit,score", with: "child,arm,time,sdq")
        let path = try dir.write("renamed.csv", renamed)
        let result = try CLI.run([
            "stats", "mmrm", path, "--subject-column", "child", "--group-column", "arm", "--visit-column", "time",
            "--score-column", "sdq", "--reference", "music", "--visits", "pre,post",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("control − music at post"))
        let missing = try CLI.run(["stats", "mmrm", path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no column 'subject' in the header"))
        let contradiction = try CLI.run(["stats", "mmrm", path, "--baseline", "x", "--no-baseline"])
        #expect(contradiction.status != 0)
        #expect(contradiction.stderr.contains("--baseline and --no-baseline contradict each other"))
        let help = try CLI.run(["stats", "mmrm", "--help"])
        #expect(help.stdout.contains("emomusik stats mmrm outcomes.csv --covariate age"))
    }
}
