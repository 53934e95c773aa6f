import EmoMusikCore
import Foundation
import Statistics

/// The analysis of a blind rating study: agreement (ICC) per item, matching accuracy overall and
/// per subgroup, per-condition means, and the confusion of intended and heard emotions.
public struct StudyAnalysis: Codable, Sendable {
    public struct Counts: Codable, Sendable {
        public var clips: Int
        public var raters: Int
        public var ratings: Int
    }

    public struct MissingRating: Codable, Sendable, Equatable {
        public var clip: String
        public var rater: String

        public init(clip: String, rater: String) {
            self.clip = clip
            self.rater = rater
        }
    }

    /// Whether every rater rated every clip, what is missing, and the complete subset the ICC uses.
    public struct Design: Codable, Sendable {
        public var complete: Bool
        /// Every (clip, rater) pair of the key's clips and the manifest's raters without a rating.
        public var missing: [MissingRating]
        public var clipsWithoutRatings: [String]
        public var ratersWithoutRatings: [String]
        /// Left out of the ICC to make the table complete (including those without any rating).
        public var clipsDropped: [String]
        public var ratersDropped: [String]
        public var clipsAnalysed: Int
        public var ratersAnalysed: Int
    }

    public struct Item: Codable, Sendable {
        /// `rhythm_match` or `emotion_match`.
        public var item: String
        public var mean: Double
        public var icc: ICCAnalysis?
        /// Why there is no ICC (fewer than 2 clips or raters in the complete subset).
        public var iccUnavailable: String?
    }

    public struct Matching: Codable, Sendable {
        public var resampling: ResamplingUnit
        public var overall: GroupMatchingAccuracy
        public var byIntendedEmotion: [GroupMatchingAccuracy]
        public var byStrategy: [GroupMatchingAccuracy]
        /// Clips made without a preset are in the group `(none)`.
        public var byPreset: [GroupMatchingAccuracy]
    }

    public struct Condition: Codable, Sendable {
        public var intendedEmotion: String
        public var strategy: String
        public var preset: String
        public var clips: Int
        public var ratings: Int
        public var rhythmMatch: Estimate?
        public var emotionMatch: Estimate?
        public var accuracy: Estimate?
    }

    /// Rows: intended emotion; columns: heard emotion; both in ``emotions`` order.
    public struct Confusion: Codable, Sendable {
        public var emotions: [String]
        public var counts: [[Int]]
    }

    public var study: String
    public var ratingsFile: String
    public var scale: StudyManifest.Scale
    public var counts: Counts
    public var design: Design
    public var items: [Item]
    public var matching: Matching
    public var conditions: [Condition]
    public var confusion: Confusion
    /// Bootstrap resamples and seed of every interval.
    public var resamples: Int
    public var seed: UInt64
    public var level: Double

    public static let items = ["rhythm_match", "emotion_match"]
    public static let noPreset = "(none)"
}

