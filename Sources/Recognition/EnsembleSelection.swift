import Foundation
import Statistics

/// Which networks of a pool make arm (b)'s prediction ensemble, decided from the labelled target
/// validation split alone (the sequences fine-tuning already keeps aside to choose its epoch),
/// never from the test set.
///
/// The rule: rank the members by their macro-F1 on the validation split, higher first; break ties
/// by the mean log-likelihood of the true class on the same split (the probability-level figure
/// separates members whose 25 predictions give the same F1), then by the member's place in the
/// pool (the run's own pre-training first, then the `--ensemble-cache` files in the order given).
/// Keep the first `keep`, each with weight 1/`keep`; the others get weight 0. The ensemble then
/// averages the kept members' class probabilities, as the uniform ensemble does.
public struct EnsembleSelection: Sendable, Equatable {
    /// One member's figures on the labelled validation split.
    public struct Score: Sendable, Equatable, Codable {
        /// Macro-F1 of the member's most likely classes.
        public var macroF1: Double
        /// Mean over the sequences of the natural log of the probability given to the true class
        /// (at most 0; probabilities below 1e-12 count as 1e-12).
        public var logLikelihood: Double

        public init(macroF1: Double, logLikelihood: Double) {
            self.macroF1 = macroF1
            self.logLikelihood = logLikelihood
        }

        /// The figures of class probabilities `[sequences][classes]` against the true class indices.
        public init(probabilities: [[Double]], truth: [Int], classNames: [String]) {
            precondition(!probabilities.isEmpty, "a validation score needs at least one sequence")
            precondition(probabilities.count == truth.count,
                         "\(probabilities.count) probability rows for \(truth.count) labels")
            let predicted = probabilities.map(RecognitionEvaluation.argmax)
            macroF1 = ConfusionMatrix(classNames: classNames, truth: truth, predicted: predicted).macroF1
            logLikelihood = zip(probabilities, truth).map { p, t in Foundation.log(max(p[t], 1e-12)) }
                .reduce(0, +) / Double(truth.count)
        }
    }

    /// How many members to keep.
    public var keep: Int

    public init(keep: Int) {
        precondition(keep >= 1, "an ensemble keeps at least one member, not \(keep)")
        self.keep = keep
    }

    /// The members' indices, best first by the rule above. A NaN figure ranks below every number.
    public static func ranking(_ scores: [Score]) -> [Int] {
        func better(_ a: Double, _ b: Double) -> Bool? {
            switch (a.isNaN, b.isNaN) {
            case (true, true): return nil
            case (false, true): return true
            case (true, false): return false
            case (false, false): return a == b ? nil : a > b
            }
        }
        return scores.indices.sorted { i, j in
            if let answer = better(scores[i].macroF1, scores[j].macroF1) { return answer }
            if let answer = better(scores[i].logLikelihood, scores[j].logLikelihood) { return answer }
            return i < j
        }
    }

    /// The indices of the kept members, in pool order.
    public func kept(_ scores: [Score]) -> [Int] {
        precondition(keep <= scores.count, "cannot keep \(keep) of \(scores.count) members")
        return Self.ranking(scores).prefix(keep).sorted()
    }

    /// Each member's weight in the ensemble: 1/`keep` for a kept member, 0 for the others.
    /// The weights sum to 1.
    public func weights(_ scores: [Score]) -> [Double] {
        let chosen = Set(kept(scores))
        return scores.indices.map { chosen.contains($0) ? 1 / Double(keep) : 0 }
    }
}
