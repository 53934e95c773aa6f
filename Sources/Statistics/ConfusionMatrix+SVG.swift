import Foundation

extension ConfusionMatrix {
    /// A self-contained SVG of the matrix: true classes down the side, predicted classes along the
    /// bottom, each cell shaded by its row-normalised share (the recall row) and labelled with its
    /// count and percentage. Screen readers get a `<title>`, a `<desc>` summarising accuracy and
    /// every row, and a `<title>` per cell.
    public func svg(title: String = "Confusion matrix") -> String {
        let k = classCount
        let cell = 64.0
        let longest = Double(classNames.map(\.count).max() ?? 1)
        let labelWidth = max(60, longest * 7.5 + 16)
        let left = labelWidth + 40  // room for the rotated "True class" label
        let top = 56.0
        let grid = cell * Double(k)
        let bottom = labelWidth * 0.75 + 44  // rotated predicted-class labels and the axis title
        let width = left + grid + 24
        let height = top + grid + bottom
        let normalized = rowNormalized

        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func number(_ x: Double) -> String { String(format: "%.1f", x) }
        func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        /// A light-to-dark blue ramp: #f7fbff at 0, #08306b at 1.
        func fill(_ share: Double) -> String {
            let t = min(max(share, 0), 1)
            let from = (247.0, 251.0, 255.0)
            let to = (8.0, 48.0, 107.0)
            let r = Int((from.0 + (to.0 - from.0) * t).rounded())
            let g = Int((from.1 + (to.1 - from.1) * t).rounded())
            let b = Int((from.2 + (to.2 - from.2) * t).rounded())
            return String(format: "#%02x%02x%02x", r, g, b)
        }

        let accuracyText = total == 0 ? "no samples" : "accuracy \(percent(accuracy)) over \(total) samples"
        var description = "Rows are true classes, columns predicted classes; \(accuracyText)."
        for t in 0..<k {
            let support = counts[t].reduce(0, +)
            let parts = (0..<k).filter { counts[t][$0] > 0 }.map { "\(counts[t][$0]) as \(classNames[$0])" }
            description += " True \(classNames[t]) (\(support)): "
                + (parts.isEmpty ? "no samples." : parts.joined(separator: ", ") + ".")
        }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" role="img" aria-labelledby="cm-title cm-desc" \
            font-family="Helvetica, Arial, sans-serif">
            <title id="cm-title">\(escape(title))</title>
            <desc id="cm-desc">\(escape(description))</desc>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(number(left + grid / 2))" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(escape(title))</text>
            <text x="\(number(left + grid / 2))" y="44" text-anchor="middle" font-size="11" fill="#444444">\(escape(accuracyText)); shading: share of the true class's row</text>

            """
        for t in 0..<k {
            let y = top + Double(t) * cell
            svg += "<text x=\"\(number(left - 8))\" y=\"\(number(y + cell / 2 + 4))\" text-anchor=\"end\" font-size=\"12\">\(escape(classNames[t]))</text>\n"
            for p in 0..<k {
                let x = left + Double(p) * cell
                let share = normalized[t][p]
                let ink = share > 0.5 ? "#ffffff" : "#000000"
                let support = counts[t].reduce(0, +)
                let cellTitle = "True \(classNames[t]), predicted \(classNames[p]): \(counts[t][p])"
                    + (support > 0 ? " (\(percent(share)) of true \(classNames[t]))" : "")
                svg += "<g><title>\(escape(cellTitle))</title>"
                svg += "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(cell))\" height=\"\(number(cell))\" fill=\"\(fill(share))\" stroke=\"#cccccc\"/>"
                svg += "<text x=\"\(number(x + cell / 2))\" y=\"\(number(y + cell / 2))\" text-anchor=\"middle\" font-size=\"14\" fill=\"\(ink)\">\(counts[t][p])</text>"
                svg += "<text x=\"\(number(x + cell / 2))\" y=\"\(number(y + cell / 2 + 15))\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(ink)\">\(support > 0 ? percent(share) : "–")</text></g>\n"
            }
        }
        for p in 0..<k {
            let x = left + Double(p) * cell + cell / 2
            let y = top + grid + 10
            svg += "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"end\" font-size=\"12\" transform=\"rotate(-45 \(number(x)) \(number(y)))\">\(escape(classNames[p]))</text>\n"
        }
        svg += "<text x=\"\(number(left + grid / 2))\" y=\"\(number(height - 10))\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">Predicted class</text>\n"
        let yLabelX = 16.0
        let yLabelY = top + grid / 2
        svg += "<text x=\"\(number(yLabelX))\" y=\"\(number(yLabelY))\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" transform=\"rotate(-90 \(number(yLabelX)) \(number(yLabelY)))\">True class</text>\n"
        svg += "</svg>\n"
        return svg
    }
}