extension StudyAnalysis {
    /// Analyses `ratings` of the clips in `key` by the raters in `manifest`.
    ///
    /// - Parameters:
    ///   - bootstrap: resamples, seed and level of every interval (BCa, percentile where BCa cannot be formed).
    ///   - resampling: what the bootstrap resamples: whole raters (default), whole clips, or single ratings.
    public static func analyze(
        manifest: StudyManifest, key: [StudyKeyEntry], ratings: [StudyRating], ratingsFile: String,
        bootstrap: Bootstrap = Bootstrap(), resampling: ResamplingUnit = .raters
    ) -> StudyAnalysis {
        precondition(!ratings.isEmpty, "the analysis needs at least one rating")
        let entries = Dictionary(uniqueKeysWithValues: key.map { ($0.clipID, $0) })
        let clipOrder = key.map(\.clipID)
        var raterOrder = manifest.raters.map(\.id)
        for r in ratings where !raterOrder.contains(r.rater) { raterOrder.append(r.rater) }

        let design = completeSubset(clips: clipOrder, raters: raterOrder, rated: Set(ratings.map { Pair(clip: $0.clip, rater: $0.rater) }))
        let keptClips = clipOrder.filter { !design.clipsDropped.contains($0) }
        let keptRaters = raterOrder.filter { !design.ratersDropped.contains($0) }
        var cell: [Pair: StudyRating] = [:]
        for r in ratings { cell[Pair(clip: r.clip, rater: r.rater)] = r }

        let items = Self.items.map { item -> Item in
            let value: (StudyRating) -> Int = item == "rhythm_match" ? { $0.rhythmMatch } : { $0.emotionMatch }
            let mean = Double(ratings.map(value).reduce(0, +)) / Double(ratings.count)
            guard keptClips.count >= 2, keptRaters.count >= 2 else {
                return Item(
                    item: item, mean: mean, icc: nil,
                    iccUnavailable: "the ICC needs at least 2 clips each rated by the same 2 or more raters; the complete subset has "
                        + "\(keptClips.count) clip(s) × \(keptRaters.count) rater(s)")
            }
            let values = keptClips.map { c in keptRaters.map { r in Double(value(cell[Pair(clip: c, rater: r)]!)) } }
            let matrix = RatingMatrix(targets: keptClips, raters: keptRaters, values: values)
            do {
                return Item(item: item, mean: mean, icc: try IntraclassCorrelation.analyze(matrix, level: bootstrap.level), iccUnavailable: nil)
            } catch let error as EmoMusikError {
                return Item(item: item, mean: mean, icc: nil, iccUnavailable: error.message)  // no variance to apportion
            } catch {
                return Item(item: item, mean: mean, icc: nil, iccUnavailable: "\(error)")
            }
        }

        func answers(_ group: (StudyKeyEntry) -> String?) -> [MatchingRating] {
            ratings.map { r in
                let entry = entries[r.clip]!
                return MatchingRating(rater: r.rater, clip: r.clip, intended: entry.intended.rawValue, chosen: r.heard.rawValue, group: group(entry))
            }
        }
        let byEmotion = MatchingAccuracy.analyze(answers { $0.intended.rawValue }, resampling: resampling, bootstrap: bootstrap)
        let byStrategy = MatchingAccuracy.analyze(answers { $0.strategy }, resampling: resampling, bootstrap: bootstrap)
        let byPreset = MatchingAccuracy.analyze(answers { $0.preset.isEmpty ? noPreset : $0.preset }, resampling: resampling, bootstrap: bootstrap)
        // Groups in a stable order: emotions in Emotion order, the others in key order.
        let emotionGroups = Emotion.allCases.compactMap { e in byEmotion.groups.first { $0.group == e.rawValue } }
        let matching = Matching(
            resampling: resampling, overall: byEmotion.overall, byIntendedEmotion: emotionGroups,
            byStrategy: byStrategy.groups, byPreset: byPreset.groups)

        // Per condition (intended emotion × strategy × preset; seeds pooled).
        var conditionOrder: [ConditionKey] = []
        for entry in key {
            let k = ConditionKey(emotion: entry.intended, strategy: entry.strategy, preset: entry.preset)
            if !conditionOrder.contains(k) { conditionOrder.append(k) }
        }
        // Emotions in Emotion order; within one, the key's order.
        conditionOrder = conditionOrder.enumerated().sorted { a, b in
            let ea = Emotion.allCases.firstIndex(of: a.element.emotion)!, eb = Emotion.allCases.firstIndex(of: b.element.emotion)!
            return (ea, a.offset) < (eb, b.offset)
        }.map(\.element)
        let conditions = conditionOrder.map { k -> Condition in
            let clips = key.filter { ConditionKey(emotion: $0.intended, strategy: $0.strategy, preset: $0.preset) == k }.map(\.clipID)
            let clipSet = Set(clips)
            let subset = ratings.filter { clipSet.contains($0.clip) }
            var condition = Condition(
                intendedEmotion: k.emotion.rawValue, strategy: k.strategy, preset: k.preset, clips: clips.count,
                ratings: subset.count, rhythmMatch: nil, emotionMatch: nil, accuracy: nil)
            guard !subset.isEmpty else { return condition }
            let units = subset.map { r in
                switch resampling {
                case .raters: r.rater
                case .clips: r.clip
                case .ratings: "\(r.rater)\u{0}\(r.clip)"
                }
            }
            func estimate(_ values: [Double]) -> Estimate {
                bootstrap.run(clusters: units) { SampleStatistic.mean(values, $0) }.interval(.bca)
            }
            condition.rhythmMatch = estimate(subset.map { Double($0.rhythmMatch) })
            condition.emotionMatch = estimate(subset.map { Double($0.emotionMatch) })
            condition.accuracy = estimate(subset.map { $0.heard == k.emotion ? 1 : 0 })
            return condition
        }

        var counts = Array(repeating: Array(repeating: 0, count: Emotion.allCases.count), count: Emotion.allCases.count)
        for r in ratings {
            counts[Emotion.allCases.firstIndex(of: entries[r.clip]!.intended)!][Emotion.allCases.firstIndex(of: r.heard)!] += 1
        }
        return StudyAnalysis(
            study: manifest.study, ratingsFile: ratingsFile, scale: manifest.scale,
            counts: Counts(clips: Set(ratings.map(\.clip)).count, raters: Set(ratings.map(\.rater)).count, ratings: ratings.count),
            design: design, items: items, matching: matching, conditions: conditions,
            confusion: Confusion(emotions: Emotion.allCases.map(\.rawValue), counts: counts),
            resamples: bootstrap.resamples, seed: bootstrap.seed, level: bootstrap.level)
    }

