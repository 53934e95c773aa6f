import Foundation

/// Which unlabelled target sequences self-training takes as pseudo-labelled, and with which class,
/// decided from the network's (or the ensemble's) class probabilities alone.
///
/// The rule: each candidate's pseudo-label is its most likely class (the first on ties) and its
/// confidence that class's probability. Candidates below `confidence` are dropped. Of the rest,
/// each class keeps at most `perClass`: the most confident first, ties broken by the candidate's
/// place in the list. The cap keeps the classes balanced, so a class the network over-predicts
/// (on the child faces, weak expressions taken for neutral) cannot swamp the few true labels.
///
/// The rule sees probabilities only; which sequences are candidates is the caller's business
/// (``TransferExperiment/TargetSplit/unlabelledIndices``: the training pool minus every labelled
/// sequence, never the test set).
public struct PseudoLabelRule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The lowest probability of the predicted class a pseudo-label needs.
    public var confidence: Double
    /// The most pseudo-labels any one class keeps.
    public var perClass: Int

    public init(confidence: Double = 0.9, perClass: Int = 40) {
        precondition(confidence > 0 && confidence <= 1, "the pseudo-label confidence must be in (0, 1], not \(confidence)")
        precondition(perClass >= 1, "each class keeps at least one pseudo-label, not \(perClass)")
        self.confidence = confidence
        self.perClass = perClass
    }

    /// One kept candidate.
    public struct Choice: Sendable, Equatable {
        /// The candidate's index in the probabilities given to ``select(_:)``.
        public var index: Int
        /// The pseudo-label: the most likely class.
        public var label: Int
        /// That class's probability.
        public var confidence: Double

        public init(index: Int, label: Int, confidence: Double) {
            self.index = index
            self.label = label
            self.confidence = confidence
        }
    }

    /// The kept candidates of `probabilities` (`[candidates][classes]`), in candidate order.
    /// A row with a NaN probability is never kept.
    public func select(_ probabilities: [[Double]]) -> [Choice] {
        var byClass: [Int: [Choice]] = [:]
        for (index, row) in probabilities.enumerated() where !row.isEmpty && !row.contains(where: \.isNaN) {
            let label = RecognitionEvaluation.argmax(row)
            guard row[label] >= confidence else { continue }
            byClass[label, default: []].append(Choice(index: index, label: label, confidence: row[label]))
        }
        return byClass.values
            .flatMap { choices in
                choices.sorted { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.index < $1.index }
                    .prefix(perClass)
            }
            .sorted { $0.index < $1.index }
    }

    /// The rule in words, for reports.
    public var description: String {
        String(format: "the most likely class when its probability is at least %.2f, at most %d per class (the most confident first)",
               confidence, perClass)
    }
}
