/// The rater's pages: self-contained HTML (inline style, no script, no external resource). A page
/// depends only on the rater's token, the position, the clip count, the scale and the emotion
/// names — never on which clip is at the position — so it cannot reveal a condition.
enum RatingPage {
    static let contentSecurityPolicy =
        "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let style = """
        body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.4;color:#222}
        h1{font-size:1.3rem}fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
        legend{font-weight:600}.scale{display:flex;gap:.4rem;flex-wrap:wrap;align-items:center}
        .scale label,.choices label{display:inline-flex;align-items:center;gap:.2rem;padding:.2rem .5rem;border:1px solid #ddd;border-radius:4px}
        .anchors{display:flex;justify-content:space-between;font-size:.85rem;color:#666}
        .choices{display:flex;flex-wrap:wrap;gap:.4rem}audio{width:100%}button{font-size:1rem;padding:.5rem 1.5rem}
        progress{width:100%}
        """

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title))</title><style>\(style)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    static func likert(name: String, legend: String, scale: StudyManifest.Scale) -> String {
        let options = (scale.min...scale.max).map { value in
            "<label><input type=\"radio\" name=\"\(name)\" value=\"\(value)\" id=\"\(name)_\(value)\" required>\(value)</label>"
        }.joined()
        return """
            <fieldset><legend>\(legend)</legend>
            <div class="scale">\(options)</div>
            <div class="anchors"><span>\(scale.min) = not at all</span><span>\(scale.max) = completely</span></div>
            </fieldset>
            """
    }

    static func rating(token: String, position: Int, of total: Int, scale: StudyManifest.Scale, emotions: [String]) -> String {
        let choices = emotions.map { emotion in
            let e = escape(emotion)
            return "<label><input type=\"radio\" name=\"heard_emotion\" value=\"\(e)\" id=\"heard_\(e)\" required>\(e)</label>"
        }.joined()
        let body = """
            <h1>Listening study</h1>
            <p>Clip <span id="position">\(position)</span> of <span id="total">\(total)</span>.
            Listen to the whole clip, then answer. Answers are final once sent.</p>
            <progress value="\(position - 1)" max="\(total)"></progress>
            <audio id="clip" controls preload="auto" src="/r/\(token)/clip/\(position)"></audio>
            <form id="rating" method="post" action="/r/\(token)/rating">
            <input type="hidden" name="position" value="\(position)">
            <fieldset><legend>Which emotion do you hear?</legend><div class="choices">\(choices)</div></fieldset>
            \(likert(name: "rhythm_match", legend: "How well does the rhythm match the emotion you hear?", scale: scale))
            \(likert(name: "emotion_match", legend: "How well does the music as a whole express that emotion?", scale: scale))
            <button type="submit" id="submit">Send and go to the next clip</button>
            </form>
            """
        return document(title: "Listening study — clip \(position) of \(total)", body: body)
    }

    static func thankYou(clips: Int) -> String {
        document(
            title: "Listening study — thank you",
            body: """
                <h1 id="done">Thank you</h1>
                <p>You have rated all \(clips) clips. Your answers are saved; you can close this page.</p>
                """)
    }
}
