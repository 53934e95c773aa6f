import Foundation

/// Softmax cross-entropy for one sample, with class weights and label smoothing.
///
/// The loss is accumulated and returned in Double. With p = softmax(z), target q = (1 − ε)·onehot(y) + ε/K, and sample weight w = classWeights[y]
/// (1 without weights): loss = −w·Σₖ qₖ·log pₖ and dloss/dz = w·(p − q).
public enum SoftmaxCrossEntropy {
    public static func lossAndGradient(
        logits: [Float], label: Int, classWeights: [Float]? = nil, labelSmoothing: Float = 0
    ) -> (loss: Double, gradient: [Float]) {
        let classes = logits.count
        precondition(label >= 0 && label < classes, "label \(label) is outside 0..<\(classes)")
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1), got \(labelSmoothing)")
        if let classWeights { precondition(classWeights.count == classes, "\(classWeights.count) class weights for \(classes) classes") }
        let weight = classWeights?[label] ?? 1
        let peak = logits.max()!
        var sumExp: Double = 0
        for z in logits { sumExp += Double(expf(z - peak)) }
        let logSum = Double(peak) + log(sumExp)
        var loss: Double = 0
        var gradient = [Float](repeating: 0, count: classes)
        let offTarget = labelSmoothing / Float(classes)
        for k in 0..<classes {
            let logP = Double(logits[k]) - logSum
            let q = (k == label ? 1 - labelSmoothing : 0) + offTarget
            loss -= Double(q) * logP
            gradient[k] = weight * (Float(exp(logP)) - q)
        }
        return (loss * Double(weight), gradient)
    }
}