    struct Pair: Hashable {
        var clip: String
        var rater: String
    }

    struct ConditionKey: Hashable {
        var emotion: Emotion
        var strategy: String
        var preset: String
    }

    /// Which (clip, rater) pairs lack a rating, and a complete clips × raters subset for the ICC:
    /// clips and raters without any rating go first; then, while a gap remains, the clip or rater
    /// with the largest share of missing ratings is dropped (on a tie, the one whose removal loses
    /// fewer ratings; then a clip rather than a rater).
    static func completeSubset(clips: [String], raters: [String], rated: Set<Pair>) -> Design {
        let missing = clips.flatMap { c in raters.compactMap { r in rated.contains(Pair(clip: c, rater: r)) ? nil : MissingRating(clip: c, rater: r) } }
        let clipsWithout = clips.filter { c in !raters.contains { rated.contains(Pair(clip: c, rater: $0)) } }
        let ratersWithout = raters.filter { r in !clips.contains { rated.contains(Pair(clip: $0, rater: r)) } }
        var keepClips = clips.filter { !clipsWithout.contains($0) }
        var keepRaters = raters.filter { !ratersWithout.contains($0) }
        var droppedClips = clipsWithout
        var droppedRaters = ratersWithout
        while !keepClips.isEmpty, !keepRaters.isEmpty {
            let clipGaps = keepClips.map { c in keepRaters.filter { !rated.contains(Pair(clip: c, rater: $0)) }.count }
            let raterGaps = keepRaters.map { r in keepClips.filter { !rated.contains(Pair(clip: $0, rater: r)) }.count }
            guard clipGaps.contains(where: { $0 > 0 }) else { break }
            // Worst clip and worst rater by share missing, then fewest ratings lost.
            func worst(_ gaps: [Int], of total: Int) -> (index: Int, share: Double, lost: Int) {
                let i = gaps.indices.max { a, b in gaps[a] != gaps[b] ? gaps[a] < gaps[b] : a > b }!
                return (i, Double(gaps[i]) / Double(total), total - gaps[i])
            }
            let c = worst(clipGaps, of: keepRaters.count)
            let r = worst(raterGaps, of: keepClips.count)
            if r.share > c.share || (r.share == c.share && r.lost < c.lost) {
                droppedRaters.append(keepRaters.remove(at: r.index))
            } else {
                droppedClips.append(keepClips.remove(at: c.index))
            }
        }
        return Design(
            complete: missing.isEmpty, missing: missing, clipsWithoutRatings: clipsWithout, ratersWithoutRatings: ratersWithout,
            clipsDropped: droppedClips, ratersDropped: droppedRaters, clipsAnalysed: keepClips.count,
            ratersAnalysed: keepRaters.count)
    }
}

// MARK: Loading and reporting

extension StudyAnalysis {
    /// Reads `directory`'s manifest and key and the ratings (`ratingsPath`, default
    /// `directory/ratings.csv`), checks them, and analyses them.
    public static func analyze(
        directory: String, ratingsPath: String? = nil, bootstrap: Bootstrap = Bootstrap(), resampling: ResamplingUnit = .raters
    ) throws -> StudyAnalysis {
        let manifest = try StudyManifest.load(directory: directory)
        let key = try StudyKey.load(directory: directory)
        let path = ratingsPath ?? (directory as NSString).appendingPathComponent(StudyRatings.defaultFileName)
        let ratings = try StudyRatings.load(
            path: path, clips: Set(key.map(\.clipID)), raters: manifest.raters.map(\.id), scale: manifest.scaleRange)
        return analyze(manifest: manifest, key: key, ratings: ratings, ratingsFile: path, bootstrap: bootstrap, resampling: resampling)
    }

    /// Pretty-printed JSON with sorted keys; figures that could not be formed are written as "NaN".
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// The report as text for a terminal.
    public func text() -> String {
        let percent = level * 100 == (level * 100).rounded() ? String(Int(level * 100)) : String(format: "%.1f", level * 100)
        var out: [String] = []
        out.append("Study \"\(study)\": \(counts.ratings) ratings of \(counts.clips) clip(s) by \(counts.raters) rater(s) (\(ratingsFile))")
        if design.complete {
            out.append("Design: complete (every rater rated every clip).")
        } else {
            out.append("Design: INCOMPLETE, \(design.missing.count) rating(s) missing: "
                + design.missing.prefix(8).map { "\($0.clip) by \($0.rater)" }.joined(separator: ", ")
                + (design.missing.count > 8 ? ", ..." : ""))
            if !design.clipsWithoutRatings.isEmpty { out.append("  clips without any rating: " + design.clipsWithoutRatings.joined(separator: ", ")) }
            if !design.ratersWithoutRatings.isEmpty { out.append("  raters without any rating: " + design.ratersWithoutRatings.joined(separator: ", ")) }
            out.append("  The ICC uses the complete subset: \(design.clipsAnalysed) clip(s) × \(design.ratersAnalysed) rater(s)"
                + (design.clipsDropped.isEmpty ? "" : "; clips left out: " + design.clipsDropped.joined(separator: ", "))
                + (design.ratersDropped.isEmpty ? "" : "; raters left out: " + design.ratersDropped.joined(separator: ", "))
                + ". Accuracy and means use every rating.")
        }
        for item in items {
            out.append("")
            out.append("\(item.item == "rhythm_match" ? "Rhythm match" : "Emotion match") (\(item.item), scale \(scale.min)–\(scale.max)): mean \(String(format: "%.2f", item.mean))")
            if let icc = item.icc {
                out.append(icc.table().trimmingCharacters(in: .newlines))
            } else {
                out.append("ICC not available: \(item.iccUnavailable ?? "")")
            }
        }
        out.append("")
        out.append("Matching accuracy (heard emotion = intended), \(percent)% bootstrap intervals resampling \(matching.resampling.rawValue), \(resamples) resamples, seed \(seed):")
        func line(_ g: GroupMatchingAccuracy, indent: String) -> String {
            let name = g.group.padding(toLength: max(20, g.group.count + 1), withPad: " ", startingAt: 0)
            return indent + name + String(format: "%.3f  [%.3f, %.3f] ", g.accuracy.value, g.accuracy.lower, g.accuracy.upper)
                + g.accuracy.method.rawValue + "  \(g.matches)/\(g.ratings)"
        }
        out.append(line(matching.overall, indent: "  "))
        for (title, groups) in [("intended emotion", matching.byIntendedEmotion), ("strategy", matching.byStrategy), ("preset", matching.byPreset)] {
            out.append("  by \(title):")
            for g in groups { out.append(line(g, indent: "    ")) }
        }
        out.append("")
        out.append("Per condition (seeds pooled): mean [\(percent)% CI]")
        let header = "  " + "condition".padding(toLength: 34, withPad: " ", startingAt: 0) + "clips ratings  "
            + "rhythm_match".padding(toLength: 22, withPad: " ", startingAt: 0) + "emotion_match".padding(toLength: 22, withPad: " ", startingAt: 0) + "accuracy"
        out.append(header)
        func show(_ e: Estimate?, _ digits: Int) -> String {
            guard let e else { return "n/a".padding(toLength: 22, withPad: " ", startingAt: 0) }
            return String(format: "%.\(digits)f [%.\(digits)f, %.\(digits)f]", e.value, e.lower, e.upper).padding(toLength: 22, withPad: " ", startingAt: 0)
        }
        for c in conditions {
            let name = "\(c.intendedEmotion) / " + (c.preset.isEmpty ? c.strategy : "\(c.preset) (\(c.strategy))")
            out.append("  " + name.padding(toLength: max(34, name.count + 1), withPad: " ", startingAt: 0)
                + String(c.clips).padding(toLength: 6, withPad: " ", startingAt: 0) + String(c.ratings).padding(toLength: 9, withPad: " ", startingAt: 0)
                + show(c.rhythmMatch, 2) + show(c.emotionMatch, 2) + show(c.accuracy, 3).trimmingCharacters(in: .whitespaces))
        }
        out.append("")
        out.append("Confusion (rows: intended, columns: heard):")
        let short = confusion.emotions.map { String($0.prefix(5)) }
        out.append("  " + "".padding(toLength: 10, withPad: " ", startingAt: 0) + short.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
        for (i, row) in confusion.counts.enumerated() where row.contains(where: { $0 > 0 }) {
            out.append("  " + confusion.emotions[i].padding(toLength: 10, withPad: " ", startingAt: 0)
                + row.map { String($0).padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
        }
        return out.joined(separator: "\n") + "\n"
    }
}
